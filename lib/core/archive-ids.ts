/**
 * @module archive-ids
 * Public archive ids (XEP-0359 stanza-id, XEP-0313 result ids): "unique within the archive and
 * unpredictable" (XEP-0313 §5.2 / XEP-0359 §4), yet mapped back to a position without an index.
 * An id is the AES-128 encryption, under a key kept in storage, of one block holding the sort
 * number and eight zero bytes; decrypting an id that does not end in those zeros is not ours.
 * Encryption (one per archived message) runs in JavaScript (aes-block.ts), decryption in
 * node:crypto.
 */
import { createDecipheriv, randomBytes, type Decipher } from 'node:crypto';
import { Aes128 } from './aes-block.js';
import type { StorageDriver } from './storage/store.js';

const KEY_HOST = '';
const KEY_STORE = 'archive_ids';
const KEY_USER = 'key';
const ID = /^[A-Za-z0-9_-]{22}$/;

export class ArchiveIds {
  readonly #cipher: Aes128;
  readonly #decipher: Decipher;

  /** The codec with the key stored in `storage`, made (and stored) on first use. */
  static open(storage: StorageDriver): ArchiveIds {
    let key = storage.get(KEY_HOST, KEY_STORE, KEY_USER);
    if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) {
      key = randomBytes(16).toString('base64');
      storage.set(KEY_HOST, KEY_STORE, KEY_USER, key);
    }
    return new ArchiveIds(Buffer.from(key as string, 'base64'));
  }

  constructor(key: Buffer) {
    // ECB on exactly one block per call: a keyed permutation of 128-bit values, nothing chained
    this.#cipher = new Aes128(key);
    this.#decipher = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  }

  /** The public id of a sort number. */
  encode(sort: number): string {
    // the sort number as a big-endian 64-bit integer: two 32-bit words
    return this.#cipher.encryptWords(Math.floor(sort / 0x1_0000_0000), sort >>> 0);
  }

  /** The sort number of a public id, or undefined when it is not an id we made. */
  decode(id: string): number | undefined {
    if (!ID.test(id)) return undefined;
    const bytes = Buffer.from(id, 'base64url');
    if (bytes.length !== 16) return undefined;
    const plain = this.#decipher.update(bytes);
    if (plain.length !== 16 || plain.readBigUInt64BE(8) !== 0n) return undefined;
    const sort = Number(plain.readBigUInt64BE(0));
    return Number.isSafeInteger(sort) ? sort : undefined;
  }
}
