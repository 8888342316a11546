/**
 * @module bench/report-im
 * The IM essentials' cost (the issue's target): the messages scenario on our server as it is
 * deployed (messages-im: the default modules, with mam, carbons, blocklist...) next to the same
 * scenario with the modules Prosody runs in the benchmark (messages), same run: throughput at
 * least 80% of it.
 */
import type { MessagesResult } from './protocol.js';
import type { Measurement } from './report.js';
import { fmt, med, ratio, table } from './report-util.js';

export const IM_MIN_THROUGHPUT_RATIO = 0.8;
const T = 'ours';

const msg = (m: Measurement): MessagesResult => m.result as MessagesResult;
const throughput = (m: Measurement): number => msg(m).throughput;
const cpu = (m: Measurement): number => (m.server.cpuSeconds * 1e6) / Math.max(1, msg(m).delivered);
const has = (ms: readonly Measurement[], s: Measurement['scenario']): boolean => ms.some((m) => m.scenario === s && m.target === T);

/** The comparison table (nothing when messages-im did not run). */
export function renderIm(ms: readonly Measurement[]): string[] {
  if (!has(ms, 'messages-im') || !has(ms, 'messages')) return [];
  const row = (label: string, pick: (m: Measurement) => number, digits = 0): string[] => {
    const on = med(ms, 'messages-im', T, pick);
    const off = med(ms, 'messages', T, pick);
    return [label, fmt(off, digits), fmt(on, digits), ratio(on, off)];
  };
  return ['', 'IM essentials, ours: messages with the benchmark\'s modules (as Prosody) and with the default set (messages-im: + mam, carbons, blocklist...)',
    table(['', 'without mam, carbons', 'default modules', 'default / without'], [
      row('delivered msg/s', throughput),
      row('latency p99 ms', (m) => msg(m).latency.p99, 2),
      row('server CPU µs/msg', cpu, 1),
    ])];
}

/** The target, through the report's `check`. */
export function imChecks(ms: readonly Measurement[], check: (label: string, value: string, holds: boolean | undefined) => void): void {
  if (!has(ms, 'messages-im') || !has(ms, 'messages')) return;
  const a = med(ms, 'messages-im', T, throughput);
  const b = med(ms, 'messages', T, throughput);
  check(`messages with mam and carbons / without >= ${IM_MIN_THROUGHPUT_RATIO}`, `${ratio(a, b)} (${fmt(a)} vs ${fmt(b)} msg/s)`,
    Number.isFinite(a / b) ? a / b >= IM_MIN_THROUGHPUT_RATIO : undefined);
}
