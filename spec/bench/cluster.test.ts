/**
 * The cluster scenario of the benchmark (bench/cluster.ts, bench/targets/cluster.ts): a short
 * run through `node build/bench/run.js --scenarios cluster` with a few pairs. It checks that
 * messages crossed between the two nodes exactly once (both nodes used CPU, Redis processed
 * commands and used CPU), that the single node ran beside it, and that the report, the
 * headline and the Markdown carry the rows. Timings are never asserted. Skipped without
 * redis-server.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBench, type BenchRun } from '../helpers/bench-run.js';
import type { MessagesResult } from '../../bench/protocol.js';
import { redisMissing } from '../../bench/redis.js';
import { CLUSTER_COUNTERS } from '../../bench/targets/cluster.js';
import { nodeUrl } from '../../bench/client/pool.js';

const skip = redisMissing();

describe('bench: the cluster scenario (two nodes over Redis vs one node; short run, no timing checks)', { skip }, () => {
  let run: BenchRun | undefined;

  before(async () => {
    run = await runBench([
      '--scenarios', 'cluster', '--targets', 'ours', '--pairs', '3', '--window', '4',
      '--duration', '2', '--warmup', '0.5', '--settle', '0', '--concurrency', '5', '--markdown',
    ]);
  });

  after(() => run?.cleanup());

  it('two nodes: every message delivered once across the nodes, both nodes and Redis busy', () => {
    const m = run!.find('cluster', 'cluster');
    const r = m.result as MessagesResult;
    assert.ok(r.deliveredInWindow! > 0, 'nothing delivered in the measured interval');
    assert.equal(r.delivered, r.sent, r.errors.join('; '));
    assert.deepEqual([r.lost, r.duplicated, r.misrouted], [0, 0, 0]);
    assert.deepEqual(r.errors, []);
    const c = m.interval!;
    assert.ok(c[CLUSTER_COUNTERS.nodeA]! > 0 && c[CLUSTER_COUNTERS.nodeB]! > 0, `node CPU: ${JSON.stringify(c)}`);
    assert.ok(c[CLUSTER_COUNTERS.redisCpu]! > 0, `redis CPU: ${JSON.stringify(c)}`);
    // every message crosses: one PUBLISH each (the orchestrator reads Redis a moment off the load generator's edges)
    assert.ok(c[CLUSTER_COUNTERS.redisOps]! >= r.deliveredInWindow! * 0.8, `redis commands ${c[CLUSTER_COUNTERS.redisOps]} for ${r.deliveredInWindow} messages`);
  });

  it('one node of the same run: the same workload, exactly once', () => {
    const r = run!.find('cluster', 'ours').result as MessagesResult;
    assert.ok(r.deliveredInWindow! > 0);
    assert.equal(r.pairs, 3);
    assert.deepEqual([r.lost, r.duplicated, r.misrouted], [0, 0, 0]);
  });

  it('the report, the headline and the Markdown carry the cluster rows', () => {
    const out = run!.stdout;
    assert.match(out, /cluster: 3 pairs \(window 4\), each split across two nodes, vs one node, same run; storage one SQLite file/);
    assert.match(out, /Redis commands \/ message/);
    assert.match(out, /cluster, 2 nodes\s+CPU µs \/ delivered message, both nodes/);
    assert.match(out, /\| \*\*cluster: server CPU µs per message, 2 nodes \(both processes\) \/ 1 node\*\* \| [\d.,]+ \/ [\d.,]+ \([\d.]+×\)/);
  });
});

describe('bench: sessions of a pair on different nodes', () => {
  it('pair k: sessions 2k and 2k+1 on different nodes, the first on A for even k and on B for odd k', () => {
    const target = { name: 'cluster', mode: 'xmpp' as const, url: 'A', urls: ['A', 'B'], domain: 'localhost' };
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((s) => nodeUrl(target, s)), ['A', 'B', 'B', 'A', 'A', 'B', 'B', 'A']);
    assert.equal(nodeUrl({ ...target, urls: undefined }, 3), 'A');
  });
});
