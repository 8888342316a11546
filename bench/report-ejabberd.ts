/**
 * @module bench/report-ejabberd
 * The report's ratios of our server to ejabberd (--with-ejabberd): informational lines (the
 * issue sets no target against ejabberd), each "ours / ejabberd" of one figure, medians over repeats.
 */
import type { ConnectResult, MessagesResult, MucResult } from './protocol.js';
import type { Measurement } from './report.js';
import { fmt, med, ratio } from './report-util.js';

const RIVAL = 'ejabberd';

/** Each figure: scenario, label, and how it is read from a measurement. */
const FIGURES: readonly [Measurement['scenario'], string, (m: Measurement) => number][] = [
  ['connect', 'connect sessions/s', (m) => (m.result as ConnectResult).rate],
  ['messages', 'messages delivered msg/s', (m) => (m.result as MessagesResult).throughput],
  ['messages', 'messages server CPU µs per message (lower is better)', (m) => (m.server.cpuSeconds * 1e6) / Math.max(1, (m.result as MessagesResult).delivered)],
  ['same-load', 'same-load p99 latency ms (lower is better)', (m) => (m.result as MessagesResult).latency.p99],
  ['muc', 'muc copies/s', (m) => (m.result as MucResult).throughput],
  ['muc', 'muc server CPU µs per copy (lower is better)', (m) => ((m.result as MucResult).serverCpuSeconds * 1e6) / Math.max(1, (m.result as MucResult).deliveredInWindow)],
  ['idle', 'idle KiB per session (lower is better)', (m) => m.server.perSessionKiB ?? Number.NaN],
];

/** "ours / ejabberd" for each figure both measured, through the report's `check` (no pass/fail). */
export function ejabberdChecks(ms: readonly Measurement[], check: (label: string, value: string, holds: boolean | undefined) => void): void {
  for (const [scenario, label, pick] of FIGURES) {
    if (!ms.some((m) => m.scenario === scenario && m.target === RIVAL)) continue;
    const a = med(ms, scenario, 'ours', pick);
    const b = med(ms, scenario, RIVAL, pick);
    check(`${label}, ours / ejabberd`, `${ratio(a, b)} (${fmt(a, 1)} vs ${fmt(b, 1)})`, undefined);
  }
}
