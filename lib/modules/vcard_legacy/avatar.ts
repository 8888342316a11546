/**
 * @module vcard_legacy/avatar
 * User avatars (XEP-0084) and the vcard-temp PHOTO (XEP-0054, XEP-0153): the data item
 * (base64, id = SHA-1 of the bytes), its metadata (`<info bytes id type width height/>`) and
 * the PHOTO element (TYPE, BINVAL or EXTVAL). Pure functions.
 */
import { createHash } from 'node:crypto';
import { xml, type Element } from '../../core/api.js';
import { imageSize } from './image-size.js';

export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';

/** One avatar: what the data node holds and what its metadata says. */
export interface Avatar {
  /** XEP-0084 §4.2.1: the SHA-1 of the image bytes, hex (the item id on both nodes). */
  readonly id: string;
  readonly bytes: number;
  readonly type: string;
  /** The image, base64 (whitespace removed). */
  readonly base64: string;
  readonly width?: number;
  readonly height?: number;
}

/** Base64 as RFC 4648 §4 has it (whitespace allowed between, as XML text wraps). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of a base64 text, or undefined when it is not base64. */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\s]+/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

export const sha1Hex = (bytes: Buffer): string => createHash('sha1').update(bytes).digest('hex');

/** An avatar from image bytes: the hash, the size and (for PNG, GIF, JPEG, WebP) the dimensions. */
export function avatarOf(bytes: Buffer, type: string | undefined): Avatar {
  const size = imageSize(bytes);
  return {
    id: sha1Hex(bytes), bytes: bytes.length, type: type ?? size?.type ?? 'image/png', base64: bytes.toString('base64'),
    ...(size ? { width: size.width, height: size.height } : {}),
  };
}

/**
 * The avatar in a vcard-temp PHOTO: undefined when it has no BINVAL (an EXTVAL cannot be
 * hashed), 'bad-request' when BINVAL is not base64 (XEP-0054 §4: BINVAL is base64).
 */
export function avatarFromPhoto(photo: Element): Avatar | undefined | 'bad-request' {
  const binval = photo.getChildText('BINVAL');
  if (binval === null || binval === undefined || binval.trim() === '') return undefined;
  const bytes = decodeBase64(binval);
  if (!bytes || bytes.length === 0) return 'bad-request';
  const type = photo.getChildText('TYPE')?.trim();
  return avatarOf(bytes, type === '' ? undefined : type ?? undefined);
}

/** XEP-0084 §4.1: the data item's payload. */
export const dataPayload = (avatar: Avatar): Element => xml('data', { xmlns: NS_AVATAR_DATA }, avatar.base64);

/** XEP-0084 §4.2: the metadata item's payload. */
export function metadataPayload(avatar: Avatar): Element {
  return xml('metadata', { xmlns: NS_AVATAR_METADATA }, xml('info', {
    bytes: String(avatar.bytes), id: avatar.id, type: avatar.type,
    width: avatar.width === undefined ? undefined : String(avatar.width),
    height: avatar.height === undefined ? undefined : String(avatar.height),
  }));
}

/** XEP-0084 §4.2.2: metadata without `<info/>` says the user has no avatar. */
export const disabledMetadata = (): Element => xml('metadata', { xmlns: NS_AVATAR_METADATA });

/**
 * The `<info/>` of a metadata payload for the data item `id` (or the first one that the data
 * node holds when `id` is absent): XEP-0084 §4.2.1 lists several formats of one image.
 */
export function infoOf(metadata: Element | undefined, id?: string): Element | undefined {
  const infos = metadata?.getChildren('info') ?? [];
  return (id === undefined ? infos[0] : infos.find((i) => i.attrs.id === id)) ?? infos[0];
}

/**
 * A vcard-temp PHOTO for an avatar (XEP-0054 §4): TYPE and BINVAL from the data item, or
 * EXTVAL from the metadata's url when the data is not stored here (XEP-0084 §4.2.1).
 */
export function photoOf(info: Element | undefined, base64: string | undefined): Element | undefined {
  const type = info?.attrs.type as string | undefined;
  if (base64 !== undefined && base64 !== '') return xml('PHOTO', {}, type ? xml('TYPE', {}, type) : undefined, xml('BINVAL', {}, base64.replace(/\s+/g, '')));
  const url = info?.attrs.url as string | undefined;
  if (url) return xml('PHOTO', {}, type ? xml('TYPE', {}, type) : undefined, xml('EXTVAL', {}, url));
  return undefined;
}
