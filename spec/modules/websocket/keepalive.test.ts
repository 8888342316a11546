/**
 * Tests for lib/modules/websocket/keepalive.ts: the sweep period follows the shortest
 * interval in use (within bounds), one timer visits every connection and advances the clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeepaliveSweep, tickFor, type Sweepable } from '../../../lib/modules/websocket/keepalive.js';

describe('tickFor', () => {
  it('is a quarter of the shortest interval, between 50 ms and 1 s', () => {
    assert.equal(tickFor(30_000), 1000);
    assert.equal(tickFor(2000), 500);
    assert.equal(tickFor(100), 50);
    assert.equal(tickFor(Infinity), 1000);
    assert.equal(tickFor(0), 1000);
  });
});

describe('KeepaliveSweep', () => {
  it('visits every item on each tick with the current time, and stops', async () => {
    const seen: number[] = [];
    const items = new Set<Sweepable>([{ tick: (now) => seen.push(now) }, { tick: (now) => seen.push(now) }]);
    const sweep = new KeepaliveSweep(items);
    const before = sweep.clock.now;
    sweep.schedule(200);
    assert.equal(sweep.period, 50);
    await new Promise((r) => setTimeout(r, 140));
    sweep.stop();
    assert.equal(sweep.period, 0);
    assert.ok(seen.length >= 4, `ticks: ${seen.length}`);
    assert.equal(seen.length % 2, 0, 'both items each time');
    assert.ok(sweep.clock.now >= before);
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(seen.length, count, 'no ticks after stop');
  });

  it('keeps one timer when rescheduled with the same period', () => {
    const sweep = new KeepaliveSweep(new Set());
    sweep.schedule(30_000);
    sweep.schedule(40_000);
    assert.equal(sweep.period, 1000);
    sweep.schedule(400);
    assert.equal(sweep.period, 100);
    sweep.stop();
  });
});

describe('KeepaliveSweep errors', () => {
  it('reports an item whose tick throws and still visits the others', async () => {
    const errors: unknown[] = [];
    let visited = 0;
    const items = new Set<Sweepable>([{ tick: () => { throw new Error('boom'); } }, { tick: () => { visited++; } }]);
    const sweep = new KeepaliveSweep(items, (err) => errors.push(err));
    sweep.schedule(200);
    await new Promise((r) => setTimeout(r, 80));
    sweep.stop();
    assert.ok(errors.length >= 1);
    assert.equal(errors.length, visited);
  });
});
