/**
 * @module storage/accounts
 * User accounts in the key-value store 'accounts': SCRAM-SHA-1 and SCRAM-SHA-256 credentials
 * (salted, iterated) and a creation time. The password itself is never stored.
 *
 * Each derivation is one PBKDF2 run. The synchronous methods block the event loop for it (the
 * command line and tests use them); run-time paths use the `...Async` ones, which run PBKDF2 on
 * the libuv thread pool. Verifying a password for an unknown user does the same PBKDF2 work as
 * for a real one, so the answer time does not tell which accounts exist.
 */
import { randomBytes } from 'node:crypto';
import { ServerError } from '../errors.js';
import { localpart, PrecisError } from '../precis.js';
import {
  deriveScramCredential, deriveScramCredentialAsync, hi, hiAsync, hmac, saslprep, timingSafeEqualB64,
  type ScramCredential, type ScramHash,
} from '../scram.js';
import type { StorageDriver } from './store.js';

/** The key-value store holding account records. */
export const ACCOUNTS_STORE = 'accounts';

/** Salt length in bytes, per credential. */
const SALT_BYTES = 16;

/** What is stored per account. */
export interface AccountRecord {
  scram: Record<ScramHash, ScramCredential>;
  /** ms since the epoch */
  created: number;
}

/** RFC 4013 §2.5: a password a client presents is a "query" (unassigned code points allowed). */
const QUERY = { allowUnassigned: true } as const;
/** What a verification derives with when there is no account to check against. */
const DECOY_HASH: ScramHash = 'SHA-256';

/** Options for {@link Accounts}. */
export interface AccountsOptions {
  /** PBKDF2 iteration count for new credentials (`scram_iterations`). */
  readonly iterations: number;
  /**
   * Called after an account was deleted and its data purged (the server fires `user-deleted`
   * on the host's bus from here, so every deletion path, in-band or not, is seen by modules).
   */
  readonly deleted?: (host: string, username: string) => void;
}

const FORBIDDEN = /["&'/:<>@]/u;
const SPACE_OR_CONTROL = /[\s\p{Cc}]/u;

/**
 * Normalise a username (the localpart of a JID) the way JIDs are normalised here: PRECIS
 * UsernameCaseMapped (width mapping, lower case, NFC); non-empty, at most 1023 UTF-8 bytes,
 * none of `"&'/:<>@`, whitespace, controls or characters PRECIS refuses (zero-width, ...).
 * @throws ServerError XS_ERR_USERNAME_INVALID with the reason.
 * @example normalizeUsername('Juliet') // 'juliet'
 */
export function normalizeUsername(user: string): string {
  const invalid = (reason: string): ServerError<'XS_ERR_USERNAME_INVALID'> =>
    new ServerError('XS_ERR_USERNAME_INVALID', { user: String(user), reason });
  if (typeof user !== 'string') throw invalid('it must be a string');
  const name = user.normalize('NFC').toLowerCase();
  if (!name) throw invalid('it is empty');
  if (Buffer.byteLength(name, 'utf8') > 1023) throw invalid('it is longer than 1023 bytes');
  const bad = FORBIDDEN.exec(name)?.[0];
  if (bad) throw invalid(`it contains the character ${JSON.stringify(bad)}`);
  if (SPACE_OR_CONTROL.test(name)) throw invalid('it contains whitespace or a control character');
  // RFC 7622 §3.3, RFC 8265 §3.3: the same mapping a JID's localpart gets, so a look-alike
  // (fullwidth letters) is the same account and an invisible character is refused.
  try {
    return localpart(user);
  } catch (err) {
    throw invalid(err instanceof PrecisError ? err.reason : String(err));
  }
}

/** The normalised username, or undefined when it is not a valid one. */
function tryNormalize(user: string): string | undefined {
  try {
    return normalizeUsername(user);
  } catch {
    return undefined;
  }
}

/**
 * Accounts on a storage driver. Usernames are normalised on every call, so `Juliet` and
 * `juliet` are the same account.
 * @example
 * const accounts = new Accounts(driver, { iterations: 10000 });
 * accounts.create('example.org', 'juliet', 'r0m30');
 * accounts.verifyPassword('example.org', 'juliet', 'r0m30'); // true
 */
export class Accounts {
  readonly #driver: StorageDriver;
  readonly #iterations: number;
  readonly #deleted: ((host: string, username: string) => void) | undefined;
  /** Per-instance secret for the salts of decoy derivations (unknown users). */
  readonly #decoySecret = randomBytes(32);

  /** @throws RangeError when `opts.iterations` is not a positive integer. */
  constructor(driver: StorageDriver, opts: AccountsOptions) {
    if (!Number.isSafeInteger(opts.iterations) || opts.iterations < 1) {
      throw new RangeError(`Accounts: iterations must be a positive integer, got ${String(opts.iterations)}`);
    }
    this.#driver = driver;
    this.#iterations = opts.iterations;
    this.#deleted = opts.deleted;
  }

  /** True when the account exists (false for an invalid username). */
  exists(host: string, user: string): boolean {
    return this.#record(host, user) !== undefined;
  }

  /**
   * Create an account and return its normalised username.
   * @throws ServerError XS_ERR_USERNAME_INVALID, XS_ERR_ACCOUNT_EXISTS; Error when SASLprep
   * rejects the password.
   */
  create(host: string, user: string, password: string): string {
    const name = normalizeUsername(user);
    if (this.#driver.get(host, ACCOUNTS_STORE, name) !== undefined) {
      throw new ServerError('XS_ERR_ACCOUNT_EXISTS', { user: name, host });
    }
    const record: AccountRecord = { scram: this.#credentials(password), created: Date.now() };
    this.#driver.set(host, ACCOUNTS_STORE, name, record);
    return name;
  }

  /**
   * {@link create} with the PBKDF2 work on the thread pool. The name is checked before and again
   * after the derivation, so of two concurrent creations of one name only the first succeeds.
   * @throws (rejects) as {@link create}.
   */
  async createAsync(host: string, user: string, password: string): Promise<string> {
    const name = normalizeUsername(user);
    const exists = (): ServerError<'XS_ERR_ACCOUNT_EXISTS'> => new ServerError('XS_ERR_ACCOUNT_EXISTS', { user: name, host });
    if (this.#driver.get(host, ACCOUNTS_STORE, name) !== undefined) throw exists();
    const scram = await this.#credentialsAsync(password);
    if (this.#driver.get(host, ACCOUNTS_STORE, name) !== undefined) throw exists();
    this.#driver.set(host, ACCOUNTS_STORE, name, { scram, created: Date.now() } satisfies AccountRecord);
    return name;
  }

  /**
   * Replace the account's credentials (new salts too).
   * @throws ServerError XS_ERR_ACCOUNT_NOT_FOUND; Error when SASLprep rejects the password.
   */
  setPassword(host: string, user: string, password: string): void {
    const name = tryNormalize(user);
    const record = name === undefined ? undefined : this.#record(host, name);
    if (name === undefined || record === undefined) throw new ServerError('XS_ERR_ACCOUNT_NOT_FOUND', { user: name ?? String(user), host });
    this.#driver.set(host, ACCOUNTS_STORE, name, { ...record, scram: this.#credentials(password) } satisfies AccountRecord);
  }

  /**
   * {@link setPassword} with the PBKDF2 work on the thread pool. The account is looked up again
   * after the derivation: one deleted meanwhile is not brought back.
   * @throws (rejects) as {@link setPassword}.
   */
  async setPasswordAsync(host: string, user: string, password: string): Promise<void> {
    const name = tryNormalize(user);
    const notFound = (): ServerError<'XS_ERR_ACCOUNT_NOT_FOUND'> => new ServerError('XS_ERR_ACCOUNT_NOT_FOUND', { user: name ?? String(user), host });
    if (name === undefined || this.#record(host, name) === undefined) throw notFound();
    const scram = await this.#credentialsAsync(password);
    const record = this.#record(host, name);
    if (record === undefined) throw notFound();
    this.#driver.set(host, ACCOUNTS_STORE, name, { ...record, scram } satisfies AccountRecord);
  }

  /**
   * Delete the account and everything the user has stored on the host, then tell the
   * `deleted` callback (see {@link AccountsOptions}).
   * @throws ServerError XS_ERR_ACCOUNT_NOT_FOUND.
   */
  delete(host: string, user: string): void {
    const name = tryNormalize(user);
    if (name === undefined || this.#record(host, name) === undefined) {
      throw new ServerError('XS_ERR_ACCOUNT_NOT_FOUND', { user: name ?? String(user), host });
    }
    this.#driver.purgeUser(host, name);
    this.#deleted?.(host, name);
  }

  /**
   * Check a password against the stored SCRAM-SHA-256 credential (recomputed with its salt and
   * iteration count, compared in constant time). False for an unknown user or a password
   * SASLprep rejects, after the same PBKDF2 work as for a real account (see {@link rejectPassword}).
   */
  verifyPassword(host: string, user: string, password: string): boolean {
    const target = this.#verificationTarget(host, user);
    if (target === undefined || typeof password !== 'string') {
      this.rejectPassword(host, user, password);
      return false;
    }
    let derived: ScramCredential;
    try {
      derived = deriveScramCredential(target.hash, password, Buffer.from(target.stored.salt, 'base64'), target.stored.iterations, QUERY);
    } catch {
      this.rejectPassword(host, user, password);
      return false;
    }
    return matches(derived, target.stored);
  }

  /** {@link verifyPassword} with the PBKDF2 work on the thread pool (the event loop stays free). */
  async verifyPasswordAsync(host: string, user: string, password: string): Promise<boolean> {
    const target = this.#verificationTarget(host, user);
    if (target === undefined || typeof password !== 'string') return this.rejectPasswordAsync(host, user, password);
    let derived: ScramCredential;
    try {
      derived = await deriveScramCredentialAsync(target.hash, password, Buffer.from(target.stored.salt, 'base64'), target.stored.iterations, QUERY);
    } catch {
      return this.rejectPasswordAsync(host, user, password);
    }
    const ok = matches(derived, target.stored);
    if (ok && target.hash === 'SHA-1') await this.#addSha256(host, user, password, target.stored);
    return ok;
  }

  /**
   * An account that only has SCRAM-SHA-1 keys (imported from Prosody) gets SCRAM-SHA-256 keys
   * the first time its password is seen (a PLAIN login), unless the credentials changed meanwhile.
   */
  async #addSha256(host: string, user: string, password: string, sha1: ScramCredential): Promise<void> {
    let sha256: ScramCredential;
    try {
      sha256 = await deriveScramCredentialAsync('SHA-256', password, randomBytes(SALT_BYTES), this.#iterations);
    } catch {
      return;
    }
    const name = tryNormalize(user);
    const record = name === undefined ? undefined : this.#record(host, name);
    if (name === undefined || record === undefined || record.scram['SHA-256'] || record.scram['SHA-1']?.storedKey !== sha1.storedKey) return;
    this.#driver.set(host, ACCOUNTS_STORE, name, { ...record, scram: { ...record.scram, 'SHA-256': sha256 } } satisfies AccountRecord);
  }

  /**
   * Fail a password check without an account to check against, after the work a real check
   * costs: one PBKDF2 (SCRAM-SHA-256, `iterations` of these options) with a salt derived from
   * a per-instance secret, the host and `user`. Callers that refuse an identity before looking
   * it up (a name SASLprep rejects, say) use this so the refusal takes as long as a wrong
   * password would. Always false.
   */
  rejectPassword(host: string, user: unknown, password: unknown): false {
    hi(DECOY_HASH, decoyInput(password), this.#decoySalt(host, user), this.#iterations);
    return false;
  }

  /** {@link rejectPassword} with the PBKDF2 work on the thread pool. Always resolves false. */
  async rejectPasswordAsync(host: string, user: unknown, password: unknown): Promise<false> {
    await hiAsync(DECOY_HASH, decoyInput(password), this.#decoySalt(host, user), this.#iterations);
    return false;
  }

  /** The stored SCRAM credential for `hash` (a copy), or undefined for an unknown user. */
  scramCredential(host: string, user: string, hash: ScramHash): ScramCredential | undefined {
    const cred = this.#record(host, user)?.scram[hash];
    return cred === undefined ? undefined : { ...cred };
  }

  /** The usernames on a host, sorted. */
  list(host: string): string[] {
    return this.#driver.users(host, ACCOUNTS_STORE);
  }

  #record(host: string, user: string): AccountRecord | undefined {
    const name = tryNormalize(user);
    if (name === undefined) return undefined;
    const value = this.#driver.get(host, ACCOUNTS_STORE, name);
    return isAccountRecord(value) ? value : undefined;
  }

  /** The credential a password is verified against: SCRAM-SHA-256 when stored, else SHA-1. */
  #verificationTarget(host: string, user: string): { hash: ScramHash; stored: ScramCredential } | undefined {
    const record = this.#record(host, user);
    if (!record) return undefined;
    const hash: ScramHash = record.scram['SHA-256'] ? 'SHA-256' : 'SHA-1';
    const stored = record.scram[hash];
    return stored ? { hash, stored } : undefined;
  }

  /** A stable salt per (host, user) for decoy derivations, unpredictable without the secret. */
  #decoySalt(host: string, user: unknown): Buffer {
    return hmac('SHA-256', this.#decoySecret, `${String(host)}\0${String(user)}`).subarray(0, SALT_BYTES);
  }

  // New credentials are "stored strings" (RFC 4013 §2.5): saslprep's default refuses
  // unassigned code points.
  #credentials(password: string): Record<ScramHash, ScramCredential> {
    if (typeof password !== 'string') throw new TypeError('Accounts: password must be a string');
    return {
      'SHA-1': deriveScramCredential('SHA-1', password, randomBytes(SALT_BYTES), this.#iterations),
      'SHA-256': deriveScramCredential('SHA-256', password, randomBytes(SALT_BYTES), this.#iterations),
    };
  }

  async #credentialsAsync(password: string): Promise<Record<ScramHash, ScramCredential>> {
    if (typeof password !== 'string') throw new TypeError('Accounts: password must be a string');
    const [sha1, sha256] = await Promise.all([
      deriveScramCredentialAsync('SHA-1', password, randomBytes(SALT_BYTES), this.#iterations),
      deriveScramCredentialAsync('SHA-256', password, randomBytes(SALT_BYTES), this.#iterations),
    ]);
    return { 'SHA-1': sha1, 'SHA-256': sha256 };
  }
}

/** Both keys equal, compared without short-circuiting so timing does not tell which differs. */
function matches(derived: ScramCredential, stored: ScramCredential): boolean {
  const storedOk = timingSafeEqualB64(derived.storedKey, stored.storedKey);
  const serverOk = timingSafeEqualB64(derived.serverKey, stored.serverKey);
  return storedOk && serverOk;
}

/** What a decoy derivation hashes: the password as SASLprep leaves it, else its raw text. */
function decoyInput(password: unknown): string {
  const text = typeof password === 'string' ? password : '';
  try {
    return saslprep(text, QUERY);
  } catch {
    return text;
  }
}

function isAccountRecord(value: unknown): value is AccountRecord {
  return typeof value === 'object' && value !== null && typeof (value as AccountRecord).scram === 'object' && (value as AccountRecord).scram !== null;
}
