/**
 * @module bench/scenarios/growth
 * One step of the growth scenario in the load generator: dispatches on the request's kind and
 * gives the steps what they share: the server's CPU over the measured part only (from /proc),
 * waiting for every expected copy, and the exactly-once tally.
 */
import { cpuSeconds } from '../proc.js';
import type { GrowthRequest, GrowthResult } from '../protocol.js';
import { runGrowthPresence } from './growth-presence.js';
import { runGrowthLogin, runGrowthOffline } from './growth-login.js';
import { runGrowthMam } from './growth-mam.js';
import { runGrowthMuc } from './growth-muc.js';

/** What a step counted; the result adds the request's fields. */
export interface StepTally {
  work: number;
  expected: number;
  delivered: number;
  duplicated: number;
  misrouted: number;
  readonly errors: string[];
  /** Server CPU seconds and wall seconds of the measured part. */
  cpu: number;
  seconds: number;
}

export function newTally(): StepTally {
  return { work: 0, expected: 0, delivered: 0, duplicated: 0, misrouted: 0, errors: [], cpu: Number.NaN, seconds: 0 };
}

/** Keep the first 20 errors. */
export function note(t: StepTally, text: string): void {
  if (t.errors.length < 20) t.errors.push(text);
}

/** Run `part` between two readings of the server's CPU time; they go to the tally. */
export async function measured(req: GrowthRequest, t: StepTally, part: () => Promise<void>): Promise<void> {
  const pid = req.serverPid;
  const c0 = pid === undefined ? Number.NaN : cpuSeconds(pid);
  const w0 = performance.now();
  await part();
  t.seconds = (performance.now() - w0) / 1000;
  t.cpu = pid === undefined ? Number.NaN : cpuSeconds(pid) - c0;
}

/** Resolve once `done()` holds (checked every 5 ms), or after `ms`; true when it held. */
export async function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

/** A closed loop: `count` sends, at most `window` unfinished; `send(i)` resolves when send i is done. */
export async function closedLoop(count: number, window: number, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, count)) }, worker));
}

/** Run one growth step. */
export async function runGrowthStep(req: GrowthRequest, progress: (text: string) => void): Promise<GrowthResult> {
  const t = newTally();
  switch (req.kind) {
    case 'presence': await runGrowthPresence(req, t, progress); break;
    case 'login': await runGrowthLogin(req, t, progress); break;
    case 'offline': await runGrowthOffline(req, t, progress); break;
    case 'mam': await runGrowthMam(req, t, progress); break;
    case 'muc': await runGrowthMuc(req, t, progress); break;
  }
  const lost = t.expected - t.delivered;
  progress(`growth ${req.kind} ${req.size}: ${t.work} units, server CPU ${t.cpu.toFixed(2)} s over ${t.seconds.toFixed(1)} s; lost ${lost}, dup ${t.duplicated}, misrouted ${t.misrouted}`);
  return {
    scenario: 'growth', kind: req.kind, size: req.size, units: req.units, work: t.work,
    expected: t.expected, delivered: t.delivered, lost, duplicated: t.duplicated, misrouted: t.misrouted,
    serverCpuSeconds: t.cpu, seconds: t.seconds, errors: t.errors,
  };
}
