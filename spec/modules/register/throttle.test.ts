/**
 * Tests for lib/modules/register/throttle.ts: the wait between registrations per address,
 * taking a registration back, and the size bound (addresses rotating must not grow the table).
 * A settable clock stands in for waiting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistrationThrottle } from '../../../lib/modules/register/throttle.js';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 5_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('RegistrationThrottle', () => {
  it('makes an address wait the interval after a registration', () => {
    const c = clock();
    const r = new RegistrationThrottle(300_000, 100, c.now);
    assert.equal(r.wait('192.0.2.1'), 0);
    r.record('192.0.2.1');
    assert.equal(r.wait('192.0.2.1'), 300_000);
    assert.equal(r.wait('::ffff:192.0.2.1'), 300_000, 'the same address, IPv4-mapped');
    assert.equal(r.wait('192.0.2.2'), 0);
    c.advance(299_000);
    assert.equal(r.wait('192.0.2.1'), 1_000);
    c.advance(1_000);
    assert.equal(r.wait('192.0.2.1'), 0);
    r.sweep();
    assert.equal(r.size, 0);
  });

  it('takes back a registration that did not happen, restoring the earlier one', () => {
    const c = clock();
    const r = new RegistrationThrottle(10_000, 100, c.now);
    r.record('192.0.2.1')();
    assert.equal(r.wait('192.0.2.1'), 0);
    r.record('192.0.2.1');
    c.advance(4_000);
    const undo = r.record('192.0.2.1');
    undo();
    assert.equal(r.wait('192.0.2.1'), 6_000, 'the first registration still counts');
  });

  it('an interval of 0 records nothing', () => {
    const r = new RegistrationThrottle(0, 100);
    r.record('192.0.2.1');
    assert.equal(r.wait('192.0.2.1'), 0);
    assert.equal(r.size, 0);
  });

  it('never holds more than registration_throttle_cache_size addresses; the oldest go first', () => {
    const c = clock();
    const r = new RegistrationThrottle(300_000, 100, c.now);
    for (let i = 0; i < 20_000; i++) {
      r.record(`10.0.${i >> 8 & 255}.${i & 255}`);
      c.advance(1);
      assert.ok(r.size <= 100);
    }
    assert.equal(r.size, 100);
    assert.equal(r.wait('10.0.0.0'), 0, 'forgotten');
    assert.ok(r.wait(`10.0.${19_999 >> 8 & 255}.${19_999 & 255}`) > 0, 'the newest is kept');
  });
});
