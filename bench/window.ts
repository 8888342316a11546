/**
 * @module bench/window
 * Load-generator side: tell the orchestrator where a scenario's measured interval starts and
 * ends, so that what it reads beside the load (another user's ping, the server's event-loop
 * delay) covers the same interval. A scenario that never marks it is measured over its whole run.
 */
import type { FromLoad } from './protocol.js';

let acked: (() => void) | undefined;

/** Mark the start or the end of the measured interval (no-op outside a forked load generator). */
export function markWindow(edge: 'start' | 'end'): void {
  process.send?.({ type: 'window', edge } satisfies FromLoad);
}

/**
 * Mark the start and wait until the orchestrator has taken its starting readings: a scenario
 * that opens new connections at once would otherwise queue the orchestrator's metrics request
 * behind its own (the server's accept queue), and the reading would start late.
 */
export function startWindow(): Promise<void> {
  if (!process.send) return Promise.resolve();
  return new Promise<void>((resolve) => {
    acked = resolve;
    markWindow('start');
  });
}

/** The orchestrator's answer to startWindow() (load.ts calls it on { type: 'window-started' }). */
export function windowStarted(): void {
  const resolve = acked;
  acked = undefined;
  resolve?.();
}

/** Mark the interval `startMs`..`endMs` (performance.now() times) with timers. */
export function markWindowAt(startMs: number, endMs: number): void {
  setTimeout(markWindow, Math.max(0, startMs - performance.now()), 'start');
  setTimeout(markWindow, Math.max(0, endMs - performance.now()), 'end');
}
