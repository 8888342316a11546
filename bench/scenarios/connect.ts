/**
 * @module bench/scenarios/connect
 * The connect scenario: N sessions, each <open/>, SASL SCRAM-SHA-1, bind, initial presence,
 * `concurrency` setups in flight; sessions per second and setup-time percentiles.
 */
import { closeAll, connectionFor, openMany } from '../client/pool.js';
import { Samples, median } from '../stats.js';
import { cpuSeconds } from '../proc.js';
import type { ConnectRequest, ConnectResult } from '../protocol.js';

/**
 * Run the connect scenario. Before the timed phase every account's SCRAM keys are derived
 * once (untimed), so the client's PBKDF2 does not count against the server.
 */
export async function runConnect(req: ConnectRequest, progress: (text: string) => void, ready: () => Promise<void> = () => Promise.resolve()): Promise<ConnectResult> {
  if (req.target.mode === 'xmpp') {
    const primed = await openMany(req.sessions, req.concurrency, (i) => connectionFor(req, i + 1), true);
    // prime connections close themselves; they are only the key warm-up
    await closeAll(primed.connections, req.concurrency);
    progress(`primed ${req.sessions - primed.failed}/${req.sessions} accounts`);
  }
  await ready();
  // the server's CPU over the timed phase only (the headline: CPU per session set up)
  const cpu = (): number => (req.serverPid === undefined ? Number.NaN : cpuSeconds(req.serverPid));
  const cpuStart = cpu();
  const out = await openMany(req.sessions, req.concurrency, (i) => connectionFor(req, i + 1));
  const cpuEnd = cpu();
  const ok = req.sessions - out.failed;
  const seconds = out.elapsedMs / 1000;
  progress(`${ok}/${req.sessions} sessions in ${seconds.toFixed(2)} s`);
  const setup = new Samples();
  for (const t of out.times) setup.push(t.available);
  await closeAll(out.connections, req.concurrency);
  return {
    scenario: 'connect',
    sessions: req.sessions,
    ok,
    failed: out.failed,
    seconds,
    rate: ok / seconds,
    setup: setup.summary(),
    steps: {
      wsOpen: median(out.times.map((t) => t.wsOpen)),
      authenticated: median(out.times.map((t) => t.authenticated)),
      bound: median(out.times.map((t) => t.bound)),
    },
    errors: out.errors,
    ...(Number.isFinite(cpuEnd - cpuStart) ? { serverCpu: { start: cpuStart, end: cpuEnd } } : {}),
    ...(req.worker === undefined ? {} : { samples: setup.values() }),
  };
}
