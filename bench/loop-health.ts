/**
 * @module bench/loop-health
 * Event-loop health beside one measurement (orchestrator side): another user's ping time
 * (bench/probe.ts) and, where the server exports it, its own event-loop delay, read from its
 * real metrics endpoint (our server: the http_openmetrics module's /metrics; its event-loop
 * histogram restarts at each scrape, so one scrape at the start of the measured interval
 * resets it and one at the end reads it). The interval is the one the scenario marks
 * (bench/window.ts), or the whole load run when it marks none.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { probeKind, startProbe, type PingSample, type Probe } from './probe.js';
import { Samples, type Summary } from './stats.js';
import type { TargetInfo } from './protocol.js';

/** The event-loop delay the server reported for the interval, ms. */
export interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** What was read beside one measurement. */
export interface HealthFigures {
  /** What the probe's round trip is (XMPP ping, or a relayed frame). */
  readonly probeKind: string;
  /** Round trips of the pings sent in the interval, ms; timeouts count at the timeout. */
  readonly ping: Summary;
  readonly pingTimeouts: number;
  /** Why the probe session ended early, when it did. */
  readonly probeLost?: string;
  /** Why the metrics could not be read, when they could not. */
  readonly metricsError?: string;
  /** The server's event-loop delay over the interval; absent where the target exports none. */
  readonly loop?: LoopDelay;
  /**
   * The probe's own (orchestrator's) longest event-loop delay over the interval, ms: a ping
   * slower than both this and the server's loop delay waited outside both event loops (the
   * OS scheduler on a busy machine, the kernel's socket path).
   */
  readonly probeLoopMaxMs?: number;
  /** Seconds of the interval, and whether the scenario marked it (else: the whole load run). */
  readonly intervalS: number;
  readonly marked: boolean;
}

/** Read one gauge's value from Prometheus text (NaN when absent). */
export function gauge(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.text();
}

/** Health monitoring of one measurement: started with the server, finished after the load. */
export class HealthMonitor {
  readonly #probe: Probe;
  readonly #kind: string;
  readonly #metricsUrl: string | undefined;
  #start = performance.now();
  #end: number | undefined;
  #marked = false;
  #loop: LoopDelay | undefined;
  #scrapes: Promise<unknown> = Promise.resolve();
  #error: string | undefined;
  readonly #own: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  #ownMax: number | undefined;

  private constructor(probe: Probe, kind: string, metricsUrl: string | undefined) {
    this.#probe = probe;
    this.#kind = kind;
    this.#metricsUrl = metricsUrl;
  }

  /** Log the probe in (as `user`) and reset the server's event-loop histogram. */
  static async start(target: TargetInfo, metricsUrl: string | undefined, user: string, password: string): Promise<HealthMonitor> {
    const probe = await startProbe({ target, user, password });
    const monitor = new HealthMonitor(probe, probeKind(target.mode), metricsUrl);
    monitor.#own.enable();
    monitor.#reset();
    await monitor.#scrapes;
    return monitor;
  }

  /** The scenario's measured interval starts now; resolves once the server's histogram is reset. */
  windowStart(): Promise<void> {
    this.#marked = true;
    this.#start = performance.now();
    this.#end = undefined;
    this.#own.reset();
    this.#reset();
    return this.#scrapes.then(() => undefined);
  }

  /** The scenario's measured interval ends now. */
  windowEnd(): void {
    if (this.#end !== undefined) return;
    this.#end = performance.now();
    this.#ownMax = this.#own.count > 0 ? this.#own.max / 1e6 : undefined;
    this.#own.disable();
    this.#read();
  }

  /** Stop the probe and give the figures of the interval. */
  async finish(): Promise<HealthFigures> {
    this.windowEnd();
    await this.#scrapes;
    const { samples, lost } = await this.#probe.stop();
    const end = this.#end!;
    const inside = samples.filter((s: PingSample) => s.at >= this.#start && s.at < end);
    const ping = new Samples();
    for (const s of inside) ping.push(s.rttMs);
    return {
      probeKind: this.#kind,
      ping: ping.summary(),
      pingTimeouts: inside.filter((s) => !s.answered).length,
      ...(lost === undefined ? {} : { probeLost: lost }),
      ...(this.#error === undefined ? {} : { metricsError: this.#error }),
      ...(this.#loop === undefined ? {} : { loop: this.#loop }),
      ...(this.#ownMax === undefined ? {} : { probeLoopMaxMs: this.#ownMax }),
      intervalS: (end - this.#start) / 1000,
      marked: this.#marked,
    };
  }

  #reset(): void {
    const url = this.#metricsUrl;
    if (url === undefined) return;
    this.#scrapes = this.#scrapes.then(() => scrape(url)).catch((err: unknown) => { this.#error = String(err); });
  }

  #read(): void {
    const url = this.#metricsUrl;
    if (url === undefined) return;
    this.#scrapes = this.#scrapes.then(async () => {
      const text = await scrape(url);
      const ms = (name: string): number => gauge(text, `nodejs_eventloop_lag_${name}_seconds`) * 1000;
      this.#loop = { p50Ms: ms('p50'), p99Ms: ms('p99'), maxMs: ms('max') };
    }).catch((err: unknown) => { this.#error = String(err); });
  }
}
