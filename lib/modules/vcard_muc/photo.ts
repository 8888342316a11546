/**
 * @module vcard_muc/photo
 * A room vCard (XEP-0486 §3.2) as the room avatar it carries: the first PHOTO's TYPE and
 * base64 BINVAL, hashed as XEP-0153 does (SHA-1 of the image bytes, hex); and back to the
 * vCard a room answers with (XEP-0486 §3.4).
 */
import { createHash } from 'node:crypto';
import { xml, type Element } from '../../core/api.js';
import type { StoredRoom } from '../../core/muc-api.js';

export const NS_VCARD_TEMP = 'vcard-temp';
/** XEP-0153 §4.1 */
export const NS_X_UPDATE = 'vcard-temp:x:update';

export type RoomAvatar = NonNullable<StoredRoom['avatar']>;

/** Why a vCard cannot be the room's: an XMPP error condition and its text. */
export interface Refusal { readonly type: 'modify'; readonly condition: 'bad-request' | 'not-acceptable'; readonly text: string }

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** XEP-0153 §4.1: the avatar hash. */
export function avatarHash(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/**
 * The avatar a vCard set asks for: undefined for a vCard without PHOTO (XEP-0486 §3.2: an
 * empty vCard removes the avatar), or a refusal for an image that is not base64, too large
 * (`maxBytes`) or only a link.
 */
export function readAvatar(vcard: Element, maxBytes: number): RoomAvatar | undefined | Refusal {
  const photo = vcard.getChild('PHOTO');
  if (!photo) return undefined;
  const binval = photo.getChild('BINVAL');
  if (!binval) {
    return { type: 'modify', condition: 'not-acceptable', text: photo.getChild('EXTVAL') ? 'Room avatars are stored here: send the image in BINVAL, not a link' : 'PHOTO has no BINVAL' };
  }
  const data = binval.getText().replace(/\s+/g, '');
  // XEP-0054 §4 (BINVAL is base64): refuse what does not decode
  if (data === '' || data.length % 4 !== 0 || !BASE64.test(data)) return { type: 'modify', condition: 'bad-request', text: 'BINVAL is not base64' };
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > maxBytes) return { type: 'modify', condition: 'not-acceptable', text: `A room avatar may take at most ${maxBytes} bytes` };
  const type = photo.getChildText('TYPE')?.trim() ?? '';
  return { hash: avatarHash(bytes), type, data };
}

/** The room's vCard: its PHOTO, or empty when it has no avatar (XEP-0054 §3.1). */
export function vcardOf(avatar: RoomAvatar | undefined): Element {
  if (!avatar) return xml('vCard', { xmlns: NS_VCARD_TEMP });
  return xml('vCard', { xmlns: NS_VCARD_TEMP },
    xml('PHOTO', {}, ...(avatar.type ? [xml('TYPE', {}, avatar.type)] : []), xml('BINVAL', {}, avatar.data)));
}

export const isRefusal = (v: RoomAvatar | Refusal | undefined): v is Refusal => v !== undefined && 'condition' in v;
