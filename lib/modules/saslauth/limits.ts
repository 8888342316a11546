/**
 * @module saslauth/limits
 * The failure throttle (the idea of Prosody's community module mod_limit_auth): failed
 * authentications counted per IP address and per account in windows of `limit_auth_period`;
 * at the limit, further attempts are refused before any credential is checked. Once a key has
 * failed, attempts still being checked count too, so parallel connections cannot slip past the
 * limit; a key without failures is never held back (many clients behind one address logging in
 * at once, a restart storm). Both tables are bounded: expired entries go first, then the oldest.
 */

/** Why an attempt is refused: its IP address or its account reached the limit. */
export type ThrottleReason = 'ip' | 'account';

/** Options of {@link AuthThrottle}. */
export interface AuthThrottleOptions {
  /** Window length in ms (`limit_auth_period`). */
  readonly periodMs: number;
  /** Failures per IP address per window (`limit_auth_max`). */
  readonly maxPerIp: number;
  /** Failures per account per window (`limit_auth_account_max`). */
  readonly maxPerAccount: number;
  /** Entries per table (`limit_auth_cache_size`). */
  readonly capacity: number;
  /** The clock (ms); Date.now by default. */
  readonly now?: () => number;
}

/** One admitted attempt: settle it once its outcome is known. */
export interface AuthAttempt {
  /** `failed`: a credential check failed (counts against the limits). Idempotent. */
  settle(failed: boolean): void;
}

interface Entry {
  /** Start of the current window (ms). */
  since: number;
  failures: number;
  /** Admitted attempts not settled yet. */
  pending: number;
}

/** Failures per key in fixed windows, with at most `capacity` keys. */
export class FailureTable {
  readonly #entries = new Map<string, Entry>();
  readonly #periodMs: number;
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(periodMs: number, capacity: number, now: () => number = Date.now) {
    if (!(periodMs > 0) || !Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError('FailureTable: periodMs must be > 0 and capacity a positive integer');
    }
    this.#periodMs = periodMs;
    this.#capacity = capacity;
    this.#now = now;
  }

  /** Keys held now (never more than the capacity). */
  get size(): number {
    return this.#entries.size;
  }

  /** Failures in the current window, plus attempts under way once there is a failure. */
  load(key: string): number {
    const e = this.#current(key);
    return e === undefined || e.failures === 0 ? 0 : e.failures + e.pending;
  }

  /** An attempt for `key` starts. */
  begin(key: string): void {
    const e = this.#current(key) ?? this.#insert(key);
    e.pending++;
  }

  /** An attempt that {@link begin} started ends; `failed` counts it. */
  end(key: string, failed: boolean): void {
    const e = this.#current(key) ?? (failed ? this.#insert(key) : undefined);
    if (e === undefined) return;
    if (e.pending > 0) e.pending--;
    if (failed) e.failures++;
    if (e.failures === 0 && e.pending === 0) this.#entries.delete(key);
  }

  /** Drop the entries whose window is over and that have nothing under way. */
  sweep(): void {
    const now = this.#now();
    for (const [key, e] of this.#entries) if (this.#expired(e, now) && e.pending === 0) this.#entries.delete(key);
  }

  /** The entry of `key` with its window brought up to date (undefined when there is none). */
  #current(key: string): Entry | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (this.#expired(e, this.#now())) {
      if (e.pending === 0) {
        this.#entries.delete(key);
        return undefined;
      }
      e.failures = 0;
      e.since = this.#now();
      // Re-insert so the Map's order stays roughly by window start (oldest first).
      this.#entries.delete(key);
      this.#entries.set(key, e);
    }
    return e;
  }

  #insert(key: string): Entry {
    if (this.#entries.size >= this.#capacity) {
      const now = this.#now();
      // Oldest windows first: drop expired ones; when all are live, drop the oldest.
      for (const [k, e] of this.#entries) {
        if (this.#entries.size < this.#capacity) break;
        if (this.#expired(e, now) && e.pending === 0) this.#entries.delete(k);
        else break;
      }
      while (this.#entries.size >= this.#capacity) {
        const oldest = this.#entries.keys().next().value as string;
        this.#entries.delete(oldest);
      }
    }
    const e: Entry = { since: this.#now(), failures: 0, pending: 0 };
    this.#entries.set(key, e);
    return e;
  }

  #expired(e: Entry, now: number): boolean {
    return now - e.since >= this.#periodMs;
  }
}

/** The per-IP and per-account tables together. */
export class AuthThrottle {
  readonly #ips: FailureTable;
  readonly #accounts: FailureTable;
  readonly #maxPerIp: number;
  readonly #maxPerAccount: number;

  constructor(o: AuthThrottleOptions) {
    this.#ips = new FailureTable(o.periodMs, o.capacity, o.now);
    this.#accounts = new FailureTable(o.periodMs, o.capacity, o.now);
    this.#maxPerIp = o.maxPerIp;
    this.#maxPerAccount = o.maxPerAccount;
  }

  /** How many keys each table holds. */
  get sizes(): { ips: number; accounts: number } {
    return { ips: this.#ips.size, accounts: this.#accounts.size };
  }

  /** Why an attempt from `ip` (for `account`, when known) must be refused now; undefined: go on. */
  blocked(ip: string, account?: string): ThrottleReason | undefined {
    if (this.#ips.load(ip) >= this.#maxPerIp) return 'ip';
    if (account !== undefined && this.#accounts.load(account) >= this.#maxPerAccount) return 'account';
    return undefined;
  }

  /** Start an attempt: it counts against both limits until settled. */
  begin(ip: string, account?: string): AuthAttempt {
    this.#ips.begin(ip);
    if (account !== undefined) this.#accounts.begin(account);
    let settled = false;
    return {
      settle: (failed) => {
        if (settled) return;
        settled = true;
        this.#ips.end(ip, failed);
        if (account !== undefined) this.#accounts.end(account, failed);
      },
    };
  }

  /** Forget what no longer matters (call now and then). */
  sweep(): void {
    this.#ips.sweep();
    this.#accounts.sweep();
  }
}
