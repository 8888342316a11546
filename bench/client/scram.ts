/**
 * @module bench/client/scram
 * The client side of SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677) for the load
 * generator, written without the server's code. Derived keys are cached per (hash, password,
 * salt, iterations), as real clients do.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** The keys a client derives from its password (RFC 5802 §3). */
interface DerivedKeys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** The SCRAM hash functions the bench client speaks, as SASL names them. */
export type ScramMechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

/** Node's digest name and output size of each mechanism's hash (RFC 5802 §2.2, RFC 7677 §3). */
const HASHES: Readonly<Record<ScramMechanism, { readonly digest: 'sha1' | 'sha256'; readonly size: number }>> = {
  'SCRAM-SHA-1': { digest: 'sha1', size: 20 },
  'SCRAM-SHA-256': { digest: 'sha256', size: 32 },
};

/** Derived keys, shared by every connection of the process. */
const cache = new Map<string, Promise<DerivedKeys>>();

/** How many PBKDF2 derivations this process ran (the rest came from the cache). */
export let derivations = 0;

function hmac(digest: 'sha1' | 'sha256', key: Buffer, data: string): Buffer {
  return createHmac(digest, key).update(data).digest();
}

function keysFor(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<DerivedKeys> {
  // SCRAM-SHA-1 ids keep the form of caches saved before SCRAM-SHA-256 was added
  const id = `${mechanism === 'SCRAM-SHA-1' ? '' : `${mechanism}\0`}${password}\0${salt.toString('base64')}\0${iterations}`;
  let keys = cache.get(id);
  if (keys === undefined) {
    derivations++;
    const { digest, size } = HASHES[mechanism];
    // Hi() of RFC 5802 §2.2 is PBKDF2 with the mechanism's HMAC; async so it runs off the event loop.
    keys = pbkdf2Async(password, salt, iterations, size, digest).then((salted) => {
      const clientKey = hmac(digest, salted, 'Client Key');
      return { clientKey, storedKey: createHash(digest).update(clientKey).digest(), serverKey: hmac(digest, salted, 'Server Key') };
    });
    cache.set(id, keys);
  }
  return keys;
}

/** Escape a SASL name (RFC 5802 §5.1: ',' and '='). */
function saslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** One SCRAM exchange (SCRAM-SHA-1 unless told), step by step. */
export class ScramClient {
  readonly #mechanism: ScramMechanism;
  readonly #password: string;
  readonly #clientFirstBare: string;
  readonly #nonce: string;
  #serverSignature: Buffer | undefined;

  constructor(user: string, password: string, mechanism: ScramMechanism = 'SCRAM-SHA-1') {
    this.#mechanism = mechanism;
    this.#password = password;
    this.#nonce = randomBytes(18).toString('base64');
    this.#clientFirstBare = `n=${saslName(user)},r=${this.#nonce}`;
  }

  /** The initial response: gs2 header (no channel binding) + client-first-message-bare. */
  first(): string {
    return `n,,${this.#clientFirstBare}`;
  }

  /** The client-final-message for the server-first-message, or an Error describing the problem. */
  async final(serverFirst: string): Promise<string> {
    const attrs = attributes(serverFirst);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce?.startsWith(this.#nonce) || salt === undefined || !Number.isSafeInteger(iterations) || iterations < 1) {
      throw new Error('bad SCRAM server-first-message');
    }
    const keys = await keysFor(this.#mechanism, this.#password, Buffer.from(salt, 'base64'), iterations);
    const digest = HASHES[this.#mechanism].digest;
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(digest, keys.storedKey, authMessage);
    const proof = Buffer.allocUnsafe(signature.length);
    for (let i = 0; i < proof.length; i++) proof[i] = keys.clientKey[i]! ^ signature[i]!;
    this.#serverSignature = hmac(digest, keys.serverKey, authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** True when the server-final-message proves the server knew the credential (RFC 5802 §3). */
  verify(serverFinal: string): boolean {
    const v = attributes(serverFinal).get('v');
    if (v === undefined || this.#serverSignature === undefined) return false;
    const got = Buffer.from(v, 'base64');
    return got.length === this.#serverSignature.length && timingSafeEqual(got, this.#serverSignature);
  }
}

/** Load derived keys a previous scenario process saved (a missing file is an empty cache). */
export function loadKeyCache(file: string | undefined): void {
  if (!file || !existsSync(file)) return;
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, [string, string, string]>;
  for (const [id, [clientKey, storedKey, serverKey]] of Object.entries(data)) {
    cache.set(id, Promise.resolve({ clientKey: Buffer.from(clientKey, 'base64'), storedKey: Buffer.from(storedKey, 'base64'), serverKey: Buffer.from(serverKey, 'base64') }));
  }
}

/** Save the derived keys for the next scenario process (benchmark accounts only). */
export async function saveKeyCache(file: string | undefined): Promise<void> {
  if (!file) return;
  const data: Record<string, [string, string, string]> = {};
  for (const [id, keys] of cache) {
    const k = await keys.catch(() => undefined);
    if (k) data[id] = [k.clientKey.toString('base64'), k.storedKey.toString('base64'), k.serverKey.toString('base64')];
  }
  writeFileSync(file, JSON.stringify(data));
}
