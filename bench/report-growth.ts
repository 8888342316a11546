/**
 * @module bench/report-growth
 * The growth table: for each row its steps, the server CPU per unit of work at each step, the
 * growth factor (largest step's cost / smallest step's) and a flag where the total grows
 * faster than linearly (the per-unit cost rises materially), as plain text and as Markdown.
 */
import { GROWTH_ROWS, type GrowthRow } from './growth.js';
import { fmt, table } from './report-util.js';

/** A per-unit cost this much higher at the largest step than at the smallest is flagged. */
export const SUPERLINEAR = 1.5;

const LABEL: Readonly<Record<GrowthRow['name'], string>> = {
  messages: 'messages', presence: 'presence change fanned out', login: 'login (setup, roster get, probes, close)',
  offline: 'offline messages delivered at login', mam: 'MAM last page (50) with one contact', muc: 'groupchat message in one room',
};

/** Growth factor of a row (cost at the largest step / at the smallest). */
export function growthFactor(row: GrowthRow): number {
  const first = row.steps[0];
  const last = row.steps.at(-1);
  return first && last && first !== last && first.perUnit > 0 ? last.perUnit / first.perUnit : Number.NaN;
}

/**
 * Whether the row's total cost grows faster than linearly. A login's cost is expected to grow
 * with its roster (a + b·items): flagged when, between the two largest steps, the cost per
 * item rises by more than SUPERLINEAR; every other row when its per-unit cost does.
 */
export function superLinear(row: GrowthRow): boolean {
  const s = row.steps;
  if (s.length < 2) return false;
  if (row.name === 'login') {
    const a = s.at(-2)!;
    const b = s.at(-1)!;
    return b.perUnit / b.size > (SUPERLINEAR * a.perUnit) / a.size;
  }
  return growthFactor(row) > SUPERLINEAR;
}

function cells(row: GrowthRow): string[] {
  const spec = GROWTH_ROWS[row.name];
  const digits = spec.scale === 1e3 ? 2 : 1;
  const bad = row.steps.reduce((a, s) => a + s.lost + s.duplicated + s.misrouted, 0);
  const g = growthFactor(row);
  const top = row.steps.at(-1);
  // a login's cost is expected to grow with its roster: show the cost per item at the top
  const perItem = row.name === 'login' && top ? ` (linear: ${fmt((top.perUnit * 1000) / top.size, 1)} µs per item)` : '';
  const flag = `${superLinear(row) ? 'FASTER THAN LINEAR' : 'ok'}${perItem}`;
  return [
    `${LABEL[row.name]}, ${spec.unit}`,
    `${row.steps.map((s) => fmt(s.size)).join(' / ')} ${spec.size}`,
    row.steps.map((s) => fmt(s.perUnit, digits)).join(' / '),
    Number.isFinite(g) ? `${g.toFixed(2)}×` : '-',
    String(bad),
    flag,
  ];
}

const HEADERS = ['what (server CPU per unit)', 'steps', 'cost per unit at each step', 'growth', 'lost+dup+misrouted', 'shape'];

/** The plain-text growth table. */
export function renderGrowth(rows: readonly GrowthRow[]): string {
  const out = ['growth, ours: server CPU (from /proc, over the measured part only) per unit of work as the work grows;',
    `  growth = cost at the largest step / at the smallest; flagged when the per-unit cost rises more than ${SUPERLINEAR}×`,
    '  (login: when its cost per roster item rises that much between the two largest steps)'];
  out.push(table(HEADERS, rows.map(cells)));
  if (rows.some((r) => r.name === 'messages')) out.push('  messages: at most 9,000 pairs, as 10,000 pairs need 20,000 sockets in the server and the open-files hard limit here is 20,000');
  const errors = rows.flatMap((r) => r.steps.flatMap((s) => s.errors.slice(0, 2).map((e) => `  ${r.name} ${s.size}: ${e}`)));
  if (errors.length) out.push('errors:', ...errors.slice(0, 20));
  return out.join('\n');
}

/** The README's growth table (Markdown). */
export function renderGrowthMarkdown(rows: readonly GrowthRow[]): string {
  const line = (c: string[]): string => `| ${c.join(' | ')} |`;
  return [line(HEADERS), line(HEADERS.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map((r) => line(cells(r)))].join('\n');
}
