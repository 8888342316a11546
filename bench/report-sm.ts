/**
 * @module bench/report-sm
 * The stream management (XEP-0198) part of the report, our server only: messages and idle
 * with SM next to the same scenarios without it, with the ratios the issue sets (throughput
 * at least 90% of it, memory per idle session within 20%), and the hibernate scenario.
 */
import type { HibernateResult, MessagesResult } from './protocol.js';
import type { Measurement, PhaseSample } from './report.js';
import { fmt, med, ratio, sum, table } from './report-util.js';

/** The bounds: SM throughput / plain >= 0.9; SM idle KiB per session / plain <= 1.2. */
export const SM_MIN_THROUGHPUT_RATIO = 0.9;
export const SM_MAX_IDLE_RATIO = 1.2;

const T = 'ours';
const msg = (m: Measurement): MessagesResult => m.result as MessagesResult;
const hib = (m: Measurement): HibernateResult => m.result as HibernateResult;
const has = (ms: readonly Measurement[], s: Measurement['scenario']): boolean => ms.some((m) => m.scenario === s && m.target === T);
const throughput = (m: Measurement): number => msg(m).throughput;
const kib = (m: Measurement): number => m.server.perSessionKiB ?? Number.NaN;

/** Median of one phase's figure over the hibernate runs. */
function phase(ms: readonly Measurement[], name: string, pick: (p: PhaseSample) => number): number {
  return med(ms, 'hibernate', T, (m) => {
    const p = m.server.phases?.[name];
    return p === undefined ? Number.NaN : pick(p);
  });
}

/** Lost, duplicated and misrouted queued messages, and sessions that went wrong, over all hibernate runs. */
function hibernateFaults(ms: readonly Measurement[]): { lost: number; dup: number; misrouted: number; failures: number } {
  const runs = ms.filter((m) => m.scenario === 'hibernate' && m.target === T).map(hib);
  const total = (pick: (r: HibernateResult) => number): number => runs.reduce((a, r) => a + pick(r), 0);
  return {
    lost: total((r) => r.resume.lost + r.expire.lost),
    dup: total((r) => r.resume.duplicated + r.expire.duplicated + r.lateDuplicates),
    misrouted: total((r) => r.misrouted),
    failures: total((r) => r.failed + r.resume.failed + r.expire.stillResumable + r.expire.loginFailed),
  };
}

function renderHibernate(ms: readonly Measurement[], params: Record<string, unknown>): string[] {
  const h = (pick: (r: HibernateResult) => number, digits = 0): string => fmt(med(ms, 'hibernate', T, (m) => pick(hib(m))), digits);
  const s = (pick: (r: HibernateResult) => number): string => fmt(sum(ms, 'hibernate', T, (m) => pick(hib(m))));
  const mib = (kib: number): string => fmt(kib / 1024, 1);
  const f = hibernateFaults(ms);
  const rows: string[][] = [
    ['sessions set up with SM / failed; setups/s', `${h((r) => r.ok)} / ${s((r) => r.failed)}; ${h((r) => r.setupRate)}`],
    ['server RSS MiB: baseline → connected → hibernating → after expiry',
      [mib(med(ms, 'hibernate', T, (m) => m.server.rssBaselineKiB)), ...['connected', 'hibernating', 'expiring'].map((p) => mib(phase(ms, p, (x) => x.rssKiB)))].join(' → ')],
    ['KiB per session (RSS − baseline) / N: connected / hibernating', `${fmt(phase(ms, 'connected', (x) => x.perSessionKiB), 1)} / ${fmt(phase(ms, 'hibernating', (x) => x.perSessionKiB), 1)}`],
    ['after the cut: server CPU s / busy s, in the hold', `${fmt(phase(ms, 'hibernating', (x) => x.cpuSeconds), 2)} / ${fmt(phase(ms, 'hibernating', (x) => x.busySeconds), 2)}`],
    ['messages queued / bounced to the sender', `${h((r) => r.sent)} / ${s((r) => r.bounced)}`],
    ['resumed / attempted (failed)', `${h((r) => r.resume.resumed)} / ${h((r) => r.resume.attempted)} (${s((r) => r.resume.failed)})`],
    ['resume: s for the half (to the last queued message); resumed/s', `${h((r) => r.resume.seconds, 2)}; ${h((r) => r.resume.rate)}`],
    ['resume latency p50 / p99 / max ms (connect → <resumed/>)', `${h((r) => r.resume.latency.p50, 1)} / ${h((r) => r.resume.latency.p99, 1)} / ${h((r) => r.resume.latency.max, 1)}`],
    ['last <resumed/>, s after the cut', h((r) => r.resume.lastAfterCutS, 1)],
    ['expiry of the other half: server CPU s', fmt(phase(ms, 'expiring', (x) => x.cpuSeconds), 2)],
    ['expired (<resume/> → <failed/>) / attempted; still resumable; login failures',
      `${h((r) => r.expire.expired)} / ${h((r) => r.expire.attempted)}; ${s((r) => r.expire.stillResumable)}; ${s((r) => r.expire.loginFailed)}`],
    ['queued messages by resumption: delivered / lost / dup', `${s((r) => r.resume.delivered)} / ${s((r) => r.resume.lost)} / ${s((r) => r.resume.duplicated)}`],
    ['queued messages by offline storage: delivered / lost / dup', `${s((r) => r.expire.delivered)} / ${s((r) => r.expire.lost)} / ${s((r) => r.expire.duplicated)}`],
    ['resumed ones again from offline storage / misrouted', `${s((r) => r.lateDuplicates)} / ${f.misrouted}`],
  ];
  return ['', `hibernate (ours): ${String(params.hibernate)} stream management sessions cut at once, smacks_hibernation_time ${String(params.hibernationTime)} s, `
    + `${String(params.hibernateMessages)} message(s) queued for each; half resumed, half expired`, table(['', 'value'], rows)];
}

/** The stream management tables (nothing when no SM scenario ran). */
export function renderSm(ms: readonly Measurement[], params: Record<string, unknown>): string[] {
  const out: string[] = [];
  const rows: string[][] = [];
  const cmp = (label: string, scenario: 'messages' | 'idle', pick: (m: Measurement) => number, digits = 0): void => {
    const without = med(ms, scenario, T, pick);
    const withSm = med(ms, `${scenario}-sm`, T, pick);
    rows.push([label, fmt(without, digits), fmt(withSm, digits), ratio(withSm, without)]);
  };
  if (has(ms, 'messages-sm')) {
    cmp('messages: delivered msg/s', 'messages', throughput);
    cmp('messages: latency p50 ms', 'messages', (m) => msg(m).latency.p50, 2);
    cmp('messages: latency p99 ms', 'messages', (m) => msg(m).latency.p99, 2);
    cmp('messages: server CPU µs/msg', 'messages', (m) => (m.server.cpuSeconds * 1e6) / Math.max(1, msg(m).delivered), 1);
  }
  if (has(ms, 'idle-sm')) {
    cmp('idle: KiB per session', 'idle', kib, 1);
    cmp('idle: RSS held MiB', 'idle', (m) => (m.server.rssHeldKiB ?? Number.NaN) / 1024, 1);
  }
  if (rows.length) {
    out.push('', `stream management (XEP-0198), ours, without and with SM (clients ack every ${String(params.smAckEvery)} stanzas received and answer <r/>)`);
    out.push(table(['', 'without SM', 'with SM', 'with / without'], rows));
    if (has(ms, 'messages-sm')) {
      const per = (pick: (m: Measurement) => number): string => fmt(med(ms, 'messages-sm', T, (m) => pick(m) / Math.max(1, msg(m).delivered)), 3);
      out.push(`messages with SM, per delivered message: ${per((m) => msg(m).sm?.acks ?? Number.NaN)} <a/> sent, ${per((m) => msg(m).sm?.requests ?? Number.NaN)} <r/> received`);
    }
  }
  if (has(ms, 'hibernate')) out.push(...renderHibernate(ms, params));
  return out;
}

/** The stream management targets, through the report's `check`. */
export function smChecks(ms: readonly Measurement[], params: Record<string, unknown>, check: (label: string, value: string, holds: boolean | undefined) => void): void {
  if (has(ms, 'messages-sm') && has(ms, 'messages')) {
    const a = med(ms, 'messages-sm', T, throughput);
    const b = med(ms, 'messages', T, throughput);
    check(`messages with SM / without >= ${SM_MIN_THROUGHPUT_RATIO}`, `${ratio(a, b)} (${fmt(a)} vs ${fmt(b)} msg/s)`, Number.isFinite(a / b) ? a / b >= SM_MIN_THROUGHPUT_RATIO : undefined);
  }
  if (has(ms, 'idle-sm') && has(ms, 'idle')) {
    const a = med(ms, 'idle-sm', T, kib);
    const b = med(ms, 'idle', T, kib);
    check(`idle KiB per session with SM / without <= ${SM_MAX_IDLE_RATIO}`, `${ratio(a, b)} (${fmt(a, 1)} vs ${fmt(b, 1)} KiB)`, Number.isFinite(a / b) ? a / b <= SM_MAX_IDLE_RATIO : undefined);
  }
  if (has(ms, 'hibernate')) {
    const f = hibernateFaults(ms);
    const clean = f.lost + f.dup + f.misrouted + f.failures === 0;
    const n = Number(params.hibernate);
    check(`${String(params.hibernate)} sessions hibernating at once, resumed or expired: queued messages exactly once`,
      `lost ${f.lost}, duplicated ${f.dup}, misrouted ${f.misrouted}, failed sessions ${f.failures}`, n >= 10000 ? clean : clean ? undefined : false);
  }
}

/** Rows for the README's figures table: [label, our cell]. */
export function smMarkdownRows(ms: readonly Measurement[], params: Record<string, unknown>): [string, string][] {
  const rows: [string, string][] = [];
  if (has(ms, 'messages-sm')) {
    const a = med(ms, 'messages-sm', T, throughput);
    rows.push([`messages with SM (ack every ${String(params.smAckEvery)}): delivered msg/s (with / without SM)`, `${fmt(a)} (${ratio(a, med(ms, 'messages', T, throughput))})`]);
  }
  if (has(ms, 'idle-sm')) {
    const a = med(ms, 'idle-sm', T, kib);
    rows.push(['idle with SM: KiB per session (with / without SM)', `${fmt(a, 1)} (${ratio(a, med(ms, 'idle', T, kib))})`]);
  }
  if (has(ms, 'hibernate')) {
    const f = hibernateFaults(ms);
    const r = (pick: (x: HibernateResult) => number, d = 0): string => fmt(med(ms, 'hibernate', T, (m) => pick(hib(m))), d);
    rows.push([`hibernate: ${fmt(Number(params.hibernate))} SM sessions cut at once: KiB per hibernating session`, fmt(phase(ms, 'hibernating', (x) => x.perSessionKiB), 1)]);
    rows.push(['hibernate: half resumed in s (resumed/s) / queued messages lost / duplicated', `${r((x) => x.resume.seconds, 2)} (${r((x) => x.resume.rate)}) / ${f.lost} / ${f.dup}`]);
  }
  return rows;
}
