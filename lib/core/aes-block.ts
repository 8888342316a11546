/**
 * @module aes-block
 * AES-128 encryption of single 16-byte blocks (FIPS-197), in JavaScript, for archive ids: one
 * block per archived message, where a call into OpenSSL (its wrapper, a Buffer, base64 in C++)
 * costs about ten times the cipher itself. Same output as `aes-128-ecb` in node:crypto, checked
 * against it by the tests; decryption (rare: reading ids back) stays with node:crypto.
 * The tables are computed at load from the field arithmetic, not written out.
 */

/** GF(2^8) doubling with the AES polynomial x^8 + x^4 + x^3 + x + 1 (FIPS-197 §4.2.1). */
const xtime = (b: number): number => ((b << 1) ^ (b & 0x80 ? 0x1b : 0)) & 0xff;

const SBOX = new Uint8Array(256);
/** SubBytes, ShiftRows and MixColumns of one byte, as a column word, in its four rotations. */
const T0 = new Uint32Array(256);
const T1 = new Uint32Array(256);
const T2 = new Uint32Array(256);
const T3 = new Uint32Array(256);

{
  // FIPS-197 §5.1.1: the S-box is the multiplicative inverse followed by an affine transform
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= xtime(x); // times 3, a generator of the field's multiplicative group
  }
  for (let i = 0; i < 256; i++) {
    const inv = i === 0 ? 0 : exp[(255 - log[i]!) % 255]!;
    let s = inv;
    for (let k = 0, r = inv; k < 4; k++) {
      r = ((r << 1) | (r >> 7)) & 0xff;
      s ^= r;
    }
    SBOX[i] = s ^ 0x63;
  }
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const s2 = xtime(s);
    const s3 = s2 ^ s;
    // MixColumns (§5.1.3) column [2 1 1 3] of the byte, then its rotations
    const t = ((s2 << 24) | (s << 16) | (s << 8) | s3) >>> 0;
    T0[i] = t;
    T1[i] = ((t >>> 8) | (t << 24)) >>> 0;
    T2[i] = ((t >>> 16) | (t << 16)) >>> 0;
    T3[i] = ((t >>> 24) | (t << 8)) >>> 0;
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64 = Uint8Array.from(B64URL, (c) => c.charCodeAt(0));

/** An AES-128 key, expanded once (FIPS-197 §5.2). */
export class Aes128 {
  readonly #rk = new Uint32Array(44);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError('an AES-128 key is 16 bytes');
    const w = this.#rk;
    for (let i = 0; i < 4; i++) w[i] = ((key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!) >>> 0;
    for (let i = 4, rcon = 1; i < 44; i++) {
      let t = w[i - 1]!;
      if (i % 4 === 0) {
        // SubWord(RotWord(t)) xor Rcon
        t = ((SBOX[(t >>> 16) & 255]! << 24) | (SBOX[(t >>> 8) & 255]! << 16) | (SBOX[t & 255]! << 8) | SBOX[t >>> 24]!) ^ (rcon << 24);
        rcon = xtime(rcon);
      }
      w[i] = (w[i - 4]! ^ t) >>> 0;
    }
  }

  /**
   * Encrypt the block holding `hi`, `lo` (two big-endian 32-bit words) and eight zero bytes;
   * returns the 16 bytes of the result as unpadded base64url (22 characters).
   */
  encryptWords(hi: number, lo: number): string {
    const rk = this.#rk;
    let s0 = (hi ^ rk[0]!) >>> 0;
    let s1 = (lo ^ rk[1]!) >>> 0;
    let s2 = rk[2]!;
    let s3 = rk[3]!;
    for (let r = 4; r < 40; r += 4) {
      const t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 255]! ^ T2[(s2 >>> 8) & 255]! ^ T3[s3 & 255]! ^ rk[r]!;
      const t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 255]! ^ T2[(s3 >>> 8) & 255]! ^ T3[s0 & 255]! ^ rk[r + 1]!;
      const t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 255]! ^ T2[(s0 >>> 8) & 255]! ^ T3[s1 & 255]! ^ rk[r + 2]!;
      const t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 255]! ^ T2[(s1 >>> 8) & 255]! ^ T3[s2 & 255]! ^ rk[r + 3]!;
      s0 = t0 >>> 0;
      s1 = t1 >>> 0;
      s2 = t2 >>> 0;
      s3 = t3 >>> 0;
    }
    // the last round has no MixColumns
    const o0 = ((SBOX[s0 >>> 24]! << 24) | (SBOX[(s1 >>> 16) & 255]! << 16) | (SBOX[(s2 >>> 8) & 255]! << 8) | SBOX[s3 & 255]!) ^ rk[40]!;
    const o1 = ((SBOX[s1 >>> 24]! << 24) | (SBOX[(s2 >>> 16) & 255]! << 16) | (SBOX[(s3 >>> 8) & 255]! << 8) | SBOX[s0 & 255]!) ^ rk[41]!;
    const o2 = ((SBOX[s2 >>> 24]! << 24) | (SBOX[(s3 >>> 16) & 255]! << 16) | (SBOX[(s0 >>> 8) & 255]! << 8) | SBOX[s1 & 255]!) ^ rk[42]!;
    const o3 = ((SBOX[s3 >>> 24]! << 24) | (SBOX[(s0 >>> 16) & 255]! << 16) | (SBOX[(s1 >>> 8) & 255]! << 8) | SBOX[s2 & 255]!) ^ rk[43]!;
    return base64url(o0 >>> 0, o1 >>> 0, o2 >>> 0, o3 >>> 0);
  }
}

/** RFC 4648 §5 base64url of four big-endian words, without padding. */
function base64url(a: number, b: number, c: number, d: number): string {
  // 3 bytes -> 4 characters: the 16 bytes are five groups of 24 bits and one byte left
  const g0 = a >>> 8;
  const g1 = ((a & 0xff) << 16) | (b >>> 16);
  const g2 = ((b & 0xffff) << 8) | (c >>> 24);
  const g3 = c & 0xffffff;
  const g4 = d >>> 8;
  const last = d & 0xff;
  return String.fromCharCode(
    B64[g0 >>> 18]!, B64[(g0 >>> 12) & 63]!, B64[(g0 >>> 6) & 63]!, B64[g0 & 63]!,
    B64[g1 >>> 18]!, B64[(g1 >>> 12) & 63]!, B64[(g1 >>> 6) & 63]!, B64[g1 & 63]!,
    B64[g2 >>> 18]!, B64[(g2 >>> 12) & 63]!, B64[(g2 >>> 6) & 63]!, B64[g2 & 63]!,
    B64[g3 >>> 18]!, B64[(g3 >>> 12) & 63]!, B64[(g3 >>> 6) & 63]!, B64[g3 & 63]!,
    B64[g4 >>> 18]!, B64[(g4 >>> 12) & 63]!, B64[(g4 >>> 6) & 63]!, B64[g4 & 63]!,
    B64[last >>> 2]!, B64[(last & 3) << 4]!,
  );
}
