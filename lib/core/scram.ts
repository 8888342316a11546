/**
 * @module scram
 * SCRAM primitives (RFC 5802, RFC 7677): credential derivation (synchronous, and asynchronous
 * on the libuv thread pool for run-time paths), HMAC/hash helpers, proof checks, and SASLprep
 * (RFC 4013, by the maintained @mongodb-js/saslprep). Used by accounts and the SASL module.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { saslprep as saslprepProfile } from '@mongodb-js/saslprep';

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

function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new Error(`SCRAM iteration count must be a positive integer, got ${String(iterations)}`);
  }
}

/**
 * Hi(password, salt, i) of RFC 5802 §2.2, which is PBKDF2 with HMAC and dkLen = the hash size.
 * Synchronous: it blocks the event loop for the whole derivation, so only for start-up, the
 * command line and tests; run-time paths use {@link hiAsync}.
 */
export function hi(hash: ScramHash, password: Bytes, salt: Uint8Array, iterations: number): Buffer {
  checkIterations(iterations);
  return pbkdf2Sync(password, salt, iterations, hashLength(hash), nodeAlgorithm(hash));
}

/** {@link hi} on the libuv thread pool (crypto.pbkdf2): the event loop stays free meanwhile. */
export function hiAsync(hash: ScramHash, password: Bytes, salt: Uint8Array, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    checkIterations(iterations);
    pbkdf2(password, salt, iterations, hashLength(hash), nodeAlgorithm(hash), (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
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
  prep: SaslprepOptions = {},
): ScramCredential {
  return credentialFrom(hash, hi(hash, saslprep(password, prep), saltBytes, iterations), saltBytes, iterations);
}

/**
 * {@link deriveScramCredential} with the PBKDF2 step on the libuv thread pool.
 * @throws (rejects) Error when SASLprep prohibits the password, or `iterations` < 1.
 */
export async function deriveScramCredentialAsync(
  hash: ScramHash,
  password: string,
  saltBytes: Uint8Array,
  iterations: number,
  prep: SaslprepOptions = {},
): Promise<ScramCredential> {
  const prepped = saslprep(password, prep);
  return credentialFrom(hash, await hiAsync(hash, prepped, saltBytes, iterations), saltBytes, iterations);
}

function credentialFrom(hash: ScramHash, salted: Buffer, saltBytes: Uint8Array, iterations: number): ScramCredential {
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
// SASLprep (RFC 4013, the stringprep profile of RFC 3454), by @mongodb-js/saslprep, which
// carries the RFC 3454 tables: mapping (B.1, C.1.2), NFKC, prohibited output (C.1.2-C.9),
// unassigned code points (A.1) and the bidi rule (§6).

/** How {@link saslprep} treats unassigned code points (RFC 4013 §2.5, RFC 3454 §7). */
export interface SaslprepOptions {
  /**
   * Allow code points unassigned in Unicode 3.2 ("queries", e.g. a name or password a client
   * presents). Default false: "stored strings" (what is derived and kept) must not have them.
   */
  readonly allowUnassigned?: boolean;
}

/**
 * SASLprep (RFC 4013): map B.1 characters to nothing and non-ASCII spaces to SPACE, normalise
 * NFKC, reject prohibited characters, unassigned code points (unless allowed) and bidi
 * violations.
 * @throws Error (plain) "SASLprep: ..." naming the rule: prohibited character, unassigned code
 * point, or right-to-left (bidi).
 */
export function saslprep(s: string, opts: SaslprepOptions = {}): string {
  if (typeof s !== 'string') throw new Error('SASLprep: the input must be a string');
  try {
    return saslprepProfile(s, { allowUnassigned: opts.allowUnassigned === true });
  } catch (err) {
    throw new Error(`SASLprep: ${reasonOf(err)}`, { cause: err });
  }
}

/** The rule the profile's error names, in the words of RFC 4013 (the library's text varies). */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/prohibited/i.test(message)) return 'prohibited character (RFC 4013 §2.3)';
  if (/unassigned/i.test(message)) return 'unassigned code point (RFC 4013 §2.5)';
  if (/RandALCat|bidi/i.test(message)) return 'right-to-left text breaks the bidi rule (RFC 4013 §2.4, RFC 3454 §6)';
  return 'invalid string';
}
