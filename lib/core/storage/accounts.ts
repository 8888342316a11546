/**
 * @module storage/accounts
 * User accounts in the key-value store 'accounts': SCRAM-SHA-1 and SCRAM-SHA-256 credentials
 * (salted, iterated) and a creation time. The password itself is never stored.
 */
import { randomBytes } from 'node:crypto';
import { ServerError } from '../errors.js';
import { deriveScramCredential, timingSafeEqualB64, type ScramCredential, type ScramHash } from '../scram.js';
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

/** Options for {@link Accounts}. */
export interface AccountsOptions {
  /** PBKDF2 iteration count for new credentials (`scram_iterations`). */
  readonly iterations: number;
}

const FORBIDDEN = /["&'/:<>@]/u;
const SPACE_OR_CONTROL = /[\s\p{Cc}]/u;

/**
 * Normalise a username (the localpart of a JID) the way JIDs are normalised here: NFC then
 * lower case; non-empty, at most 1023 UTF-8 bytes, none of `"&'/:<>@`, whitespace or controls.
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
  return name;
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

  /** @throws RangeError when `opts.iterations` is not a positive integer. */
  constructor(driver: StorageDriver, opts: AccountsOptions) {
    if (!Number.isSafeInteger(opts.iterations) || opts.iterations < 1) {
      throw new RangeError(`Accounts: iterations must be a positive integer, got ${String(opts.iterations)}`);
    }
    this.#driver = driver;
    this.#iterations = opts.iterations;
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
   * Delete the account and everything the user has stored on the host.
   * @throws ServerError XS_ERR_ACCOUNT_NOT_FOUND.
   */
  delete(host: string, user: string): void {
    const name = tryNormalize(user);
    if (name === undefined || this.#record(host, name) === undefined) {
      throw new ServerError('XS_ERR_ACCOUNT_NOT_FOUND', { user: name ?? String(user), host });
    }
    this.#driver.purgeUser(host, name);
  }

  /**
   * Check a password against the stored SCRAM-SHA-256 credential (recomputed with its salt and
   * iteration count, compared in constant time). False for an unknown user or a password
   * SASLprep rejects.
   */
  verifyPassword(host: string, user: string, password: string): boolean {
    const record = this.#record(host, user);
    if (!record || typeof password !== 'string') return false;
    const hash: ScramHash = record.scram['SHA-256'] ? 'SHA-256' : 'SHA-1';
    const stored = record.scram[hash];
    if (!stored) return false;
    let derived: ScramCredential;
    try {
      derived = deriveScramCredential(hash, password, Buffer.from(stored.salt, 'base64'), stored.iterations);
    } catch {
      return false;
    }
    // Compare both keys, without short-circuiting, so timing does not depend on which differs.
    const storedOk = timingSafeEqualB64(derived.storedKey, stored.storedKey);
    const serverOk = timingSafeEqualB64(derived.serverKey, stored.serverKey);
    return storedOk && serverOk;
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

  #credentials(password: string): Record<ScramHash, ScramCredential> {
    if (typeof password !== 'string') throw new TypeError('Accounts: password must be a string');
    return {
      'SHA-1': deriveScramCredential('SHA-1', password, randomBytes(SALT_BYTES), this.#iterations),
      'SHA-256': deriveScramCredential('SHA-256', password, randomBytes(SALT_BYTES), this.#iterations),
    };
  }
}

function isAccountRecord(value: unknown): value is AccountRecord {
  return typeof value === 'object' && value !== null && typeof (value as AccountRecord).scram === 'object' && (value as AccountRecord).scram !== null;
}
