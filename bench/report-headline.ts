/**
 * @module bench/report-headline
 * The figure that ranks servers when the load generator, not the server, limits msg/s: the
 * server process's CPU (/proc, over the measured interval only: warm-up, logins and joins
 * excluded) per delivered unit, for every target of the same run, with ours / other ratios
 * and the issue's targets for it (PASS/MISS); with the cluster scenario, its rows (report-cluster.ts).
 * The first rows of the report and the Markdown.
 */
import type { ConnectResult, CpuInterval, MessagesResult, MucResult } from './protocol.js';
import type { Measurement } from './report.js';
import { fmt, med, ratio, table } from './report-util.js';
import { clusterCpuPerMessage, clusterHeadlineRows } from './report-cluster.js';

type Scenario = Measurement['scenario'];

/** The headline's scenarios, their unit, and the scenario a target that does not run one is compared by. */
const ROWS: readonly { scenario: Scenario; unit: string; fallback?: Scenario }[] = [
  { scenario: 'messages', unit: 'CPU µs / delivered message' },
  { scenario: 'messages-im', unit: 'CPU µs / delivered message', fallback: 'messages' },
  { scenario: 'messages-sm', unit: 'CPU µs / delivered message', fallback: 'messages' },
  { scenario: 'same-load', unit: 'CPU µs / delivered message' },
  { scenario: 'connect', unit: 'CPU µs / session set up' },
  { scenario: 'muc', unit: 'CPU µs / groupchat copy' },
  { scenario: 'idle', unit: 'RSS KiB / session held' },
  { scenario: 'idle-sm', unit: 'RSS KiB / session held', fallback: 'idle' },
];

/** The issue's targets (issue 18 item 2): ours / relay in server CPU per delivered message, same run. */
export const HEADLINE_TARGETS: readonly { scenario: Scenario; max: number; label: string }[] = [
  { scenario: 'messages', max: 1.05, label: 'messages, default modules off' },
  { scenario: 'messages-im', max: 1.3, label: 'messages-im, default modules on' },
];

const cpuMicros = (c: CpuInterval | undefined, units: number): number => (c === undefined || !(units > 0) ? Number.NaN : ((c.end - c.start) * 1e6) / units);

/** One measurement's headline figure (NaN when it has none, e.g. a file from before it was measured). */
export function perUnit(m: Measurement): number {
  switch (m.scenario) {
    case 'messages': case 'messages-sm': case 'messages-im': case 'same-load': {
      const r = m.result as MessagesResult;
      return cpuMicros(r.serverCpu, r.deliveredInWindow ?? Number.NaN);
    }
    case 'connect': {
      const r = m.result as ConnectResult;
      return cpuMicros(r.serverCpu, r.ok);
    }
    case 'muc': {
      const r = m.result as MucResult;
      return r.deliveredInWindow > 0 ? (r.serverCpuSeconds * 1e6) / r.deliveredInWindow : Number.NaN;
    }
    case 'cluster': return clusterCpuPerMessage(m);
    case 'idle': case 'idle-sm': return m.server.perSessionKiB ?? Number.NaN;
    default: return Number.NaN;
  }
}

/** A target's figure for a scenario: its own, or (`viaFallback`) its fallback scenario's; NaN when neither ran. */
function figure(ms: readonly Measurement[], scenario: Scenario, fallback: Scenario | undefined, target: string): { value: number; viaFallback: boolean } {
  const own = med(ms, scenario, target, perUnit);
  if (ms.some((m) => m.scenario === scenario && m.target === target) || fallback === undefined) return { value: own, viaFallback: false };
  return { value: med(ms, fallback, target, perUnit), viaFallback: true };
}

const ran = (ms: readonly Measurement[], scenario: Scenario, target: string): boolean => ms.some((m) => m.scenario === scenario && m.target === target);

/** The rows with a figure for ours, and the other targets present. */
function present(ms: readonly Measurement[], targets: readonly string[]): { rows: typeof ROWS; others: string[] } {
  return { rows: ROWS.filter((r) => ran(ms, r.scenario, 'ours')), others: targets.filter((t) => t !== 'ours') };
}

/** One cell: the figure, '*' when it is the fallback scenario's, why not when there is none. */
function cell(ms: readonly Measurement[], row: (typeof ROWS)[number], target: string): string {
  const f = figure(ms, row.scenario, row.fallback, target);
  if (!ran(ms, row.scenario, target) && !(f.viaFallback && ran(ms, row.fallback!, target))) return 'not run';
  return `${fmt(f.value, digitsFor(f.value))}${f.viaFallback ? '*' : ''}`;
}

/** Decimals for a figure: fewer as it grows (CPU per session is in the hundreds of µs, per message a few). */
const digitsFor = (value: number): number => (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);

/** PASS/MISS lines for HEADLINE_TARGETS (only those whose scenario ran on ours and whose relay reference ran). */
export function headlineTargets(ms: readonly Measurement[]): string[] {
  const lines: string[] = [];
  for (const t of HEADLINE_TARGETS) {
    if (!ran(ms, t.scenario, 'ours')) continue;
    const ours = med(ms, t.scenario, 'ours', perUnit);
    const relay = med(ms, 'messages', 'relay', perUnit);
    const r = ours / relay;
    const verdict = Number.isFinite(r) ? (r <= t.max ? 'PASS' : 'MISS') : 'n/a ';
    lines.push(`  ${verdict} ${t.label}: server CPU per message ours / relay <= ${t.max.toFixed(2)}×: `
      + `${fmt(ours, 2)} / ${fmt(relay, 2)} µs = ${ratio(ours, relay)}${Number.isFinite(relay) ? '' : ' (the relay did not run messages)'}`);
  }
  return lines;
}

/** same-load: the offered rate and whether each target sustained it (below 95%, its latency is queueing). */
function sameLoadNote(ms: readonly Measurement[], targets: readonly string[]): string[] {
  const list = targets.filter((t) => ran(ms, 'same-load', t));
  if (!list.length) return [];
  const offered = med(ms, 'same-load', list[0]!, (m) => (m.result as MessagesResult).offered ?? Number.NaN);
  const short = list.filter((t) => med(ms, 'same-load', t, (m) => (m.result as MessagesResult).throughput) < offered * 0.95);
  return [`  same-load offered ${fmt(offered)} msg/s, delivered: ${list.map((t) => `${t} ${fmt(med(ms, 'same-load', t, (m) => (m.result as MessagesResult).throughput))}`).join(', ')}`
    + (short.length ? `; NOT sustained by ${short.join(', ')} (latency there is queueing)` : '; sustained by all')];
}

/** The plain-text headline: first in the report. */
export function renderHeadline(ms: readonly Measurement[], targets: readonly string[]): string[] {
  const { rows, others } = present(ms, targets.filter((t) => t !== 'cluster'));
  const cluster = clusterHeadlineRows(ms);
  if (rows.length === 0 && cluster.length === 0) return [];
  const headers = ['headline (server process, measured interval)', 'unit', 'ours', ...others, ...others.map((t) => `ours/${t}`)];
  const body = rows.map((row) => {
    const ours = med(ms, row.scenario, 'ours', perUnit);
    return [row.scenario, row.unit, fmt(ours, digitsFor(ours)), ...others.map((t) => cell(ms, row, t)),
      ...others.map((t) => ratio(ours, figure(ms, row.scenario, row.fallback, t).value))];
  });
  // the cluster scenario: two nodes of ours (both processes, and Redis) and one node, same run
  for (const [name, unit, value] of cluster) body.push([name, unit, value, ...others.map(() => '-'), ...others.map(() => '')]);
  const out = ['', table(headers, body)];
  if (body.some((r) => r.some((c) => c.endsWith('*')))) {
    out.push('  * that target does not run this scenario: its figure for the scenario without SM / the default modules (messages, idle)');
  }
  out.push(...sameLoadNote(ms, ['ours', ...others]));
  const checks = headlineTargets(ms);
  if (checks.length) out.push('targets (issue 18 item 2):', ...checks);
  return out;
}

/** The headline rows of the README's Markdown table: [name, cell, figure for the ratio columns]. */
export function headlineMarkdownRows(ms: readonly Measurement[]): [string, (t: string) => string, (t: string) => number][] {
  const { rows } = present(ms, ['ours', 'prosody', 'relay', 'ejabberd']);
  return rows.map((row) => [
    `**${row.scenario}: server ${row.unit}**`,
    (t: string) => cell(ms, row, t),
    (t: string) => figure(ms, row.scenario, row.fallback, t).value,
  ]);
}
