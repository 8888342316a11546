/**
 * @module bench/scenarios/logins
 * The logins scenario: sustained logins at an offered rate (open loop). Every 1/rate s a new
 * connection does a full WebSocket session setup (<open/>, SASL SCRAM-SHA-256 by default,
 * bind, initial presence reflected: RFC 7395, RFC 7677, RFC 6120 §6-7, RFC 6121 §4.2.2) and,
 * once up, closes gracefully (<close/>), so each login's whole server cost is counted and the
 * open sockets stay far below the process's descriptor limit. Accounts 1..N are used in turn
 * with a fresh resource each; their SCRAM keys are derived before the timed phase (untimed,
 * as real clients keep them, RFC 5802 §5.1), so the client's PBKDF2 does not count.
 */
import type { BenchConnection } from '../client/connection.js';
import { closeAll, connectionFor, openMany } from '../client/pool.js';
import { cpuSeconds } from '../proc.js';
import { Samples } from '../stats.js';
import { markWindow, startWindow } from '../window.js';
import type { LoginsRequest, LoginsResult } from '../protocol.js';

function connection(req: LoginsRequest, account: number, resource: string): BenchConnection {
  return connectionFor(req, account, undefined, undefined, { resource, mechanism: req.mechanism });
}

/** Run the logins scenario; the measured interval is the timed phase until the last login has closed. */
export async function runLogins(req: LoginsRequest, progress: (text: string) => void): Promise<LoginsResult> {
  if (req.target.mode !== 'xmpp') throw new Error('logins runs on XMPP servers only');
  const primed = await openMany(req.accounts, req.concurrency, (i) => connection(req, i + 1, 'prime'), true);
  await closeAll(primed.connections, req.concurrency);
  if (primed.failed > 0) throw new Error(`${primed.failed} accounts failed the ${req.mechanism} warm-up: ${primed.errors.join('; ')}`);
  progress(`primed ${req.accounts} accounts (${req.mechanism})`);

  const setup = new Samples();
  const errors: string[] = [];
  let started = 0;
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let lastUp = 0;
  const pending = new Set<Promise<void>>();
  const login = async (n: number): Promise<void> => {
    const c = connection(req, (n % req.accounts) + 1, `login${n}`);
    try {
      const times = await c.connect();
      setup.push(times.available);
      ok++;
      lastUp = performance.now();
      await c.close();
    } catch (err) {
      failed++;
      if (errors.length < 10) errors.push(`login ${n}: ${(err as Error).message}`);
    } finally {
      inFlight--;
    }
  };

  const pid = req.serverPid;
  await startWindow();
  const cpu0 = pid === undefined ? Number.NaN : cpuSeconds(pid);
  const t0 = performance.now();
  const end = t0 + req.durationS * 1000;
  const total = Math.round(req.rate * req.durationS);
  await new Promise<void>((resolve) => {
    let scheduled = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      const due = now >= end ? total : Math.floor((req.rate * (now - t0)) / 1000);
      for (; scheduled < due; scheduled++) {
        if (inFlight >= req.maxInFlight) {
          skipped++;
          continue;
        }
        inFlight++;
        peakInFlight = Math.max(peakInFlight, inFlight);
        const p = login(started++);
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      if (now >= end) {
        clearInterval(ticker);
        resolve();
      }
    }, 1);
  });
  while (pending.size > 0) await Promise.all([...pending]);
  const cpu1 = pid === undefined ? Number.NaN : cpuSeconds(pid);
  markWindow('end');
  const seconds = Math.max(req.durationS, (lastUp - t0) / 1000);
  progress(`${ok}/${started} logins in ${seconds.toFixed(2)} s, ${failed} failed, ${skipped} skipped (at most ${peakInFlight} in flight)`);
  return {
    scenario: 'logins',
    mechanism: req.mechanism,
    offered: req.rate,
    seconds: req.durationS,
    started,
    ok,
    failed,
    skipped,
    achieved: ok / seconds,
    setup: setup.summary(),
    peakInFlight,
    errors,
    serverCpuSeconds: cpu1 - cpu0,
  };
}
