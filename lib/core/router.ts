/**
 * @module router
 * Stanza routing between local sessions and hosts, with Prosody's event grammar:
 * `pre-<name>/<kind>` on the origin's host, then (iq get/set only) `iq-request/<kind>` and
 * `iq-<type>/<kind>/<ns>:<child>`, and `<name>/<kind>` on the destination's host, then the default (deliver to a full JID, or
 * bounce). Behind the Router interface so a cluster can replace it.
 *
 * A host may have a gate (`setGate`): a cluster module's say over which node handles the
 * stanzas to that host's addresses (one owner node per room, say). The gate runs after
 * `pre-*` (the sender's node did that) and before any event on the destination's bus; a
 * stanza it takes is no longer this router's business. `routeHere` routes a stanza another
 * node already gated for this one: no `pre-*`, no gate. Without gates the cost is one size check.
 */
import { parseJid } from './jid.js';
import type { EventBus } from './events.js';
import type { Logger } from './log.js';
import { xml, NS_STANZAS, type Element } from './xml.js';
import type { Session } from './session-view.js';

/** Where a stanza is addressed: a domain, a bare JID, a full JID, or the sender's own account. */
export type RouteKind = 'host' | 'bare' | 'full' | 'self';

/** Routes a stanza; `origin` is the local session that sent it (none for server-generated ones). */
export interface Router {
  route(stanza: Element, origin?: Session): void;
}

/**
 * Takes (returns true) or leaves (false: routed here as usual) a stanza to the gated host.
 * `address` is the bare JID the stanza is for (the host's own name for the host itself).
 */
export type RouteGate = (stanza: Element, address: string) => boolean;

/** What the local router needs from the server. */
export interface RouterContext {
  readonly log: Logger;
  isLocalHost(name: string): boolean;
  hostEvents(host: string): EventBus | undefined;
  /** The bound session with this (normalised) full JID. */
  session(fullJid: string): Session | undefined;
}

/** Stanza error types (RFC 6120 §8.3.2). */
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/**
 * An error reply to `stanza` (RFC 6120 §8.3): same name and id, `to`/`from` swapped,
 * `type='error'`, one defined condition and an optional text. Never reply to an error (§8.3.1).
 */
export function errorReply(stanza: Element, type: StanzaErrorType, condition: string, text?: string): Element {
  const attrs = stanza.attrs as Record<string, string | undefined>;
  const error = xml('error', { type }, xml(condition, { xmlns: NS_STANZAS }));
  if (text !== undefined) error.append(xml('text', { xmlns: NS_STANZAS, 'xml:lang': 'en' }, text));
  return xml(stanza.name, { type: 'error', id: attrs.id, to: attrs.from, from: attrs.to }, error);
}

// Precomputed event names: no string building on the hot path for the common ones.
const NAMES = ['message', 'presence', 'iq'] as const;
const KINDS: readonly RouteKind[] = ['host', 'bare', 'full', 'self'];
const EVENT: Record<string, Record<string, string>> = {};
const PRE: Record<string, Record<string, string>> = {};
/** `iq-request/<kind>`: every iq get/set to a destination, before its per-payload event (a policy such as blocking sees them all). */
const IQ_REQUEST: Record<string, string> = {};
for (const kind of KINDS) IQ_REQUEST[kind] = `iq-request/${kind}`;
for (const name of NAMES) {
  EVENT[name] = {};
  PRE[name] = {};
  for (const kind of KINDS) {
    EVENT[name][kind] = `${name}/${kind}`;
    PRE[name][kind] = `pre-${name}/${kind}`;
  }
}

/** The router for one process: local hosts and local sessions; no s2s. */
export class LocalRouter implements Router {
  readonly #ctx: RouterContext;
  /** Gates by host name (usually none). */
  readonly #gates = new Map<string, RouteGate>();

  constructor(ctx: RouterContext) {
    this.#ctx = ctx;
  }

  /** Install (or with undefined remove) the gate of stanzas to `host`. */
  setGate(host: string, gate: RouteGate | undefined): void {
    if (gate === undefined) this.#gates.delete(host);
    else this.#gates.set(host, gate);
  }

  route(stanza: Element, origin?: Session): void {
    this.#route(stanza, origin, true);
  }

  /** Route a stanza that another node gated for this one: the destination's events, no gate. */
  routeHere(stanza: Element): void {
    this.#route(stanza, undefined, false);
  }

  #route(stanza: Element, origin: Session | undefined, gated: boolean): void {
    const name = stanza.name;
    const attrs = stanza.attrs as Record<string, string | undefined>;
    const to = attrs.to;
    let kind: RouteKind;
    let domain: string;
    let full: string | undefined;
    let address: string;
    if (to === undefined || to === '') {
      // No 'to': the sender's own account (RFC 6120 §10.3).
      if (origin === undefined || origin.host === undefined || origin.bareJid === undefined) {
        this.#ctx.log.debug({ name }, 'dropping a server stanza without a to address');
        return;
      }
      kind = name === 'message' ? 'bare' : 'self';
      domain = origin.host;
      address = origin.bareJid;
    } else {
      const jid = parseJid(to);
      if (jid === undefined) {
        this.#bounce(stanza, 'modify', 'jid-malformed');
        return;
      }
      domain = jid.domain;
      address = jid.bare;
      if (jid.local === undefined) kind = 'host';
      else if (jid.resource !== undefined) { kind = 'full'; full = jid.full; }
      else kind = name !== 'message' && origin !== undefined && jid.bare === origin.bareJid ? 'self' : 'bare';
    }
    const payload = { origin, stanza };
    const pre = PRE[name];
    if (origin !== undefined && origin.host !== undefined && pre !== undefined) {
      const bus = this.#ctx.hostEvents(origin.host);
      if (bus !== undefined && bus.fire(pre[kind]!, payload) !== undefined) return;
    }
    const bus = this.#ctx.isLocalHost(domain) ? this.#ctx.hostEvents(domain) : undefined;
    if (bus === undefined) {
      // No server-to-server here (RFC 6120 §8.3.3.16).
      this.#bounce(stanza, 'cancel', 'remote-server-not-found');
      return;
    }
    if (gated && this.#gates.size !== 0) {
      const gate = this.#gates.get(domain);
      if (gate !== undefined && gate(stanza, address)) return;
    }
    const type = attrs.type;
    if (name === 'iq' && (type === 'get' || type === 'set')) {
      if (bus.fire(IQ_REQUEST[kind]!, payload) !== undefined) return;
      const child = onlyChild(stanza);
      if (child !== undefined && bus.fire(`iq-${type}/${kind}/${child.attrs.xmlns as string | undefined ?? ''}:${child.name}`, payload) !== undefined) return;
    }
    const events = EVENT[name];
    const event = events !== undefined ? events[kind]! : `${name}/${kind}`;
    if (bus.fire(event, payload) !== undefined) return;
    this.#deliver(stanza, name, type, full);
  }

  /** Nobody handled it: a full JID gets it if that session exists; otherwise bounce or drop. */
  #deliver(stanza: Element, name: string, type: string | undefined, full: string | undefined): void {
    if (full !== undefined) {
      const session = this.#ctx.session(full);
      if (session !== undefined) {
        session.send(stanza);
        return;
      }
    }
    if (name === 'iq') {
      // RFC 6120 §8.4: an unhandled request gets service-unavailable; results and errors are dropped.
      if (type === 'get' || type === 'set') this.#bounce(stanza, 'cancel', 'service-unavailable');
      return;
    }
    // RFC 6121 §8.5.2: presence may be silently dropped; headline messages too.
    if (name === 'message' && type !== 'error' && type !== 'headline') this.#bounce(stanza, 'cancel', 'service-unavailable');
  }

  /** Answer with an error, unless the stanza is itself an error or has nobody to answer to. */
  #bounce(stanza: Element, type: 'cancel' | 'modify', condition: string): void {
    const attrs = stanza.attrs as Record<string, string | undefined>;
    if (attrs.type === 'error' || !attrs.from) return; // RFC 6120 §8.3.1
    if (stanza.name === 'iq' && attrs.type === 'result') return;
    this.route(errorReply(stanza, type, condition));
  }
}

/** The single element child of an iq request, or undefined when it has none or several. */
export function onlyChild(stanza: Element): Element | undefined {
  let found: Element | undefined;
  const children = stanza.children;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c === 'string') continue;
    if (found !== undefined) return undefined;
    found = c as Element;
  }
  return found;
}
