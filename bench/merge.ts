/**
 * @module bench/merge
 * One scenario result out of the results of several load generator processes (--workers):
 * counts and throughputs summed, percentiles recomputed from every worker's raw samples
 * (never averaged), the server's CPU interval from the first start to the last end.
 */
import { Samples, type Summary } from './stats.js';
import type { ConnectResult, CpuInterval, IdleResult, MessagesResult, MucResult, ScenarioResult, SmStats } from './protocol.js';

const total = <T>(list: readonly T[], pick: (r: T) => number): number => list.reduce((a, r) => a + pick(r), 0);

/** Percentiles of every worker's samples together; a worker without samples makes it throw. */
function mergedSummary(list: readonly { readonly samples?: readonly number[] }[]): Summary {
  const all = new Samples();
  for (const r of list) {
    if (r.samples === undefined) throw new Error('a worker sent no raw samples: percentiles cannot be merged');
    for (const v of r.samples) all.push(v);
  }
  return all.summary();
}

/** The union of the workers' intervals of one server process's cumulative CPU; absent if any lacks it. */
export function mergeCpu(list: readonly (CpuInterval | undefined)[]): CpuInterval | undefined {
  if (list.some((c) => c === undefined)) return undefined;
  const known = list as readonly CpuInterval[];
  return { start: Math.min(...known.map((c) => c.start)), end: Math.max(...known.map((c) => c.end)) };
}

const cpuField = (list: readonly { readonly serverCpu?: CpuInterval }[]): { serverCpu?: CpuInterval } => {
  const c = mergeCpu(list.map((r) => r.serverCpu));
  return c === undefined ? {} : { serverCpu: c };
};

const errorsOf = (list: readonly { readonly errors: readonly string[] }[]): string[] => list.flatMap((r, i) => r.errors.map((e) => `worker ${i}: ${e}`));

function mergeSm(list: readonly (SmStats | undefined)[]): { sm?: SmStats } {
  const known = list.filter((s): s is SmStats => s !== undefined);
  if (known.length === 0) return {};
  return { sm: { ackEvery: known[0]!.ackEvery, acks: total(known, (s) => s.acks), requests: total(known, (s) => s.requests) } };
}

function mergeConnect(list: readonly ConnectResult[]): ConnectResult {
  const ok = total(list, (r) => r.ok);
  // the workers started together (barrier): the timed phase lasts until the last one is done
  const seconds = Math.max(...list.map((r) => r.seconds));
  // per-step medians: the workers' medians weighted by their sessions (an approximation)
  const step = (pick: (r: ConnectResult) => number): number => total(list, (r) => pick(r) * r.ok) / Math.max(1, ok);
  return {
    scenario: 'connect',
    sessions: total(list, (r) => r.sessions),
    ok,
    failed: total(list, (r) => r.failed),
    seconds,
    rate: ok / seconds,
    setup: mergedSummary(list),
    steps: { wsOpen: step((r) => r.steps.wsOpen), authenticated: step((r) => r.steps.authenticated), bound: step((r) => r.steps.bound) },
    errors: errorsOf(list),
    ...cpuField(list),
  };
}

function mergeMessages(list: readonly MessagesResult[]): MessagesResult {
  const first = list[0]!;
  const offered = list.every((r) => r.offered !== undefined) ? { offered: total(list, (r) => r.offered!) } : {};
  return {
    scenario: 'messages',
    pairs: total(list, (r) => r.pairs),
    window: first.window,
    bodyBytes: first.bodyBytes,
    ...offered,
    seconds: first.seconds,
    sent: total(list, (r) => r.sent),
    delivered: total(list, (r) => r.delivered),
    throughput: total(list, (r) => r.throughput),
    latency: mergedSummary(list),
    lost: total(list, (r) => r.lost),
    duplicated: total(list, (r) => r.duplicated),
    misrouted: total(list, (r) => r.misrouted),
    deferred: total(list, (r) => r.deferred),
    errors: errorsOf(list),
    ...mergeSm(list.map((r) => r.sm)),
    deliveredInWindow: total(list, (r) => r.deliveredInWindow ?? Number.NaN),
    ...cpuField(list),
  };
}

function mergeIdle(list: readonly IdleResult[]): IdleResult {
  return {
    scenario: 'idle',
    sessions: total(list, (r) => r.sessions),
    ok: total(list, (r) => r.ok),
    failed: total(list, (r) => r.failed),
    dropped: total(list, (r) => r.dropped),
    // the workers set up side by side
    setupRate: total(list, (r) => r.setupRate),
    errors: errorsOf(list),
    ...mergeSm(list.map((r) => r.sm)),
  };
}

function mergeMuc(list: readonly MucResult[]): MucResult {
  const first = list[0]!;
  const cpu = mergeCpu(list.map((r) => r.serverCpu));
  return {
    scenario: 'muc',
    rooms: total(list, (r) => r.rooms),
    occupants: first.occupants,
    window: first.window,
    ...(first.offered === undefined ? {} : { offered: first.offered }),
    joinSeconds: Math.max(...list.map((r) => r.joinSeconds)),
    seconds: first.seconds,
    sent: total(list, (r) => r.sent),
    expected: total(list, (r) => r.expected),
    delivered: total(list, (r) => r.delivered),
    throughput: total(list, (r) => r.throughput),
    latency: mergedSummary(list),
    serverCpuSeconds: cpu === undefined ? Number.NaN : cpu.end - cpu.start,
    deliveredInWindow: total(list, (r) => r.deliveredInWindow),
    lost: total(list, (r) => r.lost),
    duplicated: total(list, (r) => r.duplicated),
    misrouted: total(list, (r) => r.misrouted),
    errors: errorsOf(list),
    ...(cpu === undefined ? {} : { serverCpu: cpu }),
  };
}

/** Drop the raw samples (they served the merge; the JSON lines keep the percentiles). */
function withoutSamples(r: ScenarioResult): ScenarioResult {
  if (!('samples' in r)) return r;
  const { samples: _samples, ...rest } = r;
  return rest as ScenarioResult;
}

/** The results of the workers of one scenario run as one result (the workers ran the same scenario). */
export function mergeResults(list: readonly ScenarioResult[]): ScenarioResult {
  const first = list[0];
  if (first === undefined) throw new Error('no results to merge');
  if (list.some((r) => r.scenario !== first.scenario)) throw new Error('the workers ran different scenarios');
  if (list.length === 1) return withoutSamples(first);
  switch (first.scenario) {
    case 'connect': return mergeConnect(list as ConnectResult[]);
    case 'messages': return mergeMessages(list as MessagesResult[]);
    case 'idle': return mergeIdle(list as IdleResult[]);
    case 'muc': return mergeMuc(list as MucResult[]);
    default: throw new Error(`${first.scenario} runs in one worker; its results cannot be merged`);
  }
}
