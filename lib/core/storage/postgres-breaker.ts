/**
 * @module storage/postgres-breaker
 * A circuit breaker for the PostgreSQL workers. A failure that says the database cannot be
 * reached (refused or reset connection, connection timeout, the server shutting down, a query
 * that got no answer in time) opens it: from then on every operation fails at once, without
 * a network wait, while a probe (`SELECT 1`) retries in the background (every 250 ms, backing
 * off to 2 s). The first probe that succeeds closes it: the server recovers without a restart.
 * An ordinary SQL error (a constraint, a syntax error) leaves it closed.
 */

/** Error codes of a database that cannot be reached (Node's socket errors and SQLSTATE class 08, 57P0x). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** What an operation fails with while the breaker is open (not itself a new failure). */
export class BreakerOpenError extends Error {}

/** Whether `err` means "the database is unreachable" rather than "this statement failed". */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/i.test(message);
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 2000;

export class Breaker {
  readonly #probe: () => Promise<void>;
  readonly #onChange: (open: boolean, reason: string) => void;
  #open: { since: number; reason: string } | undefined;
  #retryMs = FIRST_RETRY_MS;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  /** `probe` resolves when the database answers; `onChange` hears when the breaker opens and closes. */
  constructor(probe: () => Promise<void>, onChange: (open: boolean, reason: string) => void = () => undefined) {
    this.#probe = probe;
    this.#onChange = onChange;
  }

  /** Why operations fail at once now, or undefined when the breaker is closed. */
  get reason(): string | undefined {
    const o = this.#open;
    return o && `the database is unreachable (since ${new Date(o.since).toISOString()}, retrying in the background): ${o.reason}`;
  }

  /** Tell it about a failure; returns whether it opened (or stays open) because of it. */
  failed(err: unknown): boolean {
    if (err instanceof BreakerOpenError) return true;
    if (!isUnreachable(err)) return false;
    if (this.#open === undefined && !this.#stopped) {
      this.#open = { since: Date.now(), reason: (err as Error).message };
      this.#retryMs = FIRST_RETRY_MS;
      this.#onChange(true, this.#open.reason);
      this.#schedule();
    }
    return true;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#probe().then(() => {
        if (this.#open === undefined) return;
        this.#open = undefined;
        this.#onChange(false, 'the database answers again');
      }, (err: unknown) => {
        if (this.#open !== undefined) this.#open = { since: this.#open.since, reason: (err as Error).message };
        this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
        this.#schedule();
      });
    }, this.#retryMs);
  }

  /** Stop probing (the worker is closing). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}
