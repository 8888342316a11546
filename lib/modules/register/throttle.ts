/**
 * @module register/throttle
 * When each IP address last registered an account, for min_seconds_between_registrations
 * (the semantics of Prosody's mod_register_limits): bounded to a number of addresses, the
 * oldest forgotten first.
 */
import { normalizeIp } from '../../core/api.js';

const canonicalIp = (ip: string): string => normalizeIp(ip) ?? ip;

/** Per-address time of the last registration, in a table of at most `capacity` entries. */
export class RegistrationThrottle {
  /** Address -> ms of its last registration; kept in time order (re-inserted on update). */
  readonly #last = new Map<string, number>();
  readonly #intervalMs: number;
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(intervalMs: number, capacity: number, now: () => number = Date.now) {
    if (!(intervalMs >= 0) || !Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError('RegistrationThrottle: intervalMs must be >= 0 and capacity a positive integer');
    }
    this.#intervalMs = intervalMs;
    this.#capacity = capacity;
    this.#now = now;
  }

  /** Addresses held now (never more than the capacity). */
  get size(): number {
    return this.#last.size;
  }

  /** Milliseconds `ip` must still wait before it may register (0: now). */
  wait(ip: string): number {
    const last = this.#last.get(canonicalIp(ip));
    if (last === undefined) return 0;
    return Math.max(0, last + this.#intervalMs - this.#now());
  }

  /**
   * Record a registration from `ip` now; returns a function that takes it back (for a
   * registration that did not happen after all).
   */
  record(ip: string): () => void {
    if (this.#intervalMs === 0) return () => undefined;
    const key = canonicalIp(ip);
    const previous = this.#last.get(key);
    const when = this.#now();
    this.#last.delete(key);
    this.#evict();
    this.#last.set(key, when);
    return () => {
      if (this.#last.get(key) !== when) return;
      this.#last.delete(key);
      if (previous !== undefined && previous + this.#intervalMs > this.#now()) this.#last.set(key, previous);
    };
  }

  /** Forget the addresses whose wait is over. */
  sweep(): void {
    const cutoff = this.#now() - this.#intervalMs;
    for (const [key, when] of this.#last) {
      if (when > cutoff) break; // time order: the rest are newer
      this.#last.delete(key);
    }
  }

  /** Make room for one entry: expired ones first, then the oldest. */
  #evict(): void {
    if (this.#last.size < this.#capacity) return;
    this.sweep();
    while (this.#last.size >= this.#capacity) this.#last.delete(this.#last.keys().next().value as string);
  }
}
