/**
 * @module bench/workers
 * `--workers N`: the load generator as N processes, so that one process's CPU is not what
 * limits a scenario. The scenario's sessions are split (messages: whole pairs; connect, idle:
 * sessions; muc: whole rooms), each worker with its own accounts and rooms; all start their
 * measured interval together (each says 'ready' once set up, the orchestrator answers 'go'
 * when all have), hold together (idle), and their results are merged (bench/merge.ts).
 * muc-burst and hibernate cannot be split: they run in one worker.
 */
import { mergeResults } from './merge.js';
import type { Hooks } from './measure.js';
import type { ScenarioRequest, ScenarioResult } from './protocol.js';

/** The scenarios --workers splits; the others run in one load generator. */
export const SPLIT_SCENARIOS: readonly ScenarioRequest['scenario'][] = ['connect', 'messages', 'idle', 'muc'];

/** `total` units in `parts` near-equal shares (the first ones one larger), none empty. */
export function shares(total: number, parts: number): number[] {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** Each worker's cache of derived SCRAM keys (worker 0 keeps the run's file). */
const cacheFile = (file: string | undefined, index: number): string | undefined => (file === undefined || index === 0 ? file : file.replace(/(\.json)?$/, `.w${index}.json`));

/**
 * The request split into one per worker; one request (unsplit) when the scenario cannot be
 * split or `workers` is 1.
 */
export function splitRequest(request: ScenarioRequest, workers: number): ScenarioRequest[] {
  if (workers <= 1 || !SPLIT_SCENARIOS.includes(request.scenario)) return [request];
  let units: number;
  let accountsPerUnit = 1;
  switch (request.scenario) {
    case 'messages': units = request.pairs; accountsPerUnit = 2; break;
    case 'connect': case 'idle': units = request.sessions; break;
    case 'muc': units = request.rooms; accountsPerUnit = request.occupants; break;
    default: return [request];
  }
  const parts = shares(units, workers);
  if (parts.length === 1) return [request];
  let offset = 0;
  return parts.map((n, index) => {
    const worker = { index, of: parts.length, accountOffset: offset * accountsPerUnit, roomPrefix: `bench${index}r` };
    offset += n;
    const common = { ...request, worker, scramCacheFile: cacheFile(request.scramCacheFile, index) };
    switch (request.scenario) {
      case 'messages': return { ...common, scenario: 'messages', pairs: n, ...(request.rate === undefined ? {} : { rate: (request.rate * n) / units }) } as ScenarioRequest;
      case 'muc': return { ...common, scenario: 'muc', rooms: n } as ScenarioRequest;
      default: return { ...common, sessions: n } as ScenarioRequest;
    }
  });
}

/** Resolves every caller's promise once `count` callers wait (one barrier crossing). */
class Barrier {
  #waiting: (() => void)[] = [];
  constructor(readonly count: number, private readonly onAll: () => Promise<void> = () => Promise.resolve()) {}

  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      if (this.#waiting.length < this.count) return;
      const all = this.#waiting;
      this.#waiting = [];
      void this.onAll().then(() => { for (const r of all) r(); });
    });
  }
}

type RunOne = (request: ScenarioRequest, hooks: Hooks) => Promise<{ result: ScenarioResult; cpu: number }>;

/**
 * Run one scenario request in `workers` load generators (one when it cannot be split); the
 * merged result and the generators' CPU seconds summed. `onHeld` is called once per hold
 * phase, with every worker's sessions, when all are holding.
 */
export async function runWorkers(request: ScenarioRequest, workers: number, runOne: RunOne, hooks: Hooks): Promise<{ result: ScenarioResult; cpu: number }> {
  const parts = splitRequest(request, workers);
  if (parts.length === 1) return runOne(parts[0]!, hooks);
  const abort = new AbortController();
  const ready = new Barrier(parts.length);
  // a hold: all workers' sessions are up; sample once with their sum
  let held = 0;
  let phase: string | undefined;
  let seconds: number | undefined;
  const hold = new Barrier(parts.length, async () => {
    const sessions = held;
    held = 0;
    await (hooks.onHeld?.(sessions, phase, seconds) ?? Promise.resolve());
  });
  const runs = parts.map((part) => runOne(part, {
    signal: abort.signal,
    onReady: () => ready.wait(),
    onHeld: (sessions, p, s) => {
      held += sessions;
      phase = p;
      seconds = s;
      return hold.wait();
    },
  }).catch((err: unknown) => {
    abort.abort();
    throw err;
  }));
  const done = await Promise.allSettled(runs);
  const rejected = done.filter((d): d is PromiseRejectedResult => d.status === 'rejected');
  // the first worker's own failure, not the others' being stopped for it
  const cause = rejected.find((d) => !/another load generator/.test(String((d.reason as Error)?.message))) ?? rejected[0];
  if (cause) throw cause.reason;
  const values = done.map((d) => (d as PromiseFulfilledResult<{ result: ScenarioResult; cpu: number }>).value);
  return { result: mergeResults(values.map((v) => v.result)), cpu: values.reduce((a, v) => a + v.cpu, 0) };
}
