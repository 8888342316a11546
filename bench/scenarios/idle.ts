/**
 * @module bench/scenarios/idle
 * The idle scenario: N authenticated, bound, available sessions held open while the
 * orchestrator reads the server's memory, then closed gracefully. With `sm`, every session
 * enables stream management with resumption first (XEP-0198). With `rounds` > 1 the same
 * accounts connect again after each close (phase `closed-<r>` is sampled with no session, then
 * `held-<r+1>`), so memory the first round left behind is seen being reused, not grown.
 */
import { closeAll, connectionFor, openMany } from '../client/pool.js';
import type { IdleRequest, IdleResult } from '../protocol.js';
import { smTotals } from '../client/sm.js';

/**
 * Run the idle scenario: `held(n)` is called once the sessions are up and must resolve when
 * the orchestrator is done measuring.
 */
export async function runIdle(req: IdleRequest, progress: (text: string) => void, held: (sessions: number, phase?: string) => Promise<void>): Promise<IdleResult> {
  let total: IdleResult | undefined;
  for (let round = 1; round <= (req.rounds ?? 1); round++) {
    if (round > 1) {
      progress(`round ${round - 1} closed; round ${round}`);
      await held(0, `closed-${round - 1}`);
    }
    const one = await holdRound(req, progress, (n) => held(n, round === 1 ? undefined : `held-${round}`));
    // the first round's figures, with every round's failures and drops
    total = total === undefined ? one : {
      ...total, ok: Math.min(total.ok, one.ok), failed: total.failed + one.failed, dropped: total.dropped + one.dropped,
      errors: [...total.errors, ...one.errors].slice(0, 20),
    };
  }
  return total!;
}

/** One round: open the sessions, hold them while measured, close them. */
async function holdRound(req: IdleRequest, progress: (text: string) => void, held: (sessions: number) => Promise<void>): Promise<IdleResult> {
  let dropped = 0;
  const errors: string[] = [];
  let lastReport = 0;
  const out = await openMany(req.sessions, req.concurrency, (i) => {
    if (i - lastReport >= 1000) {
      lastReport = i;
      progress(`${i} sessions`);
    }
    const c = connectionFor(req, i + 1, undefined, req.sm);
    c.onLost = (why) => {
      dropped++;
      if (errors.length < 10) errors.push(`session ${i + 1} lost while held: ${why}`);
    };
    return c;
  });
  errors.unshift(...out.errors);
  const ok = req.sessions - out.failed;
  progress(`${ok}/${req.sessions} sessions up in ${(out.elapsedMs / 1000).toFixed(1)} s`);
  await held(ok);
  const stillOpen = out.connections.filter((c) => c?.open).length;
  await closeAll(out.connections, req.concurrency);
  const sm = req.sm && smTotals(out.connections.map((c) => c?.options.sm), req.sm.ackEvery);
  return {
    scenario: 'idle',
    sessions: req.sessions,
    ok: stillOpen,
    failed: out.failed,
    dropped: Math.max(dropped, ok - stillOpen),
    setupRate: ok / (out.elapsedMs / 1000),
    errors,
    ...(sm === undefined ? {} : { sm }),
  };
}
