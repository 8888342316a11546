/**
 * @module csi_simple/importance
 * Which stanzas an inactive client gets at once and which can wait (XEP-0352 §3.2 leaves it
 * to the server). The rules are Prosody's mod_csi_simple (its documented `is_important`), with
 * these differences: a standalone chat state (XEP-0085) is recognised first, so it waits even
 * when addressed to the full JID; a message addressed to this very resource goes at once
 * unless it is a chat state, a headline, a groupchat message or a carbon copy (those reach a
 * full JID by mechanism, not because the sender chose this device); and a body always counts,
 * even in a headline (Prosody holds every headline).
 */
import { NS_CLIENT, NS_DELAY, type Element } from '../../core/api.js';

/** XEP-0085 */
export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
/** XEP-0280 / XEP-0297 */
const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';

/** Encrypted payloads: the body (if any) is a fallback text, the content is unknowable. */
const ENCRYPTED: readonly (readonly [string, string])[] = [
  ['encrypted', 'eu.siacs.conversations.axolotl'], // XEP-0384 (legacy OMEMO)
  ['encrypted', 'urn:xmpp:omemo:1'], // XEP-0384 0.4-0.7
  ['encrypted', 'urn:xmpp:omemo:2'], // XEP-0384 0.8+
  ['encryption', 'urn:xmpp:eme:0'], // XEP-0380 explicit message encryption
  ['x', 'jabber:x:encrypted'], // XEP-0027
  ['openpgp', 'urn:xmpp:openpgp:0'], // XEP-0373
];

/** Children that may accompany a standalone chat state without making it content (XEP-0085 §5.6). */
const INCIDENTAL_NS: ReadonlySet<string> = new Set([
  'urn:xmpp:hints', // XEP-0334 <no-store/> ...
  'urn:xmpp:sid:0', // XEP-0359 <origin-id/>, <stanza-id/>
  NS_DELAY, // XEP-0203
]);

/** What an inactive session does with an element. */
export type Verdict =
  | { readonly hold: false; readonly reason: string }
  | { readonly hold: true; readonly kind: HeldKind; readonly reason: string };

/**
 * `presence`: an update the next one from the same full JID replaces; `chatstate`: a standalone
 * chat state (dropped, not re-routed, when the session ends: XEP-0085 §5.8); `other`: kept as is.
 */
export type HeldKind = 'presence' | 'chatstate' | 'other';

const important = (reason: string): Verdict => ({ hold: false, reason });
const held = (kind: HeldKind, reason: string): Verdict => ({ hold: true, kind, reason });

/** A payload an operator marks as important: Prosody's "{namespace}name" or "{namespace}". */
export interface Payload {
  readonly ns: string;
  readonly name: string | undefined;
}

/** Parse Prosody's csi_important_payloads notation; undefined when it does not fit. */
export function parsePayload(text: string): Payload | undefined {
  const m = /^\{([^{}]+)\}([^{}/\s]*)$/.exec(text);
  if (!m) return undefined;
  return { ns: m[1]!, name: m[2] === '' ? undefined : m[2] };
}

function hasChild(el: Element, name: string, ns: string): boolean {
  return el.getChild(name, ns) !== undefined;
}

function hasPayload(el: Element, payloads: readonly Payload[]): boolean {
  if (payloads.length === 0) return false;
  for (const child of el.getChildElements()) {
    const ns = child.getNS();
    if (payloads.some((p) => p.ns === ns && (p.name === undefined || p.name === child.name))) return true;
  }
  return false;
}

/** XEP-0085 §5.6: a chat state and nothing else of substance (a <thread/>, hints, ids, delay). */
export function isStandaloneChatState(message: Element): boolean {
  let state = false;
  for (const child of message.getChildElements()) {
    const ns = child.getNS() as string | undefined;
    if (ns === NS_CHATSTATES) state = true;
    else if (ns === undefined || ns === NS_CLIENT ? child.name !== 'thread' : !INCIDENTAL_NS.has(ns)) return false;
  }
  return state;
}

/** The message a received carbon copy carries (XEP-0280 §7.2), or undefined. */
function receivedCarbon(message: Element): Element | undefined {
  return message.getChild('received', NS_CARBONS)?.getChild('forwarded', NS_FORWARD)?.getChild('message');
}

function assessMessage(el: Element, fullJid: string | undefined, payloads: readonly Payload[]): Verdict {
  const type = (el.attrs.type as string | undefined) ?? 'normal';
  if (type === 'error') return important('delivery failure');
  // XEP-0280: a copy of what the user sent from another device (Prosody: important)
  if (hasChild(el, 'sent', NS_CARBONS)) return important('sent carbon');
  const carbon = receivedCarbon(el);
  const m = carbon ?? el;
  if (m.getChild('body') !== undefined) return important('body');
  if (m.getChild('subject') !== undefined) return important('subject'); // last step of a MUC join
  if (ENCRYPTED.some(([name, ns]) => hasChild(m, name, ns))) return important('encrypted');
  if (hasChild(m, 'x', 'jabber:x:conference') || m.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('invite') !== undefined) {
    return important('invitation'); // XEP-0249, XEP-0045 §7.8
  }
  if (m.getChildElements().some((c) => c.getNS() === 'urn:xmpp:jingle-message:0' || c.getNS() === 'urn:xmpp:jingle-message:1')) {
    return important('call'); // XEP-0353
  }
  if (hasPayload(m, payloads)) return important('csi_important_payloads');
  if (isStandaloneChatState(m)) return held('chatstate', 'chat state');
  if (type === 'headline') return held('other', 'headline'); // ephemeral by definition (RFC 6121 §5.2.2)
  if (carbon === undefined && type !== 'groupchat' && fullJid !== undefined && el.attrs.to === fullJid) {
    return important('addressed to this resource');
  }
  return held('other', 'no important payload');
}

/**
 * Whether `el`, about to be sent to the session `fullJid`, waits while the client is inactive.
 * Nonzas (stream management, errors) and iq stanzas never wait; presence updates (available,
 * unavailable, errors) do, subscription requests and answers do not (RFC 6121 §3).
 */
export function assess(el: Element, fullJid: string | undefined, payloads: readonly Payload[] = []): Verdict {
  const xmlns = el.attrs.xmlns as string | undefined;
  if (xmlns !== undefined && xmlns !== NS_CLIENT) return important('nonza');
  switch (el.name) {
    case 'presence': {
      const type = el.attrs.type as string | undefined;
      if (type === undefined || type === 'unavailable') return held('presence', 'presence update');
      if (type === 'error') return held('other', 'presence error');
      return important('subscription');
    }
    case 'message':
      return assessMessage(el, fullJid, payloads);
    default:
      return important(el.name); // iq: someone waits for the answer
  }
}
