/**
 * @module mam/eligibility
 * Whether a message's content is worth archiving (XEP-0313 §5.1.1-2), shared by every archive:
 * a body, or a payload in one of the archive's `keep` namespaces (encrypted, corrections,
 * reactions ...; each archive names its own), unless that namespace is `ignored`; XEP-0334
 * hints override (`<store/>` keeps, `<no-store/>` and `<no-permanent-store/>` refuse). The
 * message type is the caller's rule (chat/normal for a user, groupchat for a room).
 */
import type { Element } from '../xml.js';

export const NS_HINTS = 'urn:xmpp:hints';

const NONE: ReadonlySet<string> = new Set();

export function worthArchiving(stanza: Element, keep: ReadonlySet<string>, ignored: ReadonlySet<string> = NONE): boolean {
  let found = false;
  const children = stanza.children;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c === 'string') continue;
    const el = c as Element;
    const ns = el.attrs.xmlns as string | undefined;
    if (ns === NS_HINTS) {
      if (el.name === 'no-store' || el.name === 'no-permanent-store') return false; // XEP-0334 §4
      if (el.name === 'store') found = true;
      continue;
    }
    if (el.name === 'body' && (ns === undefined || ns === 'jabber:client')) found = true;
    else if (ns !== undefined && keep.has(ns) && !ignored.has(ns)) found = true;
  }
  return found;
}
