/**
 * Smoke test of the benchmark (bench/): every scenario, tiny, against our server and the raw
 * relay, through `node build/bench/run.js`. It checks the benchmark runs and loses nothing;
 * timings are never asserted.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Measurement } from '../../bench/report.js';
import { runBench, type BenchRun } from '../helpers/bench-run.js';
import type { ConnectResult, HibernateResult, IdleResult, MessagesResult, MucBurstResult, MucResult } from '../../bench/protocol.js';

describe('npm run bench (smoke: tiny scenarios, no timing checks)', () => {
  let run: BenchRun | undefined;
  let stdout: string;
  let lines: Measurement[];

  before(async () => {
    run = await runBench([
      '--scenarios', 'connect,messages,messages-sm,messages-im,muc,muc-burst,idle,idle-sm,hibernate,mam-query', '--sessions', '5', '--pairs', '2',
      '--rooms', '2', '--occupants', '3', '--burst-occupants', '12', '--bursts', '2',
      '--duration', '1', '--warmup', '0.2', '--idle', '20', '--hold', '0', '--settle', '0', '--concurrency', '5',
      '--hibernate', '10', '--hibernation-time', '3',
    ]);
    ({ stdout, lines } = run);
  });

  after(() => run?.cleanup());

  const find = (scenario: Measurement['scenario'], target: string): Measurement => run!.find(scenario, target);

  it('connect: every session is set up (open, SCRAM-SHA-1, bind, presence)', () => {
    for (const target of ['ours', 'relay']) {
      const r = find('connect', target).result as ConnectResult;
      assert.equal(r.ok, 5, `${target}: ${r.errors.join('; ')}`);
      assert.equal(r.failed, 0);
      assert.equal(r.setup.count, 5);
    }
  });

  it('messages: delivered exactly once (nothing lost, duplicated or misrouted)', () => {
    for (const scenario of ['messages', 'same-load'] as const) {
      for (const target of ['ours', 'relay']) {
        const r = find(scenario, target).result as MessagesResult;
        assert.ok(r.sent > 0, `${scenario} ${target} sent nothing`);
        assert.equal(r.delivered, r.sent, `${scenario} ${target}: ${r.errors.join('; ')}`);
        assert.deepEqual([r.lost, r.duplicated, r.misrouted], [0, 0, 0]);
        assert.deepEqual(r.errors, []);
      }
    }
  });

  it('idle: sessions held without an error and the server memory read', () => {
    const m = find('idle', 'ours');
    const r = m.result as IdleResult;
    assert.deepEqual([r.ok, r.failed, r.dropped], [20, 0, 0], r.errors.join('; '));
    assert.ok(m.server.rssHeldKiB! > 0 && m.server.rssBaselineKiB > 0);
  });

  it('messages with stream management: exactly once, and the clients acked', () => {
    const r = find('messages-sm', 'ours').result as MessagesResult;
    assert.ok(r.sent > 0);
    assert.equal(r.delivered, r.sent, r.errors.join('; '));
    assert.deepEqual([r.lost, r.duplicated, r.misrouted], [0, 0, 0]);
    assert.ok(r.sm !== undefined && r.sm.acks > 0, 'no <a/> was sent');
  });

  it('idle with stream management: sessions held', () => {
    const r = find('idle-sm', 'ours').result as IdleResult;
    assert.deepEqual([r.ok, r.failed, r.dropped], [20, 0, 0], r.errors.join('; '));
  });

  it('hibernate: every queued message once, by resumption or from offline storage', () => {
    const r = find('hibernate', 'ours').result as HibernateResult;
    assert.deepEqual([r.ok, r.cut, r.sent, r.bounced], [10, 10, 10, 0], r.errors.join('; '));
    assert.deepEqual([r.resume.resumed, r.resume.failed, r.resume.lost, r.resume.duplicated], [5, 0, 0, 0]);
    assert.deepEqual([r.expire.expired, r.expire.stillResumable, r.expire.lost, r.expire.duplicated], [5, 0, 0, 0]);
    assert.equal(r.resume.delivered + r.expire.delivered, 10);
    assert.deepEqual([r.lateDuplicates, r.misrouted], [0, 0]);
  });

  it('messages with the default modules (mam, carbons): exactly once, next to messages in the IM essentials table', () => {
    const m = find('messages-im', 'ours').result as MessagesResult;
    assert.ok(m.delivered > 0);
    assert.equal(m.lost + m.duplicated + m.misrouted, 0);
    assert.match(stdout, /IM essentials, ours/);
    assert.match(stdout, /messages with mam and carbons \/ without >= 0\.8/);
  });

  it('mam-query: a built archive answered with 50 results each time', () => {
    assert.match(stdout, /mam-query, ours: last 50 messages with one contact, archive of 100,000 messages/);
    assert.match(stdout, /median < 20 ms with all 50 results/);
    assert.doesNotMatch(stdout, /fewer than 50/);
  });

  it('muc: every groupchat copy reaches every occupant of its room exactly once, on our server only (not the relay)', () => {
    const r = find('muc', 'ours').result as MucResult;
    assert.ok(r.sent > 0, 'no groupchat message was sent');
    assert.equal(r.expected, r.sent * 3);
    assert.equal(r.delivered, r.expected, r.errors.join('; '));
    assert.deepEqual([r.lost, r.duplicated, r.misrouted], [0, 0, 0]);
    assert.deepEqual(r.errors, []);
    assert.equal(lines.some((l) => l.target === 'relay' && (l.scenario === 'muc' || l.scenario === 'muc-burst')), false);
    assert.match(stdout, /muc: 2 rooms × 3 occupants/);
  });

  it('muc-burst: each message reaches all occupants of the one room', () => {
    const r = find('muc-burst', 'ours').result as MucBurstResult;
    assert.deepEqual([r.occupants, r.bursts, r.expected, r.delivered], [12, 2, 24, 24], r.errors.join('; '));
    assert.deepEqual([r.lost, r.duplicated, r.misrouted], [0, 0, 0]);
    assert.equal(r.toLast.count, 2);
    assert.match(stdout, /muc exactly once \(lost \+ duplicated \+ misrouted copies, all targets, all runs\) = 0: 0/);
  });

  it('prints the table', () => {
    assert.match(stdout, /connect: 5 sessions/);
    assert.match(stdout, /messages: 2 pairs/);
    assert.match(stdout, /idle: 20 authenticated/);
  });
});
