/**
 * @module memory-release
 * One full garbage collection after many sessions closed, once the server is quiet again.
 *
 * V8 collects when JavaScript allocates: a server whose sessions just closed and that now
 * does little keeps their objects (and the sockets' buffers they hold) for a long time, and
 * V8's memory reducer, which would give the emptied heap back to the system, did not start
 * on its own in the idle benchmark. So when `gc_after_sessions_closed` sessions have closed
 * and at least as many as are still open (most of the session memory is garbage: the pause
 * is short because what is live is small), and then `gc_quiet_delay` seconds pass without a
 * close while the event loop is idle at least half of that time, this runs one compacting
 * collection; YOUNG_DELAY_MS later, still quiet, a young-generation collection, which is when
 * V8 shrinks the young generation the burst grew (it does when little was allocated lately).
 *
 * The collector comes from a fresh context with `--expose-gc` set for that moment only
 * (`globalThis.gc` stays undefined); nothing here runs on the stanza path.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The event loop was busy at most this share of the quiet delay (else wait another delay). */
const QUIET_UTILIZATION = 0.5;
/** V8 shrinks the young generation when allocation was low over its last 5 s: a bit more. */
const YOUNG_DELAY_MS = 6000;

/** The two collections: `full` compacts the whole heap, `young` collects the young generation. */
export interface Collectors {
  full(): void;
  young(): void;
}

export interface MemoryReleaseOptions {
  /** Sessions closed since the last collection that make one worth it (0: never). */
  readonly threshold: number;
  /** Milliseconds without a close (and an idle event loop) before collecting. */
  readonly quietMs: number;
  /** How many sessions are open now. */
  readonly openSessions: () => number;
  /** Told how long the full collection took (logs it). */
  readonly collected: (info: { closed: number; ms: number }) => void;
  /** The collectors (default: V8's, see `collectors`); tests inject them. */
  readonly collect?: Collectors;
  /** Milliseconds between the full and the young collection (default YOUNG_DELAY_MS). */
  readonly youngDelayMs?: number;
}

type GcFunction = (options?: { type?: 'major' | 'minor' }) => void;
let v8Collectors: Collectors | undefined;

/**
 * V8's collections, through its `gc()` obtained without a command-line flag. The full one
 * also compacts: the survivors are spread over pages the dead sessions filled, and a plain
 * collection keeps every page that still holds one object (the heap stays as large).
 */
export function collectors(): Collectors {
  if (v8Collectors === undefined) {
    // Started with --expose-gc: that one; else from a fresh context, the flag set just for it.
    let gc = (globalThis as { gc?: GcFunction }).gc;
    if (gc === undefined) {
      setFlagsFromString('--expose-gc');
      try {
        gc = runInNewContext('gc') as GcFunction;
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
    const collect = gc;
    v8Collectors = {
      full: () => {
        setFlagsFromString('--compact-on-every-full-gc');
        try {
          collect();
        } finally {
          setFlagsFromString('--no-compact-on-every-full-gc');
        }
      },
      young: () => { collect({ type: 'minor' }); },
    };
  }
  return v8Collectors;
}

export class MemoryRelease {
  readonly #options: MemoryReleaseOptions;
  #closed = 0;
  #timer: NodeJS.Timeout | undefined;
  #young: NodeJS.Timeout | undefined;
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
    if (this.#young !== undefined) {
      // Not quiet any more: V8 will not shrink the young generation now.
      clearTimeout(this.#young);
      this.#young = undefined;
    }
    if (this.#closed >= this.#options.threshold) this.#arm();
  }

  /** No collection from now on (server stop). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#young);
    this.#timer = undefined;
    this.#young = undefined;
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

  /** Whether the event loop was mostly idle since `#utilization` was taken. */
  #idle(): boolean {
    return performance.eventLoopUtilization(this.#utilization).utilization <= QUIET_UTILIZATION;
  }

  #quiet(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    // Most sessions' memory must be garbage: else a collection costs much and gives little.
    if (this.#closed < this.#options.openSessions()) {
      this.#closed = 0;
      return;
    }
    if (!this.#idle()) {
      this.#arm();
      return;
    }
    const closed = this.#closed;
    this.#closed = 0;
    const collect = this.#options.collect ?? collectors();
    const start = performance.now();
    collect.full();
    this.#options.collected({ closed, ms: performance.now() - start });
    this.#utilization = performance.eventLoopUtilization();
    this.#young = setTimeout(() => {
      this.#young = undefined;
      if (!this.#stopped && this.#idle()) collect.young();
    }, this.#options.youngDelayMs ?? YOUNG_DELAY_MS);
    this.#young.unref();
  }
}
