/**
 * @module session-dispatch
 * What a session does with each element its client sends (RFC 6120): stanzas of a bound
 * resource are stamped with its full JID and routed; before binding only resource binding
 * (and, before authentication, what a module serves then, such as in-band registration) is
 * allowed; nonzas go to `stanza/<ns>:<name>` handlers; anything else closes the stream with
 * the RFC's condition. A routing failure answers that one stanza; the stream goes on.
 */
import type { EventBus } from './events.js';
import { isServerError } from './errors.js';
import { errorReply, onlyChild } from './router.js';
import type { ServerApi } from './server-api.js';
import { classifyNonStanza } from './session-elements.js';
import type { Session } from './session-view.js';
import { NS_BIND, NS_CLIENT, type Element } from './xml.js';
import { countStanza } from './stats.js';

const BIND_EVENT = `iq-set/self/${NS_BIND}:bind`;

function isClientStanza(el: Element): boolean {
  const name = el.name;
  const ns = el.attrs.xmlns as string | undefined;
  return (ns === undefined || ns === NS_CLIENT) && (name === 'message' || name === 'presence' || name === 'iq');
}

/** One element from the client of an open stream. */
export function dispatchElement(session: Session, server: ServerApi, bus: EventBus, el: Element): void {
  if (isClientStanza(el)) {
    countStanza(server.stats.stanzasIn, el.name);
    if (session.bound) {
      // RFC 6120 §8.1.2.1: the server stamps the full JID.
      el.attrs.from = session.jid!.full;
      routeStanza(session, server, el);
    } else {
      unboundStanza(session, bus, el);
    }
    return;
  }
  nonStanza(session, bus, el);
}

/**
 * One element that arrived while the stream is not open: while closing, what the client sent
 * before it saw our close is still processed so its messages are not lost (RFC 6120 §4.4);
 * presence needs a bound resource and is ignored. Before the stream opens, or between a
 * restart and the new header, anything is an error.
 */
export function receivedOutsideOpen(session: Session, server: ServerApi, _bus: EventBus, el: Element): void {
  const state = session.state;
  if (state === 'closing') {
    if (session.jid !== undefined && session.authenticated && isClientStanza(el) && el.name !== 'presence') {
      countStanza(server.stats.stanzasIn, el.name);
      el.attrs.from = session.jid.full;
      routeStanza(session, server, el);
    }
    return;
  }
  if (state === 'connected') session.close({ condition: 'not-authorized', text: 'Open a stream first' });
  else if (state === 'restarting') session.close({ condition: 'bad-format', text: 'Expected a new stream header (RFC 6120 §4.3.3)' });
}

/** Route a stanza of this client; a failure (storage full, a bug) answers that stanza only. */
function routeStanza(session: Session, server: ServerApi, el: Element): void {
  try {
    server.route(el, session);
  } catch (err) {
    const full = isServerError(err, 'XS_ERR_STORAGE');
    session.log.error({ err, name: el.name }, full ? 'storage failed while routing a stanza' : 'error while routing a stanza');
    const type = el.attrs.type as string | undefined;
    if (type === 'error' || type === 'result' || (el.name === 'presence' && type !== 'subscribe')) return;
    // RFC 6120 §8.3.3.18 / §8.3.3.6: this stanza failed; the stream goes on.
    const reply = full
      ? errorReply(el, 'wait', 'resource-constraint', 'The server could not store this stanza; try again later')
      : errorReply(el, 'cancel', 'internal-server-error');
    reply.attrs.to = session.jid!.full;
    reply.attrs.from = (el.attrs.to as string | undefined) ?? session.host;
    session.send(reply);
  }
}

/** Deliver an error reply to the entity it names (a local session, or nowhere). */
export function routeReply(session: Session, server: ServerApi, reply: Element): void {
  try {
    server.route(reply);
  } catch (err) {
    session.log.error({ err }, 'could not route an error reply');
  }
}

function unboundStanza(session: Session, bus: EventBus, el: Element): void {
  const type = el.attrs.type as string | undefined;
  if (!session.authenticated) {
    // Requests a module serves before authentication (XEP-0077 registration): Prosody's
    // stanza/iq/<ns>:<name>. Anything else is refused (RFC 6120 §4.3.5).
    const child = el.name === 'iq' && (type === 'get' || type === 'set') ? onlyChild(el) : undefined;
    const event = child === undefined ? undefined : `stanza/iq/${child.attrs.xmlns as string | undefined ?? ''}:${child.name}`;
    if (event === undefined || bus.fire(event, { origin: session, session, stanza: el }) === undefined) {
      session.close({ condition: 'not-authorized', text: 'Stanzas are not allowed before authentication (RFC 6120 §4.3.5)' });
    }
    return;
  }
  // Authenticated but not bound: resource binding only (RFC 6120 §7.1).
  if (el.name === 'iq' && type === 'set' && el.getChild('bind', NS_BIND)) {
    if (bus.fire(BIND_EVENT, { origin: session, stanza: el }) === undefined) session.send(errorReply(el, 'cancel', 'service-unavailable'));
    return;
  }
  if (type !== 'error' && type !== 'result') session.send(errorReply(el, 'auth', 'not-authorized', 'Bind a resource first (RFC 6120 §7)'));
}

function nonStanza(session: Session, bus: EventBus, el: Element): void {
  const what = classifyNonStanza(el);
  switch (what.kind) {
    case 'peer-error':
      session.log.info({ condition: what.condition }, 'the peer sent a stream error');
      session.close({ text: `peer stream error: ${what.condition ?? 'unknown'}` });
      return;
    case 'misplaced-stanza':
      session.close({ condition: 'invalid-namespace', text: `Stanzas must be in the ${NS_CLIENT} namespace (RFC 6120 §4.8.3)` });
      return;
    case 'unknown':
      session.close({ condition: 'unsupported-stanza-type', text: `<${el.name}/> is not a stanza` });
      return;
    case 'nonza':
      if (bus.fire(`stanza/${what.ns}:${what.local}`, { session, origin: session, stanza: el }) === undefined) {
        session.close({ condition: 'unsupported-stanza-type', text: `<${what.local} xmlns='${what.ns}'/> is not supported here` });
      }
  }
}
