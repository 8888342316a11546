/**
 * Tests for lib/core/aes-block.ts: AES-128 of one block in JavaScript, against FIPS-197's
 * example and node:crypto's aes-128-ecb, and for lib/core/archive-ids.ts built on it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { Aes128 } from '../../lib/core/aes-block.js';
import { ArchiveIds } from '../../lib/core/archive-ids.js';

/** node:crypto's encryption of the block hi, lo, 0, 0 as base64url. */
function reference(key: Buffer, hi: number, lo: number): string {
  const block = Buffer.alloc(16);
  block.writeUInt32BE(hi, 0);
  block.writeUInt32BE(lo, 4);
  return createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(block).toString('base64url');
}

describe('Aes128', () => {
  it('encrypts the zero block under FIPS-197 appendix A.1\'s key to the known answer', () => {
    const key = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
    assert.equal(new Aes128(key).encryptWords(0, 0), Buffer.from('7df76b0c1ab899b33e42f047b91b546f', 'hex').toString('base64url'));
  });

  it('matches node:crypto aes-128-ecb for random keys and blocks, including the words\' extremes', () => {
    for (let k = 0; k < 50; k++) {
      const key = randomBytes(16);
      const aes = new Aes128(key);
      const words = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, ...Array.from({ length: 20 }, () => randomBytes(4).readUInt32BE(0))];
      for (const hi of words) for (const lo of words.slice(0, 8)) assert.equal(aes.encryptWords(hi, lo), reference(key, hi, lo), `key ${key.toString('hex')} ${hi} ${lo}`);
    }
  });

  it('refuses a key that is not 16 bytes', () => {
    assert.throws(() => new Aes128(Buffer.alloc(24)), RangeError);
  });
});

describe('ArchiveIds', () => {
  it('encodes sort numbers to 22-character ids that decode back, as node:crypto would', () => {
    const key = randomBytes(16);
    const ids = new ArchiveIds(key);
    for (const sort of [1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 1_765_000_000_000_000, Number.MAX_SAFE_INTEGER, 123_456_789_012_345]) {
      const id = ids.encode(sort);
      assert.match(id, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(id, reference(key, Math.floor(sort / 2 ** 32), sort % 2 ** 32));
      assert.equal(ids.decode(id), sort);
    }
    // a block whose last eight bytes are not zero was not made by encode()
    const block = Buffer.alloc(16, 1);
    const foreign = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(block).toString('base64url');
    assert.equal(ids.decode(foreign), undefined, 'not ours: the low words are not zero');
    assert.equal(ids.decode('not an id'), undefined);
  });
});
