/**
 * @module bookmarks/convert
 * XEP-0048 bookmarks (`<storage xmlns='storage:bookmarks'>`, one element with every
 * conference) and XEP-0402 bookmarks (one PEP item per room, id = the room's JID) into each
 * other, as XEP-0411 needs. Pure functions.
 */
import { parseJid, serialize, xml, type Element } from '../../core/api.js';

export const NS_BOOKMARKS = 'urn:xmpp:bookmarks:1';
export const NS_LEGACY = 'storage:bookmarks';

/** One XEP-0402 item: the room's bare JID and the `<conference/>` payload. */
export interface BookmarkItem {
  readonly id: string;
  readonly payload: Element;
}

/** XEP-0402 §3 / XEP-0048 §3.2: autojoin is an xs:boolean. */
const isTrue = (v: unknown): boolean => v === 'true' || v === '1';
const childText = (el: Element, name: string): string | undefined => {
  const t = el.getChildText(name);
  return t === null || t === undefined ? undefined : t;
};

/**
 * The XEP-0402 items of an XEP-0048 storage element, in order (a room listed twice keeps its
 * last entry). `extensionsOf(jid)` gives the `<extensions/>` an existing item had, kept because
 * XEP-0048 has no place for them. 'bad-request' when a conference has no valid room JID.
 */
export function legacyToItems(storage: Element, extensionsOf?: (jid: string) => Element | undefined): BookmarkItem[] | 'bad-request' {
  const items = new Map<string, BookmarkItem>();
  for (const conference of storage.getChildren('conference')) {
    const jid = parseJid(conference.attrs.jid as string | undefined);
    // XEP-0402 §3: the item id is the room's bare JID
    if (!jid || jid.local === undefined || jid.resource !== undefined) return 'bad-request';
    const nick = childText(conference, 'nick');
    const password = childText(conference, 'password');
    const extensions = extensionsOf?.(jid.bare);
    items.delete(jid.bare);
    items.set(jid.bare, {
      id: jid.bare,
      payload: xml('conference', {
        xmlns: NS_BOOKMARKS,
        name: conference.attrs.name as string | undefined,
        autojoin: isTrue(conference.attrs.autojoin) ? 'true' : undefined,
      }, nick !== undefined ? xml('nick', {}, nick) : undefined, password !== undefined ? xml('password', {}, password) : undefined, extensions),
    });
  }
  return [...items.values()];
}

/** One XEP-0048 conference for an XEP-0402 item (undefined when the item is not a bookmark). */
export function conferenceOf(id: string, payload: Element | undefined): Element | undefined {
  if (!payload || payload.name !== 'conference') return undefined;
  const nick = childText(payload, 'nick');
  const password = childText(payload, 'password');
  return xml('conference', {
    jid: id, name: payload.attrs.name as string | undefined,
    autojoin: isTrue(payload.attrs.autojoin) ? 'true' : 'false',
  }, nick !== undefined ? xml('nick', {}, nick) : undefined, password !== undefined ? xml('password', {}, password) : undefined);
}

/** XEP-0048 storage holding every XEP-0402 item (oldest first, as they were added). */
export function itemsToLegacy(items: readonly { readonly id: string; readonly payload: Element | undefined }[]): Element {
  const storage = xml('storage', { xmlns: NS_LEGACY });
  for (const item of items) {
    const conference = conferenceOf(item.id, item.payload);
    if (conference) storage.append(conference);
  }
  return storage;
}

/** Whether two XEP-0402 payloads say the same (name, autojoin, nick, password, extensions). */
export function sameBookmark(a: Element | undefined, b: Element | undefined): boolean {
  if (!a || !b) return false;
  return (a.attrs.name ?? '') === (b.attrs.name ?? '')
    && isTrue(a.attrs.autojoin) === isTrue(b.attrs.autojoin)
    && childText(a, 'nick') === childText(b, 'nick')
    && childText(a, 'password') === childText(b, 'password')
    && serializeOpt(a.getChild('extensions')) === serializeOpt(b.getChild('extensions'));
}

const serializeOpt = (el: Element | undefined): string => (el ? serialize(el) : '');
