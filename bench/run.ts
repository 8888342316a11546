/**
 * @module bench/run
 * `npm run bench`: starts each target (the raw ws relay, our server, Prosody with
 * --with-prosody) as a child process, forks the load generator (bench/load.ts) for each
 * scenario run, reads the server's memory and CPU from /proc, and reports.
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseBenchArgs, type BenchOptions } from './args.js';
import { cpuSeconds, rssKiB, sleep } from './proc.js';
import { jsonLines, machine, med, renderMarkdown, renderReport, type Machine, type Measurement } from './report.js';
import { oursTarget } from './targets/ours.js';
import { prosodyInstalled, prosodyTarget } from './targets/prosody.js';
import { relayTarget } from './targets/relay-target.js';
import type { Target } from './targets/target.js';
import type { CommonParams, FromLoad, IdleResult, MessagesResult, ScenarioRequest, ScenarioResult, ToLoad } from './protocol.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOAD = join(ROOT, 'build/bench/load.js');
const PREFIX = 'bench';
const PASSWORD = 'bench-pass-0123';

const log = (text: string): void => void process.stderr.write(`[bench] ${text}\n`);

/** The soft open-files limit of this process (children inherit it). */
function openFilesLimit(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const n = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/** Re-run under a shell that raises the soft limit when the idle scenario needs more files. */
function raiseOpenFiles(needed: number): boolean {
  const { soft, hard } = openFilesLimit();
  if (soft >= needed || process.env.BENCH_NOFILE_RAISED) return false;
  const target = Math.min(hard, Math.max(needed, 65536));
  if (target < needed) {
    log(`warning: open files limit ${soft} (hard ${hard}) is below the ${needed} the idle scenario needs`);
    return false;
  }
  const r = spawnSync('/bin/sh', ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_NOFILE_RAISED: '1' },
  });
  process.exitCode = r.status ?? 1;
  return true;
}

interface Hooks {
  onHeld?: (sessions: number) => Promise<void>;
}

/** Fork the load generator for one request; resolves with its result and its CPU time. */
function runLoad(request: ScenarioRequest, hooks: Hooks): Promise<{ result: ScenarioResult; cpu: number }> {
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
          void (hooks.onHeld?.(message.sessions) ?? Promise.resolve()).then(() => child.send({ type: 'release' } satisfies ToLoad));
          break;
        case 'result': finish(undefined, { result: message.result, cpu: cpuSeconds(child.pid!) }); break;
        case 'failed': finish(new Error(message.message)); break;
      }
    });
    child.on('exit', (code) => finish(new Error(`load generator exited (${code}) without a result`)));
    child.send({ type: 'run', request } satisfies ToLoad);
  });
}

/** One measurement: fresh server process, baseline memory, the load, memory and CPU after. */
async function measure(target: Target, scenario: Measurement['scenario'], repeat: number, request: (common: CommonParams) => ScenarioRequest, opts: BenchOptions, cacheDir: string): Promise<Measurement> {
  const running = await target.start();
  try {
    await sleep(opts.settle * 1000);
    const pid = running.pid;
    const baseline = rssKiB(pid);
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, rssKiB(pid)); }, 250);
    const cpu0 = cpuSeconds(pid);
    let held: number | undefined;
    let perSession: number | undefined;
    const common: CommonParams = {
      target: running.info,
      userPrefix: PREFIX,
      password: PASSWORD,
      sourceAddresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'],
      concurrency: opts.concurrency,
      timeoutMs: 60_000,
      scramCacheFile: join(cacheDir, `${target.name}.json`),
    };
    const { result, cpu } = await runLoad(request(common), {
      onHeld: async (sessions) => {
        // sample through the hold; the last sample is the held figure (GC has had time to settle)
        const until = Date.now() + opts.hold * 1000;
        do {
          await sleep(Math.min(1000, Math.max(0, until - Date.now())));
          held = rssKiB(pid);
          peak = Math.max(peak, held);
        } while (Date.now() < until);
        perSession = sessions > 0 ? (held - baseline) / sessions : Number.NaN;
        log(`  held ${sessions}: RSS ${(held / 1024).toFixed(1)} MiB (baseline ${(baseline / 1024).toFixed(1)}), ${perSession.toFixed(1)} KiB/session`);
      },
    });
    const cpuUsed = cpuSeconds(pid) - cpu0;
    let after: number | undefined;
    if (scenario === 'idle') {
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
      },
      loadCpuSeconds: cpu,
    };
  } finally {
    await running.stop();
  }
}

function summary(m: Measurement): string {
  const r = m.result;
  switch (r.scenario) {
    case 'connect': return `${r.rate.toFixed(0)} sessions/s, p50 ${r.setup.p50.toFixed(1)} ms, p99 ${r.setup.p99.toFixed(1)} ms, ${r.failed} failed`;
    case 'messages': return `${r.throughput.toFixed(0)} msg/s, p99 ${r.latency.p99.toFixed(2)} ms, lost ${r.lost}, dup ${r.duplicated}, misrouted ${r.misrouted}${r.errors.length ? `, errors: ${r.errors.slice(0, 3).join('; ')}` : ''}`;
    case 'idle': return `${r.ok} held, ${r.failed} failed, ${r.dropped} dropped${r.errors.length ? `, errors: ${r.errors.slice(0, 3).join('; ')}` : ''}`;
  }
}

/** The targets of this run, in report order: relay, ours, Prosody. */
async function makeTargets(opts: BenchOptions, tmp: string): Promise<Target[]> {
  const targets: Target[] = [];
  if (opts.targets.has('relay')) targets.push(relayTarget());
  const profiles = join(tmpdir(), 'xmpp-bench-profiles');
  if (opts.profile) log(`CPU profiles of our server go to ${profiles} (summarise: node build/bench/profile.js FILE)`);
  const nodeFlags = opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : [];
  if (opts.targets.has('ours')) targets.push(oursTarget({ dir: join(tmp, 'ours'), nodeFlags }));
  if (opts.withProsody) {
    if (prosodyInstalled()) targets.push(await prosodyTarget({ dir: join(tmp, 'prosody') }, opts.prosodyStorage));
    else log('--with-prosody: prosody is not installed (apt-get install prosody lua-dbi-sqlite3); skipping it');
  }
  return targets;
}

/** Every scenario, `repeat` times, each target in turn (so conditions drift alike for all). */
async function runScenarios(opts: BenchOptions, targets: readonly Target[], tmp: string): Promise<Measurement[]> {
  const accounts = Math.max(opts.scenarios.has('connect') ? opts.sessions : 0, opts.scenarios.has('messages') ? opts.pairs * 2 : 0, opts.scenarios.has('idle') ? opts.idle : 0);
  const t0 = Date.now();
  log(`creating ${accounts} accounts on ${targets.map((t) => t.name).join(', ')} (untimed)`);
  await Promise.all(targets.map((t) => t.prepare(accounts, PREFIX, PASSWORD)));
  log(`accounts ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const cacheDir = join(tmp, 'scram-cache');
  mkdirSync(cacheDir, { recursive: true });
  const ms: Measurement[] = [];
  const run = async (scenario: Measurement['scenario'], request: (c: CommonParams) => ScenarioRequest): Promise<void> => {
    for (let repeat = 1; repeat <= opts.repeat; repeat++) {
      for (const target of targets) {
        log(`${scenario} on ${target.name} (run ${repeat}/${opts.repeat})`);
        try {
          const m = await measure(target, scenario, repeat, request, opts, cacheDir);
          ms.push(m);
          log(`  ${summary(m)} (CPU s: server ${m.server.cpuSeconds.toFixed(1)}, load ${m.loadCpuSeconds.toFixed(1)})`);
        } catch (err) {
          log(`  FAILED: ${(err as Error).message}`);
        }
      }
    }
  };
  const messages = (c: CommonParams, rate?: number): ScenarioRequest => ({
    ...c, scenario: 'messages', pairs: opts.pairs, window: opts.window, bodyBytes: opts.body,
    warmupS: opts.warmup, durationS: opts.duration, drainMs: 10_000, ...(rate === undefined ? {} : { rate }),
  });
  if (opts.scenarios.has('connect')) await run('connect', (c) => ({ ...c, scenario: 'connect', sessions: opts.sessions }));
  if (opts.scenarios.has('messages')) {
    await run('messages', (c) => messages(c));
    if (opts.sameLoad) {
      // one offered load for every target: half of what the slowest XMPP server delivered
      const xmpp = targets.filter((t) => t.name !== 'relay').map((t) => med(ms, 'messages', t.name, (m) => (m.result as MessagesResult).throughput)).filter(Number.isFinite);
      if (xmpp.length) {
        const rate = Math.max(100, Math.round((Math.min(...xmpp) * 0.5) / 100) * 100);
        await run('same-load', (c) => messages(c, rate));
      }
    }
  }
  if (opts.scenarios.has('idle')) await run('idle', (c) => ({ ...c, scenario: 'idle', sessions: opts.idle }));
  return ms;
}

/** Print the report of a JSON lines file written by an earlier run. */
function printSaved(file: string, markdown: boolean): void {
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Measurement & { params: Record<string, unknown>; machine: Machine });
  const first = lines[0];
  if (!first) throw new Error(`${file} has no measurements`);
  const targets = ['relay', 'ours', 'prosody'].filter((t) => lines.some((m) => m.target === t));
  process.stdout.write(`${renderReport(lines, targets, first.params, first.machine)}\n`);
  if (markdown) process.stdout.write(`\n${renderMarkdown(lines, first.params, first.machine)}\n`);
}

async function main(): Promise<void> {
  let parsed: BenchOptions | 'help';
  try {
    parsed = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const opts = parsed;
  if (opts.report !== undefined) {
    printSaved(opts.report, opts.markdown);
    return;
  }
  if (opts.scenarios.has('idle') && raiseOpenFiles(opts.idle + 2000)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'xmpp-bench-'));
  const resultsDir = join(ROOT, 'bench/results');
  let targets: Target[];
  let ms: Measurement[];
  try {
    targets = await makeTargets(opts, tmp);
    ms = await runScenarios(opts, targets, tmp);
  } finally {
    if (opts.keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  const params = { ...opts, scenarios: [...opts.scenarios], targets: targets.map((t) => t.name) };
  const mach = machine(targets.find((t) => t.name === 'prosody')?.version);
  const runId = new Date().toISOString();
  process.stdout.write(`\n${renderReport(ms, targets.map((t) => t.name), params, mach)}\n`);
  const lines = jsonLines(ms, runId, params, mach);
  if (opts.markdown) process.stdout.write(`\n${renderMarkdown(ms, params, mach)}\n`);
  if (opts.json) process.stdout.write(lines);
  const outFile = opts.out ?? join(resultsDir, `${runId.replace(/[:.]/g, '-')}.jsonl`);
  if (outFile) {
    mkdirSync(join(outFile, '..'), { recursive: true });
    writeFileSync(outFile, lines);
    log(`JSON lines: ${outFile}`);
  }
  // timings never fail the run; losing, duplicating or misrouting a message, or dropping a session, does
  const bad = ms.some((m) => m.result.scenario === 'messages' && (m.result.lost + m.result.duplicated + m.result.misrouted > 0))
    || ms.some((m) => m.result.scenario === 'idle' && ((m.result as IdleResult).failed > 0 || (m.result as IdleResult).dropped > 0));
  if (bad) process.exitCode = 1;
}

await main();
