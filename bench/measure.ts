/**
 * @module bench/measure
 * One measurement: a fresh server process, its baseline memory, the load generator forked
 * for one scenario request, memory sampled while the generator holds its sessions (once, or
 * in named phases), and the server's CPU time over the run.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssKiB, sleep } from './proc.js';
import { HealthMonitor } from './loop-health.js';
import type { Measurement, PhaseSample } from './report.js';
import { runWorkers } from './workers.js';
import type { Target } from './targets/target.js';
import type { CommonParams, FromLoad, ScenarioRequest, ScenarioResult, ToLoad } from './protocol.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOAD = join(ROOT, 'build/bench/load.js');
export const PREFIX = 'bench';
export const PASSWORD = 'bench-pass-0123';

export const log = (text: string): void => void process.stderr.write(`[bench] ${text}\n`);

export interface Hooks {
  onHeld?: (sessions: number, phase: string | undefined, seconds: number | undefined) => Promise<void>;
  /** The measured interval starts or ends; the load generator waits for the start's promise. */
  onWindow?: (edge: 'start' | 'end') => Promise<void> | void;
  /** --workers: the generator is set up; resolve to let it start measuring. */
  onReady?: () => Promise<void>;
  /** Kills the generator (another worker of the same run failed). */
  signal?: AbortSignal;
}

/** Fork the load generator for one request; resolves with its result and its CPU time. */
export function runLoad(request: ScenarioRequest, hooks: Hooks): Promise<{ result: ScenarioResult; cpu: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(LOAD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    let settled = false;
    const finish = (err: Error | undefined, value?: { result: ScenarioResult; cpu: number }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // give it a moment to exit by itself, then make sure
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new Error('load generator timed out')), 30 * 60_000);
    child.on('message', (message: FromLoad) => {
      switch (message.type) {
        case 'progress': log(`  ${message.text}`); break;
        case 'held':
          void (hooks.onHeld?.(message.sessions, message.phase, message.seconds) ?? Promise.resolve()).then(() => child.send({ type: 'release' } satisfies ToLoad));
          break;
        case 'window': {
          const edge = message.edge;
          void Promise.resolve(hooks.onWindow?.(edge)).then(() => {
            if (edge === 'start' && child.connected) child.send({ type: 'window-started' } satisfies ToLoad);
          });
          break;
        }
        case 'ready': void (hooks.onReady?.() ?? Promise.resolve()).then(() => child.send({ type: 'go' } satisfies ToLoad)); break;
        case 'result': finish(undefined, { result: message.result, cpu: cpuSeconds(child.pid!) }); break;
        case 'failed': finish(new Error(message.message)); break;
      }
    });
    child.on('exit', (code) => finish(new Error(`load generator exited (${code}) without a result`)));
    hooks.signal?.addEventListener('abort', () => finish(new Error('stopped: another load generator of this run failed')));
    child.send({ type: 'run', request } satisfies ToLoad);
  });
}

/** How one measurement is run. */
export interface MeasureOptions {
  /** Seconds the server settles before the baseline (idle: also the after-close wait unit). */
  readonly settle: number;
  /** Seconds memory is sampled while the sessions are held. */
  readonly hold: number;
  readonly concurrency: number;
  /** Where derived SCRAM keys are kept between load processes. */
  readonly cacheDir: string;
  /** Options for this server start only (e.g. a short smacks_hibernation_time). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** The account (index) of the probe session beside the load (bench/loop-health.ts); none = no health figures. */
  readonly probeAccount?: number;
  /** Load generator processes (--workers; bench/workers.ts), default 1. */
  readonly workers?: number;
}

/** Sample the server through a hold of `seconds`: the last RSS, CPU used, and how long it stayed busy. */
async function sampleHold(pid: number, seconds: number, onRss: (kib: number) => void): Promise<Omit<PhaseSample, 'sessions' | 'perSessionKiB'>> {
  const start = Date.now();
  const until = start + seconds * 1000;
  const cpu0 = cpuSeconds(pid);
  let rss: number;
  let lastCpu = cpu0;
  let busyUntil = start;
  do {
    await sleep(Math.min(250, Math.max(0, until - Date.now())));
    rss = rssKiB(pid);
    onRss(rss);
    const cpu = cpuSeconds(pid);
    if (cpu - lastCpu > 0.0625) busyUntil = Date.now();
    lastCpu = cpu;
  } while (Date.now() < until);
  return { rssKiB: rss, cpuSeconds: lastCpu - cpu0, busySeconds: (busyUntil - start) / 1000 };
}

/** end - start of every counter read at both edges. */
function intervalCounters(start: Readonly<Record<string, number>>, end: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.keys(end).map((k) => [k, end[k]! - (start[k] ?? Number.NaN)]));
}

/** One measurement: fresh server process, baseline memory, the load, memory and CPU after. */
export async function measure(target: Target, scenario: Measurement['scenario'], repeat: number, request: (common: CommonParams) => ScenarioRequest, opts: MeasureOptions): Promise<Measurement> {
  const running = await target.start(opts.config);
  let sampler: NodeJS.Timeout | undefined;
  try {
    await sleep(opts.settle * 1000);
    const pid = running.pid;
    const baseline = rssKiB(pid);
    let peak = baseline;
    sampler = setInterval(() => { peak = Math.max(peak, rssKiB(pid)); }, 250);
    // another user's ping and the server's event-loop delay (logged in before the CPU count starts)
    const health = opts.probeAccount === undefined ? undefined
      : await HealthMonitor.start(running.info, running.metricsUrl, `${PREFIX}${opts.probeAccount}`, PASSWORD).catch((err: unknown) => {
        log(`  no health figures: the probe session did not start: ${(err as Error).message}`);
        return undefined;
      });
    const cpu0 = cpuSeconds(pid);
    let held: number | undefined;
    let perSession: number | undefined;
    const phases: Record<string, PhaseSample> = {};
    // the target's own counters at the edges of the measured interval (the cluster's nodes and Redis)
    const counters: Partial<Record<'start' | 'end', Readonly<Record<string, number>>>> = {};
    const common: CommonParams = {
      target: running.info,
      userPrefix: PREFIX,
      password: PASSWORD,
      sourceAddresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'],
      concurrency: opts.concurrency,
      timeoutMs: 60_000,
      scramCacheFile: join(opts.cacheDir, `${target.name}.json`),
      serverPid: pid,
    };
    const { result, cpu } = await runWorkers(request(common), opts.workers ?? 1, runLoad, {
      onWindow: async (edge) => {
        const reading = running.counters?.();
        await (edge === 'start' ? health?.windowStart() : health?.windowEnd());
        if (reading !== undefined) counters[edge] = await reading;
      },
      onHeld: async (sessions, phase, seconds = opts.hold) => {
        // sample through the hold; the last sample is the held figure (GC has had time to settle)
        const s = await sampleHold(pid, seconds, (kib) => { peak = Math.max(peak, kib); });
        const per = sessions > 0 ? (s.rssKiB - baseline) / sessions : Number.NaN;
        if (phase === undefined || phase === 'hibernating') {
          held = s.rssKiB;
          perSession = per;
        }
        if (phase !== undefined) phases[phase] = { sessions, perSessionKiB: per, ...s };
        log(`  ${phase ?? 'held'} ${sessions}: RSS ${(s.rssKiB / 1024).toFixed(1)} MiB (baseline ${(baseline / 1024).toFixed(1)})${sessions > 0 ? `, ${per.toFixed(1)} KiB/session` : ''}; `
          + `server CPU ${s.cpuSeconds.toFixed(2)} s, busy for ${s.busySeconds.toFixed(1)} s of the ${seconds.toFixed(1)} s hold`);
      },
    });
    const cpuUsed = cpuSeconds(pid) - cpu0;
    const healthFigures = await health?.finish();
    let after: number | undefined;
    if (scenario === 'idle' || scenario === 'idle-sm') {
      // up to 10 settle periods, or until RSS is within 10% of the baseline
      const until = Date.now() + opts.settle * 10_000;
      after = rssKiB(pid);
      while (Date.now() < until && after > baseline * 1.1) {
        await sleep(1000);
        after = rssKiB(pid);
      }
      log(`  after close: RSS ${(after / 1024).toFixed(1)} MiB`);
    }
    clearInterval(sampler);
    return {
      scenario,
      target: target.name,
      version: target.version,
      repeat,
      result,
      server: {
        rssBaselineKiB: baseline,
        rssPeakKiB: peak,
        ...(held === undefined ? {} : { rssHeldKiB: held, perSessionKiB: perSession }),
        ...(after === undefined ? {} : { rssAfterKiB: after }),
        cpuSeconds: cpuUsed,
        ...(Object.keys(phases).length ? { phases } : {}),
      },
      loadCpuSeconds: cpu,
      ...(counters.start && counters.end ? { interval: intervalCounters(counters.start, counters.end) } : {}),
      ...(healthFigures === undefined ? {} : { health: healthFigures }),
    };
  } finally {
    // also when the load generator failed: a live interval would keep the run from exiting
    clearInterval(sampler);
    await running.stop();
  }
}
