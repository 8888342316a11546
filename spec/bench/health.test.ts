/**
 * Event-loop health in the benchmark (bench/loop-health.ts, bench/probe.ts) and the logins
 * scenario (bench/scenarios/logins.ts): a tiny run through `node build/bench/run.js` against
 * our server and the raw relay. It checks that every measurement carries another user's ping
 * figures, that our server's event-loop delay is read from its /metrics (and the relay's is
 * n/a), and that logins with SCRAM-SHA-256 all succeed. Timings are never asserted.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Measurement } from '../../bench/report.js';
import { runBench, type BenchRun } from '../helpers/bench-run.js';
import type { LoginsResult } from '../../bench/protocol.js';
import { gauge } from '../../bench/loop-health.js';

describe('bench: event-loop health and the logins scenario (tiny run, no timing checks)', () => {
  let run: BenchRun | undefined;
  let stdout: string;
  let lines: Measurement[];

  before(async () => {
    run = await runBench([
      '--scenarios', 'messages,logins', '--targets', 'relay,ours', '--pairs', '2', '--no-same-load',
      '--duration', '1', '--warmup', '0.2', '--settle', '0', '--concurrency', '5', '--login-rate', '40', '--login-accounts', '8',
    ]);
    ({ stdout, lines } = run);
  });

  after(() => run?.cleanup());

  const find = (scenario: Measurement['scenario'], target: string): Measurement => run!.find(scenario, target);

  it('every measurement has another user\'s ping over the scenario\'s measured interval', () => {
    for (const [scenario, target] of [['messages', 'relay'], ['messages', 'ours'], ['logins', 'ours']] as const) {
      const h = find(scenario, target).health;
      assert.ok(h, `${scenario} on ${target} has no health figures`);
      assert.ok(h.ping.count > 0, `${scenario} on ${target}: no ping in the interval`);
      assert.ok(h.ping.p99 >= h.ping.p50 && h.ping.max >= h.ping.p99);
      assert.equal(h.marked, true, 'the scenario marks its measured interval');
      assert.equal(h.probeLost, undefined);
      assert.ok(Number.isFinite(h.probeLoopMaxMs), 'the probe\'s own event-loop delay is read');
    }
    assert.match(find('messages', 'ours').health!.probeKind, /XEP-0199/);
    assert.match(find('messages', 'relay').health!.probeKind, /relayed back/);
  });

  it('our server\'s event-loop delay comes from its /metrics; the relay has none (n/a)', () => {
    for (const scenario of ['messages', 'logins'] as const) {
      const h = find(scenario, 'ours').health!;
      assert.equal(h.metricsError, undefined);
      assert.ok(h.loop, `${scenario}: no event-loop figures for ours`);
      assert.ok(Number.isFinite(h.loop.p99Ms) && Number.isFinite(h.loop.maxMs) && h.loop.maxMs >= h.loop.p99Ms);
    }
    assert.equal(find('messages', 'relay').health!.loop, undefined);
    assert.match(stdout, /messages\s+relay\s.*n\/a\s+n\/a/);
    assert.match(stdout, /(PASS|MISS) {2}no scenario pushes another user's ping p99 above 50 ms \(ours\)/);
  });

  it('logins: every login with SCRAM-SHA-256 succeeds, on our server only', () => {
    const r = find('logins', 'ours').result as LoginsResult;
    assert.equal(r.mechanism, 'SCRAM-SHA-256');
    assert.equal(r.started, 40);
    assert.deepEqual([r.ok, r.failed, r.skipped], [40, 0, 0], r.errors.join('; '));
    assert.equal(r.setup.count, 40);
    assert.ok(r.serverCpuSeconds >= 0);
    assert.equal(lines.some((l) => l.scenario === 'logins' && l.target === 'relay'), false);
    assert.match(stdout, /logins: 40\/s offered \(open loop\)/);
    assert.match(stdout, /(PASS|MISS) {2}logins: 1,000\/s sustained with no stall above 50 ms \(ours\)/);
  });

  it('reads a gauge from Prometheus text', () => {
    const text = '# TYPE nodejs_eventloop_lag_max_seconds gauge\nnodejs_eventloop_lag_max_seconds 0.0123\nnodejs_eventloop_lag_p99_seconds{} 0.004\n';
    assert.equal(gauge(text, 'nodejs_eventloop_lag_max_seconds'), 0.0123);
    assert.equal(gauge(text, 'nodejs_eventloop_lag_p99_seconds'), 0.004);
    assert.ok(Number.isNaN(gauge(text, 'nodejs_eventloop_lag_p50_seconds')));
  });
});
