/**
 * @module bench/run
 * `npm run bench`: starts each target (the raw ws relay, our server, Prosody with
 * --with-prosody) as a child process, forks the load generator (bench/load.ts) for each
 * scenario run, reads the server's memory and CPU from /proc, and reports.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseBenchArgs, type BenchOptions, type ScenarioName } from './args.js';
import { PASSWORD, PREFIX, log, measure } from './measure.js';
import { jsonLines, machine, med, renderMarkdown, renderReport, type Machine, type Measurement } from './report.js';
import { oursTarget } from './targets/ours.js';
import { MUC_DOMAIN, prosodyInstalled, prosodyTarget } from './targets/prosody.js';
import { runMamQuery } from './mam-query.js';
import { runCluster } from './cluster.js';
import { runGrowth, type GrowthRow } from './growth.js';
import { renderGrowth, renderGrowthMarkdown } from './report-growth.js';
import { DEFAULT_MODULES } from '../lib/core/config.js';
import { relayTarget } from './targets/relay-target.js';
import { ejabberdInstalled, ejabberdTarget } from './targets/ejabberd.js';
import type { Target } from './targets/target.js';
import type { CommonParams, HibernateResult, IdleResult, MessagesResult, ScenarioRequest } from './protocol.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The soft open-files limit of this process (children inherit it). */
function openFilesLimit(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const n = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/** Re-run under a shell that raises the soft limit when the idle or hibernate scenario needs more files. */
function raiseOpenFiles(needed: number): boolean {
  const { soft, hard } = openFilesLimit();
  if (soft >= needed || process.env.BENCH_NOFILE_RAISED) return false;
  const target = Math.min(hard, Math.max(needed, 65536));
  if (target < needed) {
    log(`warning: open files limit ${soft} (hard ${hard}) is below the ${needed} the idle and hibernate scenarios need`);
    return false;
  }
  const r = spawnSync('/bin/sh', ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_NOFILE_RAISED: '1' },
  });
  process.exitCode = r.status ?? 1;
  return true;
}

function summary(m: Measurement): string {
  const r = m.result;
  const errors = r.errors.length ? `, errors: ${r.errors.slice(0, 3).join('; ')}` : '';
  switch (r.scenario) {
    case 'connect': return `${r.rate.toFixed(0)} sessions/s, p50 ${r.setup.p50.toFixed(1)} ms, p99 ${r.setup.p99.toFixed(1)} ms, ${r.failed} failed`;
    case 'messages': return `${r.throughput.toFixed(0)} msg/s, p99 ${r.latency.p99.toFixed(2)} ms, lost ${r.lost}, dup ${r.duplicated}, misrouted ${r.misrouted}`
      + `${r.sm ? `, ${r.sm.acks} acks sent, ${r.sm.requests} <r/> received` : ''}${errors}`;
    case 'idle': return `${r.ok} held, ${r.failed} failed, ${r.dropped} dropped${errors}`;
    case 'muc': return `${r.throughput.toFixed(0)} copies/s, p99 ${r.latency.p99.toFixed(2)} ms, server CPU ${((r.serverCpuSeconds * 1e6) / Math.max(1, r.deliveredInWindow)).toFixed(1)} µs/copy, `
      + `lost ${r.lost}, dup ${r.duplicated}, misrouted ${r.misrouted} (joins ${r.joinSeconds.toFixed(1)} s)${errors}`;
    case 'muc-burst': return `${r.occupants} occupants: last copy p50 ${r.toLast.p50.toFixed(1)} ms, max ${r.toLast.max.toFixed(1)} ms; `
      + `lost ${r.lost}, dup ${r.duplicated}, misrouted ${r.misrouted} (joins ${r.joinSeconds.toFixed(1)} s)${errors}`;
    case 'logins': return `${r.achieved.toFixed(0)} logins/s of ${r.offered} offered, setup p50 ${r.setup.p50.toFixed(1)} ms, p99 ${r.setup.p99.toFixed(1)} ms, `
      + `${r.failed} failed, ${r.skipped} skipped, server CPU ${((r.serverCpuSeconds * 1e6) / Math.max(1, r.ok)).toFixed(0)} µs/login${errors}`;
    case 'growth': return `${r.kind} ${r.size}: ${r.work} units, lost ${r.lost}, dup ${r.duplicated}, misrouted ${r.misrouted}${errors}`;
    case 'hibernate': return `${r.ok} hibernated, ${r.resume.resumed}/${r.resume.attempted} resumed in ${r.resume.seconds.toFixed(2)} s, `
      + `${r.expire.expired}/${r.expire.attempted} expired; lost ${r.resume.lost + r.expire.lost}, dup ${r.resume.duplicated + r.expire.duplicated + r.lateDuplicates}${errors}`;
  }
}

/** The targets of this run, in report order: relay, ours, Prosody, ejabberd. */
async function makeTargets(opts: BenchOptions, tmp: string): Promise<Target[]> {
  const targets: Target[] = [];
  if (opts.targets.has('relay')) targets.push(relayTarget());
  const profiles = join(tmpdir(), 'xmpp-bench-profiles');
  if (opts.profile) log(`CPU profiles of our server go to ${profiles} (summarise: node build/bench/profile.js FILE)`);
  const nodeFlags = [...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []), ...opts.serverFlags];
  if (opts.targets.has('ours')) targets.push(oursTarget({ dir: join(tmp, 'ours'), nodeFlags, config: opts.serverConfig }));
  if (opts.withProsody) {
    if (prosodyInstalled()) targets.push(await prosodyTarget({ dir: join(tmp, 'prosody') }, opts.prosodyStorage));
    else log('--with-prosody: prosody is not installed (apt-get install prosody lua-dbi-sqlite3); skipping it');
  }
  if (opts.withEjabberd) {
    if (ejabberdInstalled()) targets.push(await ejabberdTarget({ dir: join(tmp, 'ejabberd') }));
    else log('--with-ejabberd: ejabberd is not installed (apt-get install ejabberd erlang-p1-sqlite3); skipping it');
  }
  return targets;
}

/** One scenario of the run: its request, on which targets, with which options for the server. */
interface Step {
  readonly scenario: Measurement['scenario'];
  readonly request: (c: CommonParams) => ScenarioRequest;
  /** Only on targets with stream management. */
  readonly sm?: boolean;
  /** Only on our server. */
  readonly oursOnly?: boolean;
  /** Only on XMPP servers (not the relay). */
  readonly xmppOnly?: boolean;
  /** Only on targets whose accounts log in with SCRAM-SHA-256. */
  readonly scramSha256?: boolean;
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Accounts the selected scenarios use (the hibernate scenario's sender is one more). */
function accountsNeeded(opts: BenchOptions): number {
  const has = (s: ScenarioName): boolean => opts.scenarios.has(s);
  return Math.max(has('connect') ? opts.sessions : 0, has('messages') || has('messages-sm') || has('messages-im') || has('cluster') ? opts.pairs * 2 : 0,
    has('idle') || has('idle-sm') ? opts.idle : 0, has('hibernate') ? opts.hibernate + 1 : 0,
    has('muc') ? opts.rooms * opts.occupants : 0, has('muc-burst') ? opts.burstOccupants : 0, has('logins') ? opts.loginAccounts : 0);
}

/**
 * Every scenario, `repeat` times, each target in turn (so conditions drift alike for all);
 * a scenario and its stream management variant run one after the other in each repeat.
 */
async function runScenarios(opts: BenchOptions, targets: readonly Target[], tmp: string): Promise<Measurement[]> {
  // one more: the probe session beside the load (another user's ping, bench/loop-health.ts)
  const probeAccount = accountsNeeded(opts) + 1;
  const accounts = probeAccount;
  const t0 = Date.now();
  log(`creating ${accounts} accounts on ${targets.map((t) => t.name).join(', ')} (untimed)`);
  await Promise.all(targets.map((t) => t.prepare(accounts, PREFIX, PASSWORD)));
  log(`accounts ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const cacheDir = join(tmp, 'scram-cache');
  mkdirSync(cacheDir, { recursive: true });
  const ms: Measurement[] = [];
  const run = async (steps: readonly Step[]): Promise<void> => {
    for (let repeat = 1; repeat <= opts.repeat; repeat++) {
      for (const step of steps) {
        for (const target of targets) {
          if (step.sm && !target.streamManagement) continue;
          if (step.oursOnly && target.name !== 'ours') continue;
          if (step.xmppOnly && target.name === 'relay') continue;
          if (step.scramSha256 && !target.scramSha256) continue;
          log(`${step.scenario} on ${target.name} (run ${repeat}/${opts.repeat})`);
          try {
            const extra = { ...(step.config ? { config: step.config } : {}), ...(opts.health ? { probeAccount } : {}) };
            const m = await measure(target, step.scenario, repeat, step.request, { ...opts, cacheDir, ...extra });
            ms.push(m);
            log(`  ${summary(m)} (CPU s: server ${m.server.cpuSeconds.toFixed(1)}, load ${m.loadCpuSeconds.toFixed(1)})`);
          } catch (err) {
            log(`  FAILED: ${(err as Error).message}`);
          }
        }
      }
    }
  };
  const has = (s: ScenarioName): boolean => opts.scenarios.has(s);
  const sm = { ackEvery: opts.smAckEvery, resume: true };
  const messages = (c: CommonParams, rate?: number, withSm = false): ScenarioRequest => ({
    ...c, scenario: 'messages', pairs: opts.pairs, window: opts.window, bodyBytes: opts.body,
    warmupS: opts.warmup, durationS: opts.duration, drainMs: 10_000, ...(rate === undefined ? {} : { rate }), ...(withSm ? { sm } : {}),
  });
  const pick = (steps: (Step & { name: ScenarioName })[]): Step[] => steps.filter((s) => has(s.name));
  await run(pick([{ name: 'connect', scenario: 'connect', request: (c) => ({ ...c, scenario: 'connect', sessions: opts.sessions }) }]));
  await run(pick([
    { name: 'messages', scenario: 'messages', request: (c) => messages(c, opts.rate) },
    { name: 'messages-sm', scenario: 'messages-sm', request: (c) => messages(c, opts.rate, true), sm: true },
    // the IM essentials' cost: the same with the default module set (mam, carbons, blocklist...)
    { name: 'messages-im', scenario: 'messages-im', request: (c) => messages(c, opts.rate), oursOnly: true, config: { modules_enabled: [...DEFAULT_MODULES] } },
  ]));
  if (has('messages') && opts.sameLoad) {
    // one offered load for every target: half of what the slowest XMPP server delivered
    const xmpp = targets.filter((t) => t.name !== 'relay').map((t) => med(ms, 'messages', t.name, (m) => (m.result as MessagesResult).throughput)).filter(Number.isFinite);
    if (xmpp.length) {
      const rate = Math.max(100, Math.round((Math.min(...xmpp) * 0.5) / 100) * 100);
      await run([{ scenario: 'same-load', request: (c) => messages(c, rate) }]);
    }
  }
  await run(pick([
    {
      name: 'muc', scenario: 'muc', xmppOnly: true,
      request: (c) => ({
        ...c, scenario: 'muc', service: MUC_DOMAIN, rooms: opts.rooms, occupants: opts.occupants, window: opts.mucWindow,
        ...(opts.mucRate === undefined ? {} : { rate: opts.mucRate }), bodyBytes: opts.body, warmupS: opts.warmup, durationS: opts.duration, drainMs: 10_000,
      }),
    },
    {
      name: 'muc-burst', scenario: 'muc-burst', xmppOnly: true,
      request: (c) => ({ ...c, scenario: 'muc-burst', service: MUC_DOMAIN, occupants: opts.burstOccupants, bursts: opts.bursts, bodyBytes: opts.body, drainMs: 30_000 }),
    },
  ]));
  await run(pick([{
    name: 'logins', scenario: 'logins', xmppOnly: true, scramSha256: true,
    request: (c) => ({
      ...c, scenario: 'logins', rate: opts.loginRate, durationS: opts.duration, accounts: opts.loginAccounts,
      mechanism: 'SCRAM-SHA-256', maxInFlight: opts.loginMaxInFlight,
    }),
  }]));
  await run(pick([
    { name: 'idle', scenario: 'idle', request: (c) => ({ ...c, scenario: 'idle', sessions: opts.idle, rounds: opts.idleRounds }) },
    { name: 'idle-sm', scenario: 'idle-sm', request: (c) => ({ ...c, scenario: 'idle', sessions: opts.idle, rounds: opts.idleRounds, sm }), sm: true },
  ]));
  await run(pick([{
    name: 'hibernate', scenario: 'hibernate', sm: true, config: { smacks_hibernation_time: opts.hibernationTime },
    request: (c) => ({
      ...c, scenario: 'hibernate', sessions: opts.hibernate, messagesPerSession: opts.hibernateMessages,
      hibernationS: opts.hibernationTime, ackEvery: opts.smAckEvery, holdS: opts.hold, drainMs: 10_000,
    }),
  }]));
  if (has('cluster')) {
    const ours = targets.find((t) => t.name === 'ours');
    ms.push(...await runCluster(opts, ours, accounts, tmp, { ...opts, cacheDir, ...(opts.health ? { probeAccount } : {}) }));
  }
  return ms;
}

/** Print the report of a JSON lines file written by an earlier run. */
function printSaved(file: string, markdown: boolean): void {
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Measurement & { params: Record<string, unknown>; machine: Machine });
  const first = lines[0];
  if (!first) throw new Error(`${file} has no measurements`);
  const targets = ['relay', 'ours', 'prosody', 'ejabberd'].filter((t) => lines.some((m) => m.target === t));
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
  // the load generator and the server each hold one socket per session
  const files = Math.max(opts.scenarios.has('idle') || opts.scenarios.has('idle-sm') ? opts.idle : 0, opts.scenarios.has('hibernate') ? opts.hibernate + 1 : 0,
    opts.scenarios.has('growth') ? 18_000 : 0);
  if (files > 0 && raiseOpenFiles(files + 2000)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'xmpp-bench-'));
  const resultsDir = join(ROOT, 'bench/results');
  let targets: Target[];
  let ms: Measurement[];
  let growth: GrowthRow[] = [];
  try {
    targets = await makeTargets(opts, tmp);
    ms = await runScenarios(opts, targets, tmp);
    const ours = targets.find((t) => t.name === 'ours');
    if (opts.scenarios.has('growth') && ours) {
      const t0 = Date.now();
      growth = await runGrowth(ours, { rows: opts.growthRows, steps: opts.growthSteps, work: opts.growthWork, rate: opts.growthRate, quick: opts.growthQuick },
        { settle: opts.settle, hold: opts.hold, concurrency: opts.concurrency, cacheDir: join(tmp, 'scram-cache') });
      log(`growth done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    if (opts.keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  const params = { ...opts, scenarios: [...opts.scenarios], targets: targets.map((t) => t.name) };
  const mach = machine(targets.find((t) => t.name === 'prosody')?.version);
  const runId = new Date().toISOString();
  process.stdout.write(`\n${renderReport(ms, targets.map((t) => t.name), params, mach)}\n`);
  if (opts.scenarios.has('mam-query') && opts.targets.has('ours')) {
    log('mam-query on ours (in process)');
    const r = await runMamQuery(opts.duration < 10 ? 100_000 : 1_000_000, 100, 200, log); // --quick: a smaller archive
    const ok = r.wire.p50 < 20 && r.complete;
    process.stdout.write(`\nmam-query, ours: last 50 messages with one contact, archive of ${r.messages.toLocaleString('en')} messages across ${r.contacts} contacts `
      + `(built in ${r.buildSeconds.toFixed(1)} s), ${r.queries} queries over TCP\n`
      + `  query to <fin/> ms: p50 ${r.wire.p50.toFixed(2)}, p90 ${r.wire.p90.toFixed(2)}, p99 ${r.wire.p99.toFixed(2)}; storage alone p50 ${r.storage.p50.toFixed(2)}, p99 ${r.storage.p99.toFixed(2)}\n`
      + `  ${ok ? 'ok' : 'NO'}  median < 20 ms with all 50 results: ${r.wire.p50.toFixed(2)} ms${r.complete ? '' : ' (some answers had fewer than 50)'}\n`);
  }
  if (growth.length) process.stdout.write(`\n${renderGrowth(growth)}\n`);
  const lines = jsonLines(ms, runId, params, mach);
  if (opts.markdown && ms.length) process.stdout.write(`\n${renderMarkdown(ms, params, mach)}\n`);
  if (opts.markdown && growth.length) process.stdout.write(`\n${renderGrowthMarkdown(growth)}\n`);
  if (opts.json) process.stdout.write(lines);
  const outFile = opts.out ?? join(resultsDir, `${runId.replace(/[:.]/g, '-')}.jsonl`);
  if (outFile) {
    mkdirSync(join(outFile, '..'), { recursive: true });
    writeFileSync(outFile, lines);
    log(`JSON lines: ${outFile}`);
  }
  // timings never fail the run; losing, duplicating or misrouting a message, or dropping a session, does
  const hib = (r: HibernateResult): number => r.failed + r.resume.failed + r.resume.lost + r.resume.duplicated + r.expire.lost + r.expire.duplicated
    + r.expire.stillResumable + r.expire.loginFailed + r.lateDuplicates + r.misrouted;
  const bad = ms.some((m) => m.result.scenario === 'messages' && (m.result.lost + m.result.duplicated + m.result.misrouted > 0))
    || ms.some((m) => m.result.scenario === 'idle' && ((m.result as IdleResult).failed > 0 || (m.result as IdleResult).dropped > 0))
    || ms.some((m) => m.result.scenario === 'hibernate' && hib(m.result) > 0)
    || ms.some((m) => (m.result.scenario === 'muc' || m.result.scenario === 'muc-burst') && m.result.lost + m.result.duplicated + m.result.misrouted > 0);
  const growthBad = growth.some((r) => r.steps.length === 0 || r.steps.some((st) => st.lost + st.duplicated + st.misrouted > 0));
  if (bad || growthBad) process.exitCode = 1;
}

await main();
