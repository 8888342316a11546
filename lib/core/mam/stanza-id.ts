/**
 * @module mam/stanza-id
 * Unique and stable stanza ids (XEP-0359): the archive's id added to a message as
 * `<stanza-id by='the archive owner' id='...'/>`, and ids a client tries to set in our name
 * removed before anything else sees the message (XEP-0359 §5: a server MUST strip
 * `stanza-id` elements whose `by` is its own entity or one of its users').
 */
import { parseJid } from '../jid.js';
import { Element } from '../xml.js';

export const NS_SID = 'urn:xmpp:sid:0';

/** Add `<stanza-id/>` for `by` (a bare JID). */
export function addStanzaId(stanza: Element, by: string, id: string): void {
  // once per archived message: built directly (the xml() builder copies and re-checks its attributes)
  const el = new Element('stanza-id');
  el.attrs = { xmlns: NS_SID, by, id };
  el.parent = stanza;
  stanza.children.push(el);
}

/** Remove every `<stanza-id/>` whose `by` is on one of our hosts. Returns how many went. */
export function stripStanzaIds(stanza: Element, isLocalHost: (domain: string) => boolean): number {
  const children = stanza.children;
  let removed = 0;
  for (let i = children.length - 1; i >= 0; i--) {
    const c = children[i];
    if (typeof c === 'string') continue;
    const el = c as Element;
    if (el.name !== 'stanza-id' || el.attrs.xmlns !== NS_SID) continue;
    const by = parseJid(el.attrs.by as string | undefined);
    // one that names no valid entity cannot be trusted either
    if (by === undefined || isLocalHost(by.domain)) {
      children.splice(i, 1);
      removed++;
    }
  }
  return removed;
}

/** Remove the `<stanza-id/>` elements by `by` (a bare JID). */
export function removeStanzaIds(stanza: Element, by: string): void {
  const children = stanza.children;
  for (let i = children.length - 1; i >= 0; i--) {
    const c = children[i];
    if (typeof c !== 'string' && (c as Element).name === 'stanza-id' && (c as Element).attrs.xmlns === NS_SID && (c as Element).attrs.by === by) children.splice(i, 1);
  }
}

/** Whether a message carries a `<stanza-id/>` (by `by`, when given). */
export function hasStanzaId(stanza: Element, by?: string): boolean {
  const children = stanza.children;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c === 'string' || (c as Element).name !== 'stanza-id') continue;
    if (by === undefined || ((c as Element).attrs.xmlns === NS_SID && (c as Element).attrs.by === by)) return true;
  }
  return false;
}
