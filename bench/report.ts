/**
 * @module bench/report
 * Turns measurements into the stdout table (medians over repeats, ratios, the targets)
 * and JSON lines for tracking.
 */
import { cpus, totalmem, release } from 'node:os';
import type { ConnectResult, IdleResult, MessagesResult, ScenarioResult } from './protocol.js';
import { renderSm, smChecks, smMarkdownRows } from './report-sm.js';
import { imChecks, renderIm } from './report-im.js';
import { mucChecks, mucMarkdownRows, renderMuc } from './report-muc.js';
import { fmt, med, ratio, sum, table } from './report-util.js';
import { renderHealth } from './report-health.js';
import type { HealthFigures } from './loop-health.js';
import { headlineMarkdownRows, renderHeadline } from './report-headline.js';
import { ejabberdChecks } from './report-ejabberd.js';
import { clusterMarkdownRows, renderCluster } from './report-cluster.js';

export { med };

/** Server memory and CPU while the load generator held its sessions in one phase. */
export interface PhaseSample {
  readonly sessions: number;
  /** The last RSS sample of the hold. */
  readonly rssKiB: number;
  /** (rssKiB - baseline) / sessions. */
  readonly perSessionKiB: number;
  /** CPU seconds the server used during the hold. */
  readonly cpuSeconds: number;
  /** Seconds from the start of the hold to the end of the last 250 ms with the server over 25% CPU. */
  readonly busySeconds: number;
}

/** One run of one scenario against one target, with what the orchestrator measured. */
export interface Measurement {
  /**
   * 'same-load' is the messages scenario at one fixed offered rate for every target;
   * 'messages-sm' and 'idle-sm' are those scenarios with stream management on every session.
   */
  readonly scenario: 'connect' | 'messages' | 'messages-sm' | 'messages-im' | 'same-load' | 'muc' | 'muc-burst' | 'idle' | 'idle-sm' | 'hibernate' | 'growth' | 'logins' | 'cluster';
  readonly target: string;
  readonly version: string;
  readonly repeat: number;
  readonly result: ScenarioResult;
  readonly server: {
    /** After start and a short settle, before any load. */
    readonly rssBaselineKiB: number;
    readonly rssPeakKiB: number;
    /** idle: with the sessions held (the last sample). */
    readonly rssHeldKiB?: number;
    /** idle: a while after the sessions closed. */
    readonly rssAfterKiB?: number;
    /** idle: (held - baseline) / sessions. */
    readonly perSessionKiB?: number;
    /** CPU seconds the server used during the scenario. */
    readonly cpuSeconds: number;
    /** hibernate: memory in each phase (connected, hibernating, expired). */
    readonly phases?: Readonly<Record<string, PhaseSample>>;
  };
  /** CPU seconds the load generator used. */
  readonly loadCpuSeconds: number;
  /** Another user's ping and the server's event-loop delay over the measured interval (bench/loop-health.ts). */
  readonly health?: HealthFigures;
  /** The target's counters (RunningTarget.counters) over the measured interval: end - start. */
  readonly interval?: Readonly<Record<string, number>>;
}

/** The machine, for the report and the JSON lines. */
export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  prosody?: string;
}

export function machine(prosody?: string): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpu: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    ...(prosody ? { prosody } : {}),
  };
}

const conn = (m: Measurement): ConnectResult => m.result as ConnectResult;
const msg = (m: Measurement): MessagesResult => m.result as MessagesResult;
const idle = (m: Measurement): IdleResult => m.result as IdleResult;

/** The human-readable report (medians over repeats). */
export function renderReport(ms: readonly Measurement[], targets: readonly string[], params: Record<string, unknown>, mach: Machine): string {
  const out: string[] = [];
  const has = (s: Measurement['scenario']): string[] => targets.filter((t) => ms.some((m) => m.scenario === s && m.target === t));
  out.push(`machine: ${mach.cores} cores, ${mach.cpu}, ${mach.memoryGiB} GiB, Node ${mach.node}${mach.prosody ? `, ${mach.prosody}` : ''}`);
  out.push(`repeats: ${String(params.repeat)} (medians shown; lost/dup/misrouted are totals over all runs)`);
  out.push(...renderHeadline(ms, targets));
  const c = has('connect');
  if (c.length) {
    out.push('', `connect: ${String(params.sessions)} sessions, ${String(params.concurrency)} setups in flight, <open/> + SCRAM-SHA-1 + bind + presence`);
    out.push(table(['target', 'sessions/s', 'setup p50 ms', 'setup p99 ms', 'failed'], c.map((t) => [
      t, fmt(med(ms, 'connect', t, (m) => conn(m).rate)), fmt(med(ms, 'connect', t, (m) => conn(m).setup.p50), 1),
      fmt(med(ms, 'connect', t, (m) => conn(m).setup.p99), 1), fmt(sum(ms, 'connect', t, (m) => conn(m).failed)),
    ])));
  }
  for (const scenario of ['messages', 'messages-sm', 'same-load'] as const) {
    const list = has(scenario);
    if (!list.length) continue;
    const offered = med(ms, scenario, list[0]!, (m) => msg(m).offered ?? Number.NaN);
    out.push('', {
      messages: `messages: ${String(params.pairs)} pairs, window ${String(params.window)} per sender, ${String(params.body)}-char body, ${String(params.duration)} s measured`,
      'messages-sm': `messages with stream management (XEP-0198): the same, every client acks each ${String(params.smAckEvery)} stanzas received and answers <r/>`,
      'same-load': `latency at the same offered load: ${fmt(offered)} msg/s for every target`,
    }[scenario]);
    out.push(table(['target', 'delivered msg/s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'dup', 'misrouted', 'server CPU µs/msg'], list.map((t) => [
      t, fmt(med(ms, scenario, t, (m) => msg(m).throughput)), fmt(med(ms, scenario, t, (m) => msg(m).latency.p50), 2),
      fmt(med(ms, scenario, t, (m) => msg(m).latency.p99), 2), fmt(med(ms, scenario, t, (m) => msg(m).latency.max), 1),
      fmt(sum(ms, scenario, t, (m) => msg(m).lost)), fmt(sum(ms, scenario, t, (m) => msg(m).duplicated)), fmt(sum(ms, scenario, t, (m) => msg(m).misrouted)),
      fmt(med(ms, scenario, t, (m) => (m.server.cpuSeconds * 1e6) / Math.max(1, msg(m).delivered)), 1),
    ])));
  }
  for (const scenario of ['idle', 'idle-sm'] as const) {
    const i = has(scenario);
    if (!i.length) continue;
    out.push('', scenario === 'idle'
      ? `idle: ${String(params.idle)} authenticated, bound, available sessions held ${String(params.hold)} s`
      : `idle with stream management: the same sessions, each with <enable resume='true'/> (acks as above)`);
    // with --idle-rounds 2: RSS after the first close and in the second hold (phases closed-1, held-2)
    const phase = (name: string) => (m: Measurement): number => (m.server.phases?.[name]?.rssKiB ?? Number.NaN) / 1024;
    out.push(table(['target', 'held', 'failed', 'dropped', 'RSS base MiB', 'RSS held MiB', 'KiB/session', 'after close MiB', '2nd held MiB', 'after 2nd close MiB'], i.map((t) => [
      t, fmt(med(ms, scenario, t, (m) => idle(m).ok)), fmt(sum(ms, scenario, t, (m) => idle(m).failed)), fmt(sum(ms, scenario, t, (m) => idle(m).dropped)),
      fmt(med(ms, scenario, t, (m) => m.server.rssBaselineKiB / 1024), 1), fmt(med(ms, scenario, t, (m) => (m.server.rssHeldKiB ?? Number.NaN) / 1024), 1),
      fmt(med(ms, scenario, t, (m) => m.server.perSessionKiB ?? Number.NaN), 1),
      fmt(med(ms, scenario, t, (m) => (m.server.phases?.['closed-1'] === undefined ? (m.server.rssAfterKiB ?? Number.NaN) / 1024 : phase('closed-1')(m))), 1),
      fmt(med(ms, scenario, t, phase('held-2')), 1),
      fmt(med(ms, scenario, t, (m) => (m.server.phases?.['closed-1'] === undefined ? Number.NaN : (m.server.rssAfterKiB ?? Number.NaN) / 1024)), 1),
    ])));
  }
  out.push(...renderSm(ms, params));
  out.push(...renderIm(ms));
  out.push(...renderMuc(ms, targets, params));
  out.push(...renderCluster(ms, params));
  out.push(...renderHealth(ms, targets, params));
  out.push('', ...targetChecks(ms, params));
  return out.join('\n');
}

/** The targets, each with the measured figures and whether it holds. */
export function targetChecks(ms: readonly Measurement[], params: Record<string, unknown>): string[] {
  const lines = ['ratios and targets:'];
  const check = (label: string, value: string, holds: boolean | undefined): void => {
    lines.push(`  ${holds === undefined ? '   ' : holds ? 'ok ' : 'NO '} ${label}: ${value}`);
  };
  const ours = (s: Measurement['scenario'], pick: (m: Measurement) => number): number => med(ms, s, 'ours', pick);
  const pros = (s: Measurement['scenario'], pick: (m: Measurement) => number): number => med(ms, s, 'prosody', pick);
  const tput = (m: Measurement): number => msg(m).throughput;
  const hasProsody = ms.some((m) => m.target === 'prosody');
  if (ms.some((m) => m.scenario === 'messages')) {
    const r = ours('messages', tput) / med(ms, 'messages', 'relay', tput);
    check('messages ours / relay ceiling >= 0.5', ratio(ours('messages', tput), med(ms, 'messages', 'relay', tput)), Number.isFinite(r) ? r >= 0.5 : undefined);
    if (hasProsody) {
      const q = ours('messages', tput) / pros('messages', tput);
      check('messages ours / Prosody >= 3', ratio(ours('messages', tput), pros('messages', tput)), Number.isFinite(q) ? q >= 3 : undefined);
    }
    const lostEtc = ms.filter((m) => m.scenario === 'messages' || m.scenario === 'messages-sm' || m.scenario === 'same-load')
      .reduce((a, m) => a + msg(m).lost + msg(m).duplicated + msg(m).misrouted, 0);
    check('exactly once (lost + duplicated + misrouted, all targets, all runs) = 0', String(lostEtc), lostEtc === 0);
  }
  if (hasProsody && ms.some((m) => m.scenario === 'same-load')) {
    const p99 = (m: Measurement): number => msg(m).latency.p99;
    const a = ours('same-load', p99);
    const b = pros('same-load', p99);
    check('p99 latency at the same load, ours < Prosody', `${a.toFixed(2)} ms vs ${b.toFixed(2)} ms`, Number.isFinite(a) && Number.isFinite(b) ? a < b : undefined);
  }
  if (ms.some((m) => m.scenario === 'idle' && m.target === 'ours')) {
    const kib = ours('idle', (m) => m.server.perSessionKiB ?? Number.NaN);
    check('memory per idle session <= 30 KiB', `${kib.toFixed(1)} KiB`, Number.isFinite(kib) ? kib <= 30 : undefined);
    const runs = ms.filter((m) => m.scenario === 'idle' && m.target === 'ours');
    const clean = runs.every((m) => idle(m).failed === 0 && idle(m).dropped === 0 && idle(m).ok === idle(m).sessions);
    // issue 18: RSS back within 10% of the baseline after the close, and a second round reusing it
    const after = ours('idle', (m) => (m.server.rssAfterKiB ?? Number.NaN) / m.server.rssBaselineKiB);
    check('RSS after the last close <= 1.1 x baseline', `${after.toFixed(2)} x`, Number.isFinite(after) ? after <= 1.1 : undefined);
    const again = ours('idle', (m) => (m.server.phases?.['held-2']?.rssKiB ?? Number.NaN) / (m.server.rssHeldKiB ?? Number.NaN));
    if (Number.isFinite(again)) check('second round held RSS <= 1.05 x first (memory reused)', `${again.toFixed(2)} x`, again <= 1.05);
    check(`${String(params.idle)} idle sessions held without an error`, runs.map((m) => `${idle(m).ok} held, ${idle(m).failed} failed, ${idle(m).dropped} dropped`).join('; '), Number(params.idle) >= 10000 ? clean : clean ? undefined : false);
  }
  smChecks(ms, params, check);
  imChecks(ms, check);
  mucChecks(ms, check);
  if (hasProsody && ms.some((m) => m.scenario === 'connect')) {
    const rate = (m: Measurement): number => conn(m).rate;
    const q = ours('connect', rate) / pros('connect', rate);
    check('connect rate ours / Prosody >= 2', ratio(ours('connect', rate), pros('connect', rate)), Number.isFinite(q) ? q >= 2 : undefined);
  }
  ejabberdChecks(ms, check);
  return lines;
}

/** One JSON line per measurement, for tracking over time. */
export function jsonLines(ms: readonly Measurement[], runId: string, params: Record<string, unknown>, mach: Machine): string {
  return ms.map((m) => JSON.stringify({ run: runId, ...m, params, machine: mach })).join('\n') + (ms.length ? '\n' : '');
}

/** The README's figures table (Markdown), medians over repeats. */
export function renderMarkdown(ms: readonly Measurement[], params: Record<string, unknown>, mach: Machine): string {
  const targets = ['ours', 'prosody', 'ejabberd', 'relay'].filter((t) => ms.some((m) => m.target === t));
  const label: Record<string, string> = {
    ours: 'ours', prosody: mach.prosody?.replace(/ \(.*\)$/, '') ?? 'Prosody', relay: 'raw ws relay',
    ejabberd: ms.find((m) => m.target === 'ejabberd')?.version.replace(/ \(.*\)$/, '') ?? 'ejabberd',
  };
  const f = (n: number, d = 0): string => fmt(n, d);
  const rows: string[][] = [];
  const row = (name: string, cell: (t: string) => string, ratios?: (t: string) => number): void => {
    const r = ratios ? [ratio(ratios('ours'), ratios('prosody')), ratio(ratios('ours'), ratios('relay')), ratio(ratios('ours'), ratios('ejabberd'))] : ['', '', ''];
    rows.push([name, ...targets.map(cell), ...(targets.includes('prosody') ? [r[0]!] : []), ...(targets.includes('ejabberd') ? [r[2]!] : []), ...(targets.includes('relay') ? [r[1]!] : [])]);
  };
  const has = (s: Measurement['scenario']): boolean => ms.some((m) => m.scenario === s);
  for (const [name, cell, r] of headlineMarkdownRows(ms)) row(name, cell, r);
  if (has('connect')) {
    row(`connect: sessions/s (${String(params.sessions)}, ${String(params.concurrency)} in flight)`, (t) => f(med(ms, 'connect', t, (m) => conn(m).rate)), (t) => med(ms, 'connect', t, (m) => conn(m).rate));
    row('connect: setup p50 / p99 ms', (t) => `${f(med(ms, 'connect', t, (m) => conn(m).setup.p50), 1)} / ${f(med(ms, 'connect', t, (m) => conn(m).setup.p99), 1)}`);
  }
  if (has('messages')) {
    row(`messages: delivered msg/s (${String(params.pairs)} pairs, window ${String(params.window)})`, (t) => f(med(ms, 'messages', t, (m) => msg(m).throughput)), (t) => med(ms, 'messages', t, (m) => msg(m).throughput));
    row('messages: latency p50 / p99 ms at that rate', (t) => `${f(med(ms, 'messages', t, (m) => msg(m).latency.p50), 1)} / ${f(med(ms, 'messages', t, (m) => msg(m).latency.p99), 1)}`);
    row('messages: server CPU µs per message', (t) => f(med(ms, 'messages', t, (m) => (m.server.cpuSeconds * 1e6) / Math.max(1, msg(m).delivered)), 1));
  }
  if (has('same-load')) {
    const offered = med(ms, 'same-load', 'ours', (m) => msg(m).offered ?? Number.NaN);
    row(`same load (${f(offered)} msg/s): latency p50 / p99 / max ms`, (t) => `${f(med(ms, 'same-load', t, (m) => msg(m).latency.p50), 2)} / ${f(med(ms, 'same-load', t, (m) => msg(m).latency.p99), 2)} / ${f(med(ms, 'same-load', t, (m) => msg(m).latency.max), 1)}`);
  }
  if (has('messages') || has('same-load')) {
    const lost = (t: string, pick: (r: MessagesResult) => number): number => ms.filter((m) => m.target === t && (m.scenario === 'messages' || m.scenario === 'messages-sm' || m.scenario === 'same-load')).reduce((a, m) => a + pick(msg(m)), 0);
    row('exactly once: lost / duplicated / misrouted', (t) => `${lost(t, (r) => r.lost)} / ${lost(t, (r) => r.duplicated)} / ${lost(t, (r) => r.misrouted)}`);
  }
  if (has('idle')) {
    row(`idle: KiB of server RSS per session (${f(Number(params.idle))} held)`, (t) => f(med(ms, 'idle', t, (m) => m.server.perSessionKiB ?? Number.NaN), 1), (t) => med(ms, 'idle', t, (m) => m.server.perSessionKiB ?? Number.NaN));
    row('idle: RSS MiB baseline → held → after close', (t) => ['rssBaselineKiB', 'rssHeldKiB', 'rssAfterKiB'].map((k) => f(med(ms, 'idle', t, (m) => (m.server[k as 'rssHeldKiB'] ?? Number.NaN) / 1024))).join(' → '));
    row('idle: sessions held / failed / dropped', (t) => `${f(med(ms, 'idle', t, (m) => idle(m).ok))} / ${f(sum(ms, 'idle', t, (m) => idle(m).failed))} / ${f(sum(ms, 'idle', t, (m) => idle(m).dropped))}`);
  }
  for (const [name, cell, r] of mucMarkdownRows(ms, params)) row(name, cell, r);
  // the cluster: two nodes vs one node of ours, in the ours column
  for (const [name, cell] of clusterMarkdownRows(ms, params)) row(name, (t) => (t === 'ours' ? cell : '-'));
  // stream management: our server only
  for (const [name, cell] of smMarkdownRows(ms, params)) row(name, (t) => (t === 'ours' ? cell : '-'));
  const headers = ['', ...targets.map((t) => label[t]!), ...(targets.includes('prosody') ? ['ours / Prosody'] : []), ...(targets.includes('ejabberd') ? ['ours / ejabberd'] : []), ...(targets.includes('relay') ? ['ours / relay'] : [])];
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}
