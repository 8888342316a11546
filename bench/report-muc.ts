/**
 * @module bench/report-muc
 * The group chat part of the report: the muc scenario (R rooms × N occupants) and the
 * muc-burst one (one room of B occupants, time to the last copy), per target, with the
 * issue's target: our copies received per second at least 3× Prosody's, all copies exactly once.
 */
import type { MucBurstResult, MucResult } from './protocol.js';
import type { Measurement } from './report.js';
import { fmt, med, ratio, sum, table } from './report-util.js';

export const MUC_MIN_PROSODY_RATIO = 3;

const muc = (m: Measurement): MucResult => m.result as MucResult;
const burst = (m: Measurement): MucBurstResult => m.result as MucBurstResult;
const throughput = (m: Measurement): number => muc(m).throughput;
/** Server CPU per copy received, over the measured interval only (joins excluded). */
const cpuPerCopy = (m: Measurement): number => (muc(m).serverCpuSeconds * 1e6) / Math.max(1, muc(m).deliveredInWindow);

/** The muc tables (nothing when neither scenario ran). */
export function renderMuc(ms: readonly Measurement[], targets: readonly string[], params: Record<string, unknown>): string[] {
  const out: string[] = [];
  const on = (s: Measurement['scenario']): string[] => targets.filter((t) => ms.some((m) => m.scenario === s && m.target === t));
  const rooms = on('muc');
  if (rooms.length) {
    const rate = params.mucRate === undefined ? `${String(params.mucWindow)} messages in flight per room` : `${String(params.mucRate)} messages/s per room`;
    out.push('', `muc: ${String(params.rooms)} rooms × ${String(params.occupants)} occupants (XEP-0045), ${rate}, ${String(params.body)}-char body, ${String(params.duration)} s measured; a copy = one occupant's message`);
    out.push(table(['target', 'copies/s', 'messages/s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'dup', 'misrouted', 'server CPU µs/copy', 'joins s'], rooms.map((t) => [
      t, fmt(med(ms, 'muc', t, throughput)), fmt(med(ms, 'muc', t, (m) => throughput(m) / muc(m).occupants)),
      fmt(med(ms, 'muc', t, (m) => muc(m).latency.p50), 2), fmt(med(ms, 'muc', t, (m) => muc(m).latency.p99), 2), fmt(med(ms, 'muc', t, (m) => muc(m).latency.max), 1),
      fmt(sum(ms, 'muc', t, (m) => muc(m).lost)), fmt(sum(ms, 'muc', t, (m) => muc(m).duplicated)), fmt(sum(ms, 'muc', t, (m) => muc(m).misrouted)),
      fmt(med(ms, 'muc', t, cpuPerCopy), 1), fmt(med(ms, 'muc', t, (m) => muc(m).joinSeconds), 1),
    ])));
  }
  const big = on('muc-burst');
  if (big.length) {
    out.push('', `muc-burst: one room of ${String(params.burstOccupants)} occupants, ${String(params.bursts)} messages one at a time; time from the send to the first and the last occupant's copy`);
    out.push(table(['target', 'last p50 ms', 'last max ms', 'first p50 ms', 'lost', 'dup', 'misrouted', 'server CPU ms/message', 'joins s'], big.map((t) => [
      t, fmt(med(ms, 'muc-burst', t, (m) => burst(m).toLast.p50), 1), fmt(med(ms, 'muc-burst', t, (m) => burst(m).toLast.max), 1),
      fmt(med(ms, 'muc-burst', t, (m) => burst(m).toFirst.p50), 2),
      fmt(sum(ms, 'muc-burst', t, (m) => burst(m).lost)), fmt(sum(ms, 'muc-burst', t, (m) => burst(m).duplicated)), fmt(sum(ms, 'muc-burst', t, (m) => burst(m).misrouted)),
      fmt(med(ms, 'muc-burst', t, (m) => (burst(m).serverCpuSeconds * 1e3) / burst(m).bursts), 2), fmt(med(ms, 'muc-burst', t, (m) => burst(m).joinSeconds), 1),
    ])));
  }
  return out;
}

/** The muc targets, through the report's `check`. */
export function mucChecks(ms: readonly Measurement[], check: (label: string, value: string, holds: boolean | undefined) => void): void {
  const runs = ms.filter((m) => m.scenario === 'muc' || m.scenario === 'muc-burst');
  if (!runs.length) return;
  if (ms.some((m) => m.scenario === 'muc' && m.target === 'prosody')) {
    const a = med(ms, 'muc', 'ours', throughput);
    const b = med(ms, 'muc', 'prosody', throughput);
    check(`muc copies/s ours / Prosody >= ${MUC_MIN_PROSODY_RATIO}`, `${ratio(a, b)} (${fmt(a)} vs ${fmt(b)})`, Number.isFinite(a / b) ? a / b >= MUC_MIN_PROSODY_RATIO : undefined);
  }
  if (ms.some((m) => m.scenario === 'muc-burst' && m.target === 'prosody')) {
    const a = med(ms, 'muc-burst', 'ours', (m) => burst(m).toLast.p50);
    const b = med(ms, 'muc-burst', 'prosody', (m) => burst(m).toLast.p50);
    check('muc-burst time to the last copy, ours < Prosody', `${fmt(a, 1)} ms vs ${fmt(b, 1)} ms`, Number.isFinite(a) && Number.isFinite(b) ? a < b : undefined);
  }
  const bad = runs.reduce((n, m) => {
    const r = m.result as MucResult | MucBurstResult;
    return n + r.lost + r.duplicated + r.misrouted;
  }, 0);
  check('muc exactly once (lost + duplicated + misrouted copies, all targets, all runs) = 0', String(bad), bad === 0);
}

/** The README table's muc rows: label, cell per target, and the value ratios are taken of. */
export function mucMarkdownRows(ms: readonly Measurement[], params: Record<string, unknown>): [string, (t: string) => string, ((t: string) => number) | undefined][] {
  const rows: [string, (t: string) => string, ((t: string) => number) | undefined][] = [];
  if (ms.some((m) => m.scenario === 'muc')) {
    const tput = (t: string): number => med(ms, 'muc', t, throughput);
    rows.push([`muc: copies/s (${String(params.rooms)} rooms × ${String(params.occupants)} occupants)`, (t) => fmt(tput(t)), tput]);
    rows.push(['muc: latency p50 / p99 ms', (t) => `${fmt(med(ms, 'muc', t, (m) => muc(m).latency.p50), 1)} / ${fmt(med(ms, 'muc', t, (m) => muc(m).latency.p99), 1)}`, undefined]);
    rows.push(['muc: server CPU µs per copy', (t) => fmt(med(ms, 'muc', t, cpuPerCopy), 1), undefined]);
  }
  if (ms.some((m) => m.scenario === 'muc-burst')) {
    const last = (t: string): number => med(ms, 'muc-burst', t, (m) => burst(m).toLast.p50);
    rows.push([`muc-burst: ms to the last of ${String(params.burstOccupants)} occupants (p50)`, (t) => fmt(last(t), 1), undefined]);
  }
  return rows;
}
