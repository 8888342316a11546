/**
 * @module bench/report-util
 * Formatting shared by the report's parts: numbers, plain-text tables, ratios, and the median
 * or sum of a metric over the repeats of one scenario on one target.
 */
import { median } from './stats.js';
import type { Measurement } from './report.js';

/** A number with thousands separators and `digits` decimals, '-' when not finite. */
export const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Median of a metric over the repeats of one scenario and target. */
export function med(ms: readonly Measurement[], scenario: Measurement['scenario'], target: string, pick: (m: Measurement) => number): number {
  return median(ms.filter((m) => m.scenario === scenario && m.target === target).map(pick));
}

/** Sum of a metric over the repeats of one scenario and target. */
export function sum(ms: readonly Measurement[], scenario: Measurement['scenario'], target: string, pick: (m: Measurement) => number): number {
  return ms.filter((m) => m.scenario === scenario && m.target === target).reduce((a, m) => a + pick(m), 0);
}

/** Ratio text like '3.42×', or '-' when either side is missing. */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '-';
}
