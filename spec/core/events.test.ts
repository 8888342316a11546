/**
 * Tests for lib/core/events.ts: priority order, registration order for ties,
 * stop-on-first-result, idempotent registration, removal and wrappers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../lib/core/events.js';

describe('EventBus', () => {
  describe('#fire()', () => {
    it('runs higher priorities first and equal priorities in registration order', () => {
      const bus = new EventBus();
      const order: string[] = [];
      bus.on('e', () => { order.push('a0'); });
      bus.on('e', () => { order.push('b10'); }, 10);
      bus.on('e', () => { order.push('c0'); });
      bus.on('e', () => { order.push('d-5'); }, -5);
      bus.on('e', () => { order.push('e10'); }, 10);
      bus.on('e', () => { order.push('f0'); });
      bus.fire('e', {});
      assert.deepEqual(order, ['b10', 'e10', 'a0', 'c0', 'f0', 'd-5']);
    });

    it('stops at the first handler returning anything but undefined and returns it', () => {
      const bus = new EventBus();
      const seen: number[] = [];
      bus.on('e', () => { seen.push(1); });
      bus.on('e', () => { seen.push(2); return false; });
      bus.on('e', () => { seen.push(3); return 'late'; });
      assert.equal(bus.fire('e', {}), false);
      assert.deepEqual(seen, [1, 2]);
    });

    it('treats null and 0 as results that stop the chain', () => {
      const bus = new EventBus();
      bus.on('e', () => null);
      bus.on('e', () => assert.fail('must not run'));
      assert.equal(bus.fire('e', {}), null);
      const bus2 = new EventBus();
      bus2.on('e', () => 0);
      bus2.on('e', () => assert.fail('must not run'));
      assert.equal(bus2.fire('e', {}), 0);
    });

    it('returns undefined for an event without handlers, and passes the payload object', () => {
      const bus = new EventBus();
      assert.equal(bus.fire('nobody', { x: 1 }), undefined);
      const payload = { n: 1 };
      bus.on('p', (p) => { assert.equal(p, payload); p.n = 2; });
      bus.fire('p', payload);
      assert.equal(payload.n, 2);
    });

    it('is unaffected by handlers added or removed during a dispatch', () => {
      const bus = new EventBus();
      const seen: string[] = [];
      const late = (): void => { seen.push('late'); };
      bus.on('e', () => { seen.push('first'); bus.on('e', late); bus.off('e', second); });
      const second = (): void => { seen.push('second'); };
      bus.on('e', second);
      bus.fire('e', {});
      assert.deepEqual(seen, ['first', 'second']);
      bus.fire('e', {});
      assert.deepEqual(seen, ['first', 'second', 'first', 'late']);
    });
  });

  describe('#on() / #off()', () => {
    it('registers the same function only once', () => {
      const bus = new EventBus();
      let n = 0;
      const h = (): void => { n++; };
      bus.on('e', h);
      bus.on('e', h, 5);
      bus.fire('e', {});
      assert.equal(n, 1);
      assert.equal(bus.handlers('e').length, 1);
    });

    it('removes exactly the given handler', () => {
      const bus = new EventBus();
      const seen: string[] = [];
      const a = (): void => { seen.push('a'); };
      const b = (): void => { seen.push('b'); };
      bus.on('e', a);
      bus.on('e', b);
      assert.equal(bus.off('e', a), true);
      assert.equal(bus.off('e', a), false);
      bus.fire('e', {});
      assert.deepEqual(seen, ['b']);
      bus.off('e', b);
      assert.equal(bus.has('e'), false);
    });
  });

  describe('#addWrapper()', () => {
    it('surrounds the dispatch; the last added runs outermost; "*" wraps every event', () => {
      const bus = new EventBus();
      const trace: string[] = [];
      bus.on('e', () => { trace.push('handler'); return 'r'; });
      bus.addWrapper('*', (next, p, event) => { trace.push(`any>${event}`); const r = next(p); trace.push('any<'); return r; });
      bus.addWrapper('e', (next, p) => { trace.push('w1>'); const r = next(p); trace.push('w1<'); return r; });
      bus.addWrapper('e', (next, p) => { trace.push('w2>'); const r = next(p); trace.push('w2<'); return r; });
      assert.equal(bus.fire('e', {}), 'r');
      assert.deepEqual(trace, ['w2>', 'w1>', 'any>e', 'handler', 'any<', 'w1<', 'w2<']);
    });

    it('can veto a dispatch and can be removed', () => {
      const bus = new EventBus();
      let ran = false;
      bus.on('e', () => { ran = true; });
      const veto = (): unknown => 'vetoed';
      bus.addWrapper('e', veto);
      assert.equal(bus.fire('e', {}), 'vetoed');
      assert.equal(ran, false);
      assert.equal(bus.removeWrapper('e', veto), true);
      bus.fire('e', {});
      assert.equal(ran, true);
    });
  });
});
