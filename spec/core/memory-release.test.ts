/**
 * Tests for lib/core/memory-release.ts: one full collection after many sessions closed, once
 * no session closed for the quiet delay and the event loop was mostly idle; never for a few
 * closes, nor while most sessions are still open; and V8's collector without --expose-gc.
 * Then the server: WebSocket sessions that close make it collect once (its log line).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { MemoryRelease, collectors, type MemoryReleaseOptions } from '../../lib/core/memory-release.js';
import { captureLog } from '../helpers/log.js';
import { startTestServer } from '../helpers/server.js';
import { wsLogin } from '../helpers/ws-probe.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function harness(options: Partial<MemoryReleaseOptions> = {}): { release: MemoryRelease; collections: number[]; calls: string[]; open: { n: number } } {
  const collections: number[] = [];
  const calls: string[] = [];
  const open = { n: 0 };
  const release = new MemoryRelease({
    threshold: 3,
    quietMs: 40,
    youngDelayMs: 40,
    openSessions: () => open.n,
    collected: ({ closed }) => { collections.push(closed); },
    collect: { full: () => { calls.push('full'); }, young: () => { calls.push('young'); } },
    ...options,
  });
  return { release, collections, calls, open };
}

describe('MemoryRelease', () => {
  it('collects once, after the threshold and a quiet delay, with the number of closes; the young generation after another delay', async () => {
    const { release, collections, calls } = harness();
    release.sessionClosed();
    release.sessionClosed();
    await sleep(80);
    assert.deepEqual(collections, [], 'below the threshold');
    release.sessionClosed();
    assert.deepEqual(collections, [], 'not at once');
    await sleep(80);
    assert.deepEqual(collections, [3]);
    assert.equal(release.pending, 0);
    await sleep(80);
    assert.deepEqual(collections, [3], 'once');
    assert.deepEqual(calls, ['full', 'young']);
  });

  it('leaves the young generation alone when sessions close again meanwhile', async () => {
    const { release, calls } = harness({ youngDelayMs: 100 });
    for (let i = 0; i < 3; i++) release.sessionClosed();
    await sleep(70);
    assert.deepEqual(calls, ['full']);
    release.sessionClosed();
    await sleep(150);
    assert.deepEqual(calls, ['full']);
  });

  it('waits while sessions keep closing (each close pushes it back)', async () => {
    const { release, collections } = harness();
    for (let i = 0; i < 6; i++) {
      release.sessionClosed();
      await sleep(15);
    }
    assert.deepEqual(collections, [], 'still closing');
    await sleep(80);
    assert.deepEqual(collections, [6]);
  });

  it('does not collect while fewer closed than are still open, and starts counting again', async () => {
    const { release, collections, open } = harness();
    open.n = 10;
    for (let i = 0; i < 5; i++) release.sessionClosed();
    await sleep(80);
    assert.deepEqual(collections, []);
    assert.equal(release.pending, 0);
    open.n = 2;
    for (let i = 0; i < 3; i++) release.sessionClosed();
    await sleep(80);
    assert.deepEqual(collections, [3]);
  });

  it('waits another delay while the event loop is busy', async () => {
    const { release, collections } = harness({ quietMs: 60 });
    for (let i = 0; i < 3; i++) release.sessionClosed();
    const start = Date.now();
    while (Date.now() - start < 55) { /* busy: more than half of the delay */ }
    await sleep(30);
    assert.deepEqual(collections, [], 'busy when the delay ended');
    await sleep(100);
    assert.deepEqual(collections, [3], 'collected after a quiet delay');
  });

  it('never collects with threshold 0, nor after stop()', async () => {
    const never = harness({ threshold: 0 });
    for (let i = 0; i < 10; i++) never.release.sessionClosed();
    assert.equal(never.release.pending, 0);
    const stopped = harness();
    for (let i = 0; i < 3; i++) stopped.release.sessionClosed();
    stopped.release.stop();
    await sleep(80);
    assert.deepEqual([...never.collections, ...stopped.collections], []);
  });

  it('gets V8\'s collectors without exposing gc to the process', async () => {
    const gc = collectors().full;
    assert.equal(typeof gc, 'function');
    assert.equal((globalThis as { gc?: unknown }).gc, undefined);
    let ref: WeakRef<object> | undefined;
    (() => { ref = new WeakRef({ big: new Array(1000).fill(1) }); })();
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef's target lives through its job
    gc();
    assert.equal(ref!.deref(), undefined, 'it collected');
    assert.equal(collectors().full, gc, 'made once');
  });

  it('compacts: a heap whose survivors are spread over many pages shrinks', async () => {
    const gc = collectors().full;
    const live: object[] = [];
    const dead: object[] = [];
    for (let i = 0; i < 200_000; i++) {
      const o = { a: [String(i), `x${i}`], b: { x: `y${i}`, m: new Map([[i, i]]) } };
      (i % 10 === 0 ? live : dead).push(o);
      if (i % 20_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const before = process.memoryUsage().heapTotal;
    assert.equal(dead.length, 180_000);
    dead.length = 0;
    gc(); // one survivor in ten on each page
    const after = process.memoryUsage().heapTotal;
    assert.equal(live.length, 20_000);
    // Without compaction the heap keeps about 80% of its pages (each holds a survivor).
    assert.ok(after < before * 0.6, `heap ${before >> 20} MiB -> ${after >> 20} MiB (used ${process.memoryUsage().heapUsed >> 20})`);
  });

  it('shrinks the young generation after a quiet while', async () => {
    const young = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
    const keep: object[] = [];
    for (let i = 0; i < 400_000; i++) {
      keep.push({ a: [String(i)], i }); // survives scavenges: the young generation grows
      if (i % 20_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(keep.length, 400_000);
    keep.length = 0;
    const grown = young();
    collectors().full();
    await sleep(6000);
    collectors().young();
    assert.ok(young() < grown / 2, `young generation ${grown >> 20} MiB -> ${young() >> 20} MiB`);
  });
});

describe('server: collection after WebSocket sessions closed', () => {
  it('collects once when its sessions have closed and it is quiet, and logs it', async () => {
    const log = captureLog('info');
    const MSG = 'garbage collected after many sessions closed';
    const collected = (): Record<string, unknown>[] => log.lines.filter((l) => l.msg === MSG);
    const t = await startTestServer({ modules_enabled: ['saslauth', 'websocket'], gc_after_sessions_closed: 3, gc_quiet_delay: 0.1, consider_websocket_secure: true }, { users: { juliet: 'pw' }, logger: log.logger });
    try {
      const port = t.port('http');
      const probes = [];
      for (let i = 0; i < 4; i++) probes.push((await wsLogin(port, 'juliet', 'pw', { resource: `r${i}` })).probe);
      for (const p of probes.slice(0, 2)) p.destroy();
      await sleep(300);
      assert.equal(collected().length, 0, '2 closed: below the threshold');
      for (const p of probes.slice(2)) p.destroy();
      for (let i = 0; i < 50 && t.server.sessions.count > 0; i++) await sleep(20);
      assert.equal(t.server.sessions.count, 0);
      assert.equal(collected().length, 0, 'not before the quiet delay');
      for (let i = 0; i < 50 && collected().length === 0; i++) await sleep(20);
      const lines = collected();
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.closed, 4);
      assert.equal(typeof lines[0]!.ms, 'number');
    } finally {
      await t.stop();
    }
  });
});
