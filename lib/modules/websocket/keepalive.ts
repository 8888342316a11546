/**
 * @module websocket/keepalive
 * One shared sweep for every WebSocket connection of a server: a coarse clock and one timer,
 * as fine as the shortest interval in use, that visits each connection with `tick(now)`.
 * What a connection checks then (pings every websocket_ping_interval, the pong deadline, the
 * read-timeout keepalive chain) is its Liveness (liveness.ts). No timer per connection.
 */

/** A coarse clock the sweep advances; connections read it instead of calling Date.now(). */
export interface Clock {
  now: number;
}

/** Something the sweep visits: a connection with its own deadlines. */
export interface Sweepable {
  tick(now: number): void;
}

/** Shortest and longest sweep period (ms). */
const MIN_TICK = 50;
const MAX_TICK = 1000;

/** The sweep period for the shortest interval in use: a quarter of it, within bounds. */
export function tickFor(shortestMs: number): number {
  if (!(shortestMs > 0)) return MAX_TICK;
  return Math.min(MAX_TICK, Math.max(MIN_TICK, Math.floor(shortestMs / 4)));
}

export class KeepaliveSweep {
  readonly clock: Clock = { now: Date.now() };
  readonly #items: ReadonlySet<Sweepable>;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #tick = 0;
  readonly #run = (): void => {
    const now = Date.now();
    this.clock.now = now;
    for (const item of this.#items) {
      try {
        item.tick(now);
      } catch (err) {
        this.#onError(err);
      }
    }
  };

  /** `onError` hears about an item whose tick threw (the sweep goes on with the others). */
  constructor(items: ReadonlySet<Sweepable>, onError: (err: unknown) => void = () => undefined) {
    this.#items = items;
    this.#onError = onError;
  }

  /** The current sweep period in ms (0 when stopped). */
  get period(): number {
    return this.#timer === undefined ? 0 : this.#tick;
  }

  /** Run (or re-run) the sweep, fine enough for `shortestMs`, the shortest interval in use. */
  schedule(shortestMs: number): void {
    const tick = tickFor(shortestMs);
    if (this.#timer !== undefined && tick === this.#tick) return;
    clearInterval(this.#timer);
    this.#tick = tick;
    this.#timer = setInterval(this.#run, tick);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
