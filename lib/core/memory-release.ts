/**
 * @module memory-release
 * One full garbage collection after many sessions closed, once the server is quiet again.
 *
 * V8 collects when JavaScript allocates: a server whose sessions just closed and that now
 * does little keeps their objects (and the sockets' buffers they hold) for a long time, and
 * V8's memory reducer, which gives the emptied heap back to the system, only starts after a
 * full (mark-compact) collection. So when `gc_after_sessions_closed` sessions have closed and
 * at least as many as are still open (most of the session memory is garbage: the pause is
 * short because what is live is small), and then `gc_quiet_delay` seconds pass without a
 * close while the event loop is idle at least half of that time, this runs one collection.
 *
 * The collector comes from a fresh context with `--expose-gc` set for that moment only
 * (`globalThis.gc` stays undefined); nothing here runs on the stanza path.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The event loop was busy at most this share of the quiet delay (else wait another delay). */
const QUIET_UTILIZATION = 0.5;

export interface MemoryReleaseOptions {
  /** Sessions closed since the last collection that make one worth it (0: never). */
  readonly threshold: number;
  /** Milliseconds without a close (and an idle event loop) before collecting. */
  readonly quietMs: number;
  /** How many sessions are open now. */
  readonly openSessions: () => number;
  /** Told how long each collection took (logs it). */
  readonly collected: (info: { closed: number; ms: number }) => void;
  /** The collector (default: V8's full collection, see `fullCollector`); tests inject one. */
  readonly collect?: () => void;
}

let collector: (() => void) | undefined;

/**
 * V8's `gc()` (a full, synchronous collection), obtained without a command-line flag, that
 * also compacts: the survivors are spread over pages the dead sessions filled, and a plain
 * collection keeps every page that still holds one object (the heap stays as large).
 */
export function fullCollector(): () => void {
  if (collector === undefined) {
    // Started with --expose-gc: that one; else from a fresh context, the flag set just for it.
    let gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) {
      setFlagsFromString('--expose-gc');
      try {
        gc = runInNewContext('gc') as () => void;
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
    const full = gc;
    collector = () => {
      setFlagsFromString('--compact-on-every-full-gc');
      try {
        full();
      } finally {
        setFlagsFromString('--no-compact-on-every-full-gc');
      }
    };
  }
  return collector;
}

export class MemoryRelease {
  readonly #options: MemoryReleaseOptions;
  #closed = 0;
  #timer: NodeJS.Timeout | undefined;
  #utilization = performance.eventLoopUtilization();
  #stopped = false;

  constructor(options: MemoryReleaseOptions) {
    this.#options = options;
  }

  /** Sessions closed since the last collection. */
  get pending(): number { return this.#closed; }

  /** One session is gone. */
  sessionClosed(): void {
    if (this.#options.threshold <= 0 || this.#stopped) return;
    this.#closed++;
    if (this.#closed >= this.#options.threshold) this.#arm();
  }

  /** No collection from now on (server stop). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** (Re)start the quiet delay: every close pushes the collection back. */
  #arm(): void {
    this.#utilization = performance.eventLoopUtilization();
    if (this.#timer !== undefined) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => this.#quiet(), this.#options.quietMs);
    this.#timer.unref();
  }

  #quiet(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    // Most sessions' memory must be garbage: else a collection costs much and gives little.
    if (this.#closed < this.#options.openSessions()) {
      this.#closed = 0;
      return;
    }
    const busy = performance.eventLoopUtilization(this.#utilization).utilization;
    if (busy > QUIET_UTILIZATION) {
      this.#arm();
      return;
    }
    const closed = this.#closed;
    this.#closed = 0;
    const start = performance.now();
    (this.#options.collect ?? fullCollector())();
    this.#options.collected({ closed, ms: performance.now() - start });
  }
}
