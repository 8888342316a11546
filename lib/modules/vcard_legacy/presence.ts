/**
 * @module vcard_legacy/presence
 * XEP-0153 §4.1 done by the server (as XEP-0398 §5 and Prosody's mod_vcard_legacy do): the
 * account's outgoing available presence carries `<x xmlns='vcard-temp:x:update'>` with the
 * SHA-1 of its current avatar, an empty `<photo/>` when it is known to have none, and no photo
 * while unknown. The hash lives in a store (kept current from PEP events) so the presence path
 * reads it synchronously.
 */
import { xml, type Element, type KeyValueStore } from '../../core/api.js';

export const NS_X_UPDATE = 'vcard-temp:x:update';

/**
 * Replace any `x:update` the client put in an available presence with the server's:
 * `photo` is the hash ('' for no avatar) or undefined when unknown.
 */
export function injectPhoto(stanza: Element, photo: string | undefined): void {
  if (stanza.attrs.type !== undefined) return; // XEP-0153 §4.1: available presence only
  stanza.children = stanza.children.filter((c) => typeof c === 'string' || !(c.name === 'x' && c.getNS() === NS_X_UPDATE));
  stanza.append(xml('x', { xmlns: NS_X_UPDATE }, photo === undefined ? undefined : xml('photo', {}, photo === '' ? undefined : photo)));
}

/** The advertised hash of each account: '' for none; absent when not known yet. */
export type PhotoStore = KeyValueStore<string>;
