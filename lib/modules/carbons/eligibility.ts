/**
 * @module carbons/eligibility
 * Which messages are copied (XEP-0280 §6): chat messages (MUC private messages included), normal
 * messages with a body, receipts and chat markers; never groupchat, headline or error; never
 * one marked `<private/>` (XEP-0280 §7) or `<no-copy/>` (XEP-0334), and never one that is itself
 * a carbon.
 */
import type { Element } from '../../core/api.js';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_HINTS = 'urn:xmpp:hints';
const NS_RECEIPTS = 'urn:xmpp:receipts';
const NS_MARKERS = 'urn:xmpp:chat-markers:0';

/** Whether the message is a carbon (has a `<sent/>` or `<received/>` wrapper of XEP-0280). */
export function isCarbon(stanza: Element): boolean {
  const children = stanza.children;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c === 'string') continue;
    const el = c as Element;
    if ((el.name === 'sent' || el.name === 'received') && el.attrs.xmlns === NS_CARBONS) return true;
  }
  return false;
}

export function copyable(stanza: Element): boolean {
  const type = (stanza.attrs.type as string | undefined) ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  let worth = type === 'chat';
  const children = stanza.children;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c === 'string') continue;
    const el = c as Element;
    const ns = el.attrs.xmlns as string | undefined;
    if (ns === NS_CARBONS) return false; // <private/>, or a carbon
    if (ns === NS_HINTS && el.name === 'no-copy') return false;
    if (!worth && ((el.name === 'body' && (ns === undefined || ns === 'jabber:client')) || ns === NS_RECEIPTS || ns === NS_MARKERS)) worth = true;
  }
  return worth;
}
