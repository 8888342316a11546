/**
 * @module bench/measured-interval
 * The measured interval of a load scenario: it starts after the warm-up and lasts the
 * duration; the server's CPU is read at both ends (the headline: CPU per delivered unit), and
 * the orchestrator is told where it lies (window.ts: its probes and /metrics scrapes).
 */
import { cpuSeconds } from './proc.js';
import { markWindowAt } from './window.js';

export class MeasuredInterval {
  /** performance.now() at its start and end. */
  readonly start: number;
  readonly end: number;
  readonly #pid: number | undefined;
  #cpuStart = Number.NaN;
  #cpuEnd = Number.NaN;
  readonly #timer: NodeJS.Timeout | undefined;

  /** Starts counting now: `warmupS` seconds, then `durationS` measured; `pid`: the server's process. */
  constructor(warmupS: number, durationS: number, pid: number | undefined) {
    const t0 = performance.now();
    this.start = t0 + warmupS * 1000;
    this.end = this.start + durationS * 1000;
    this.#pid = pid;
    markWindowAt(this.start, this.end);
    if (pid !== undefined) this.#timer = setTimeout(() => { this.#cpuStart = cpuSeconds(pid); }, this.start - t0);
  }

  /** Whether `t` (performance.now()) falls inside. */
  contains(t: number): boolean {
    return t >= this.start && t < this.end;
  }

  get seconds(): number {
    return (this.end - this.start) / 1000;
  }

  /** Resolves at its end, having read the server's CPU there. */
  async ended(): Promise<void> {
    // by the clock: a single timer set while the event loop lagged (after thousands of setups) can fire early
    while (performance.now() < this.end) await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(50, this.end - performance.now()))));
    if (this.#pid !== undefined) this.#cpuEnd = cpuSeconds(this.#pid);
    clearTimeout(this.#timer);
  }

  /** The server's CPU seconds at both ends, once read. */
  get serverCpu(): { start: number; end: number } | undefined {
    return Number.isFinite(this.#cpuEnd - this.#cpuStart) ? { start: this.#cpuStart, end: this.#cpuEnd } : undefined;
  }
}
