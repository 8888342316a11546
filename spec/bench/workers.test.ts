/**
 * The load generator split across processes (bench/workers.ts, bench/merge.ts): how a request
 * is split, how results merge, and a tiny `--workers 2` run of our server and the relay that
 * loses nothing and prints the headline (server CPU per delivered unit). No timing is asserted.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Measurement } from '../../bench/report.js';
import { runBench, type BenchRun } from '../helpers/bench-run.js';
import type { CommonParams, ConnectResult, IdleResult, MessagesRequest, MessagesResult, MucResult } from '../../bench/protocol.js';
import { mergeResults } from '../../bench/merge.js';
import { shares, splitRequest } from '../../bench/workers.js';
import { Samples } from '../../bench/stats.js';

const common: CommonParams = {
  target: { name: 'ours', mode: 'xmpp', url: 'ws://127.0.0.1:1/', domain: 'localhost' },
  userPrefix: 'bench', password: 'p', sourceAddresses: [], concurrency: 5, timeoutMs: 1000, scramCacheFile: '/tmp/x/ours.json',
};

describe('bench/workers: splitting a scenario', () => {
  it('shares: near-equal, none empty, never more shares than units', () => {
    assert.deepEqual(shares(5, 2), [3, 2]);
    assert.deepEqual(shares(1, 4), [1]);
    assert.deepEqual(shares(6, 3), [2, 2, 2]);
  });

  it('messages: whole pairs per worker, accounts not overlapping, the offered rate split by pairs', () => {
    const req: MessagesRequest = { ...common, scenario: 'messages', pairs: 5, window: 10, bodyBytes: 10, warmupS: 0, durationS: 1, drainMs: 100, rate: 1000 };
    const parts = splitRequest(req, 2) as MessagesRequest[];
    assert.deepEqual(parts.map((p) => [p.pairs, p.worker?.accountOffset, p.rate]), [[3, 0, 600], [2, 6, 400]]);
    assert.deepEqual(parts.map((p) => p.scramCacheFile), ['/tmp/x/ours.json', '/tmp/x/ours.w1.json']);
    assert.deepEqual(splitRequest(req, 1), [req]);
  });

  it('muc: whole rooms per worker with their own room names; muc-burst is not split', () => {
    const parts = splitRequest({ ...common, scenario: 'muc', service: 'c', rooms: 3, occupants: 4, window: 1, bodyBytes: 1, warmupS: 0, durationS: 1, drainMs: 1 }, 2);
    assert.deepEqual(parts.map((p) => [(p as { rooms: number }).rooms, p.worker?.accountOffset, p.worker?.roomPrefix]), [[2, 0, 'bench0r'], [1, 8, 'bench1r']]);
    assert.equal(splitRequest({ ...common, scenario: 'muc-burst', service: 'c', occupants: 4, bursts: 1, bodyBytes: 1, drainMs: 1 }, 2).length, 1);
  });
});

describe('bench/merge: one result out of the workers\' results', () => {
  const messages = (samples: number[], cpu: [number, number], lost: number): MessagesResult => ({
    scenario: 'messages', pairs: 1, window: 10, bodyBytes: 10, seconds: 2, sent: samples.length + lost, delivered: samples.length,
    throughput: samples.length / 2, latency: new Samples().summary(), lost, duplicated: 0, misrouted: 0, deferred: 0, errors: [],
    deliveredInWindow: samples.length, serverCpu: { start: cpu[0], end: cpu[1] }, samples,
  });

  it('percentiles come from every sample (not from the workers\' percentiles), counts are summed, the CPU interval is the union', () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const b = [100, 200];
    const m = mergeResults([messages(a, [10, 12], 1), messages(b, [10.1, 12.2], 0)]) as MessagesResult;
    const all = new Samples();
    for (const v of [...a, ...b]) all.push(v);
    assert.deepEqual(m.latency, all.summary());
    assert.deepEqual([m.pairs, m.sent, m.delivered, m.deliveredInWindow, m.lost, m.throughput], [2, 13, 12, 12, 1, 6]);
    assert.deepEqual(m.serverCpu, { start: 10, end: 12.2 });
    assert.equal('samples' in m, false);
  });

  it('a worker without raw samples cannot be merged', () => {
    const { samples: _s, ...bare } = messages([1], [0, 1], 0);
    assert.throws(() => mergeResults([messages([1], [0, 1], 0), bare]), /no raw samples/);
  });
});

describe('npm run bench -- --workers 2 (tiny; nothing lost, headline printed)', () => {
  let run: BenchRun | undefined;
  let stdout: string;
  let stderr: string;

  before(async () => {
    run = await runBench([
      '--scenarios', 'connect,messages,muc,idle', '--workers', '2', '--sessions', '6', '--pairs', '3',
      '--rooms', '3', '--occupants', '3', '--duration', '1', '--warmup', '0.2', '--idle', '20', '--hold', '0', '--settle', '0',
      '--concurrency', '5', '--markdown',
    ]);
    ({ stdout, stderr } = run);
  });

  after(() => run?.cleanup());

  const find = (scenario: Measurement['scenario'], target: string): Measurement => run!.find(scenario, target);

  it('messages: both workers\' pairs merged, every message delivered exactly once, the measured-interval CPU read', () => {
    for (const target of ['ours', 'relay']) {
      const r = find('messages', target).result as MessagesResult;
      assert.equal(r.pairs, 3);
      assert.ok(r.sent > 0, `${target} sent nothing`);
      assert.equal(r.delivered, r.sent, `${target}: ${r.errors.join('; ')}`);
      assert.deepEqual([r.lost, r.duplicated, r.misrouted], [0, 0, 0]);
      assert.ok(r.latency.count > 0 && r.latency.count <= r.delivered);
      assert.ok(r.serverCpu !== undefined && r.serverCpu.end >= r.serverCpu.start);
      assert.equal('samples' in r, false, 'raw samples are not kept in the JSON lines');
    }
    // two load generators per messages run, each reporting its share
    assert.ok((stderr.match(/delivered in [\d.]+ s, 0 lost/g) ?? []).length >= 4, stderr);
  });

  it('connect, idle, muc: every worker\'s sessions and rooms counted', () => {
    const c = find('connect', 'ours').result as ConnectResult;
    assert.deepEqual([c.ok, c.failed, c.setup.count], [6, 0, 6], c.errors.join('; '));
    const i = find('idle', 'ours').result as IdleResult;
    assert.deepEqual([i.ok, i.failed, i.dropped], [20, 0, 0], i.errors.join('; '));
    const m = find('muc', 'ours').result as MucResult;
    assert.equal(m.rooms, 3);
    assert.ok(m.sent > 0);
    assert.equal(m.expected, m.sent * 3);
    assert.deepEqual([m.delivered, m.lost, m.duplicated, m.misrouted], [m.expected, 0, 0, 0], m.errors.join('; '));
  });

  it('the headline comes first: server CPU per unit for every scenario, the relay\'s, the ratio, the item 2 target', () => {
    const head = stdout.indexOf('headline (server process, measured interval)');
    assert.ok(head >= 0 && head < stdout.indexOf('connect: 6 sessions'), stdout);
    for (const row of [/^messages +CPU µs \/ delivered message +[\d.,]+ +[\d.,]+ +[\d.]+×$/m, /^same-load +CPU µs \/ delivered message +[\d.,]+ +[\d.,]+ +[\d.]+×$/m,
      // 6 sessions may cost the relay less than one /proc tick (10 ms): 0, and no ratio
      /^connect +CPU µs \/ session set up +[\d.,]+ +[\d.,]+ +([\d.]+×|-)$/m,
      /^muc +CPU µs \/ groupchat copy +[\d.,]+ +not run +-$/m, /^idle +RSS KiB \/ session held +[\d.,-]+ +[\d.,-]+ /m]) assert.match(stdout, row);
    assert.match(stdout, /(PASS|MISS) messages, default modules off: server CPU per message ours \/ relay <= 1\.05×/);
    const table = stdout.slice(stdout.lastIndexOf('| ---'));
    assert.match(table.split('\n')[1] ?? '', /^\| \*\*messages: server CPU µs \/ delivered message\*\* \|/);
  });
});
