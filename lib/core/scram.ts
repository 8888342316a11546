/**
 * @module scram
 * SCRAM primitives (RFC 5802, RFC 7677): credential derivation, HMAC/hash helpers, proof
 * checks, and an approximate SASLprep (RFC 4013). Used by accounts and the SASL module.
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/** The SCRAM hash functions this server supports (SCRAM-SHA-1, SCRAM-SHA-256). */
export type ScramHash = 'SHA-1' | 'SHA-256';

/** The hash functions in order of preference, weakest last. */
export const SCRAM_HASHES: readonly ScramHash[] = Object.freeze(['SHA-256', 'SHA-1']);

/**
 * What the server stores for one hash function (RFC 5802 §2.2, §3): never the password.
 * Binary fields are base64.
 */
export interface ScramCredential {
  /** The salt, base64. */
  salt: string;
  /** PBKDF2 iteration count. */
  iterations: number;
  /** H(ClientKey), base64. */
  storedKey: string;
  /** HMAC(SaltedPassword, "Server Key"), base64. */
  serverKey: string;
}

/** Binary input: a Buffer / Uint8Array, or a string taken as UTF-8. */
export type Bytes = Uint8Array | string;

function nodeAlgorithm(hash: ScramHash): 'sha1' | 'sha256' {
  switch (hash) {
    case 'SHA-1': return 'sha1';
    case 'SHA-256': return 'sha256';
    default: throw new Error(`unsupported SCRAM hash ${String(hash)}`);
  }
}

/** Output size in bytes of the hash function. */
export function hashLength(hash: ScramHash): number {
  return hash === 'SHA-1' ? 20 : 32;
}

/** HMAC(key, data) with the given hash. */
export function hmac(hash: ScramHash, key: Bytes, data: Bytes): Buffer {
  return createHmac(nodeAlgorithm(hash), key).update(data).digest();
}

/** H(data) with the given hash. */
export function digest(hash: ScramHash, data: Bytes): Buffer {
  return createHash(nodeAlgorithm(hash)).update(data).digest();
}

/** Hi(password, salt, i) of RFC 5802 §2.2, which is PBKDF2 with HMAC and dkLen = the hash size. */
export function hi(hash: ScramHash, password: Bytes, salt: Uint8Array, iterations: number): Buffer {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new Error(`SCRAM iteration count must be a positive integer, got ${String(iterations)}`);
  }
  return pbkdf2Sync(password, salt, iterations, hashLength(hash), nodeAlgorithm(hash));
}

/** Byte-wise XOR of two buffers of the same length (throws when the lengths differ). */
export function xorBuffers(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new Error(`cannot XOR buffers of lengths ${a.length} and ${b.length}`);
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Constant-time comparison of two base64 strings by their decoded bytes. False when the
 * lengths differ (length is not secret).
 */
export function timingSafeEqualB64(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

/**
 * Derive the stored credential for a password (RFC 5802 §3):
 * SaltedPassword = Hi(SASLprep(password), salt, i), ClientKey = HMAC(SaltedPassword, "Client Key"),
 * StoredKey = H(ClientKey), ServerKey = HMAC(SaltedPassword, "Server Key").
 * @throws Error when the password contains characters SASLprep prohibits, or `iterations` < 1.
 */
export function deriveScramCredential(
  hash: ScramHash,
  password: string,
  saltBytes: Uint8Array,
  iterations: number,
): ScramCredential {
  const salted = hi(hash, saslprep(password), saltBytes, iterations);
  const clientKey = hmac(hash, salted, 'Client Key');
  return {
    salt: Buffer.from(saltBytes).toString('base64'),
    iterations,
    storedKey: digest(hash, clientKey).toString('base64'),
    serverKey: hmac(hash, salted, 'Server Key').toString('base64'),
  };
}

/**
 * Server side of the client-final message (RFC 5802 §3): ClientKey = ClientProof XOR
 * HMAC(StoredKey, AuthMessage); true when H(ClientKey) equals StoredKey (constant-time).
 */
export function verifyClientProof(
  hash: ScramHash,
  credential: ScramCredential,
  authMessage: string,
  clientProofB64: string,
): boolean {
  const storedKey = Buffer.from(credential.storedKey, 'base64');
  const proof = Buffer.from(clientProofB64, 'base64');
  if (proof.length !== hashLength(hash) || storedKey.length !== hashLength(hash)) return false;
  const clientKey = xorBuffers(proof, hmac(hash, storedKey, authMessage));
  return timingSafeEqual(digest(hash, clientKey), storedKey);
}

/** ServerSignature = HMAC(ServerKey, AuthMessage), base64, for the server-final message `v=`. */
export function serverSignature(hash: ScramHash, credential: ScramCredential, authMessage: string): string {
  return hmac(hash, Buffer.from(credential.serverKey, 'base64'), authMessage).toString('base64');
}

// ---------------------------------------------------------------------------------------------
// SASLprep (RFC 4013, the stringprep profile of RFC 3454). An approximation built on the
// Unicode data of the running engine: mapping (B.1, C.1.2), NFKC, the prohibited tables
// C.1.2-C.9, and the bidi rule with letters of right-to-left scripts standing in for RandALCat.
// Unassigned code points are allowed (the "query" flavour).

/** RFC 3454 B.1: commonly mapped to nothing (code points; several are combining or joiners). */
const MAPPED_TO_NOTHING = new Set([
  0x00ad, 0x034f, 0x1806, 0x180b, 0x180c, 0x180d, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff,
  ...Array.from({ length: 16 }, (_, i) => 0xfe00 + i),
]);
/** RFC 3454 C.1.2: non-ASCII space characters, mapped to SPACE. */
const NON_ASCII_SPACE = new Set([
  0x00a0, 0x1680, 0x202f, 0x205f, 0x3000,
  ...Array.from({ length: 12 }, (_, i) => 0x2000 + i),
]);
/** RFC 3454 C.1.2-C.9, less what the mapping step already removed (spaces, B.1). */
const PROHIBITED = new RegExp(
  [
    '[\\u0000-\\u001F\\u007F]', // C.2.1 ASCII control
    '[\\u0080-\\u009F\\u06DD\\u070F\\u180E\\u2028\\u2029\\u2060-\\u2063\\u206A-\\u206F\\uFEFF\\uFFF9-\\uFFFC]', // C.2.2
    '[\\u{1D173}-\\u{1D17A}]', // C.2.2 musical symbol controls
    '\\p{Co}', // C.3 private use
    '[\\uFDD0-\\uFDEF\\uFFFE\\uFFFF]', // C.4 non-characters
    '[\\u{1FFFE}\\u{1FFFF}\\u{2FFFE}\\u{2FFFF}\\u{3FFFE}\\u{3FFFF}\\u{4FFFE}\\u{4FFFF}\\u{5FFFE}\\u{5FFFF}\\u{6FFFE}\\u{6FFFF}\\u{7FFFE}\\u{7FFFF}\\u{8FFFE}\\u{8FFFF}\\u{9FFFE}\\u{9FFFF}\\u{AFFFE}\\u{AFFFF}\\u{BFFFE}\\u{BFFFF}\\u{CFFFE}\\u{CFFFF}\\u{DFFFE}\\u{DFFFF}\\u{EFFFE}\\u{EFFFF}\\u{FFFFE}\\u{FFFFF}\\u{10FFFE}\\u{10FFFF}]',
    '\\p{Cs}', // C.5 surrogate code points (lone surrogates in a JS string)
    '[\\uFFF9-\\uFFFD]', // C.6 inappropriate for plain text
    '[\\u2FF0-\\u2FFB]', // C.7 inappropriate for canonical representation
    '[\\u0340\\u0341\\u200E\\u200F\\u202A-\\u202E]', // C.8 change display properties
    '[\\u{E0001}\\u{E0020}-\\u{E007F}]', // C.9 tagging characters
  ].join('|'),
  'u',
);
/** Right-to-left scripts: their letters approximate RFC 3454 D.1 (RandALCat). */
const RTL_SCRIPT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}]/u;
/** Letters; those of other scripts approximate RFC 3454 D.2 (LCat). */
const LETTER = /\p{L}/u;

/**
 * SASLprep (RFC 4013), approximately: map B.1 characters to nothing and non-ASCII spaces to
 * SPACE, normalise NFKC, reject prohibited characters and bidi violations.
 * @throws Error (plain) naming the offending code point or rule.
 */
export function saslprep(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (MAPPED_TO_NOTHING.has(cp)) continue;
    out += NON_ASCII_SPACE.has(cp) ? ' ' : ch;
  }
  const mapped = out.normalize('NFKC');
  const bad = PROHIBITED.exec(mapped);
  if (bad) {
    const cp = bad[0].codePointAt(0)!;
    throw new Error(`SASLprep: prohibited character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  checkBidi(mapped);
  return mapped;
}

function checkBidi(s: string): void {
  const chars = Array.from(s);
  const isRandAL = (c: string): boolean => LETTER.test(c) && RTL_SCRIPT.test(c);
  if (!chars.some(isRandAL)) return;
  // RFC 3454 §6: no LCat alongside RandALCat; first and last must be RandALCat.
  if (chars.some((c) => LETTER.test(c) && !RTL_SCRIPT.test(c))) {
    throw new Error('SASLprep: mixes right-to-left and left-to-right characters');
  }
  if (!isRandAL(chars[0]!) || !isRandAL(chars[chars.length - 1]!)) {
    throw new Error('SASLprep: right-to-left string must start and end with a right-to-left character');
  }
}
