/**
 * Tests for lib/modules/saslauth/limits.ts: failure windows, attempts under way counting
 * against the limit, and the size bound of the per-IP and per-account tables (an attacker
 * rotating usernames or addresses must not grow them without end). A settable clock stands in
 * for waiting out the windows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle, FailureTable } from '../../../lib/modules/saslauth/limits.js';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

function fail(table: FailureTable, key: string, times = 1): void {
  for (let i = 0; i < times; i++) {
    table.begin(key);
    table.end(key, true);
  }
}

describe('FailureTable', () => {
  it('counts failures per key within the period, then forgets them', () => {
    const c = clock();
    const table = new FailureTable(30_000, 100, c.now);
    fail(table, 'a', 3);
    fail(table, 'b');
    assert.equal(table.load('a'), 3);
    assert.equal(table.load('b'), 1);
    assert.equal(table.load('c'), 0);
    c.advance(29_999);
    assert.equal(table.load('a'), 3, 'still inside the window');
    c.advance(1);
    assert.equal(table.load('a'), 0, 'the window is over');
    assert.equal(table.size, 1, 'a was dropped when found expired');
    table.sweep();
    assert.equal(table.size, 0, 'sweep drops the rest');
  });

  it('counts attempts under way once the key has a failure; a success leaves nothing behind', () => {
    const table = new FailureTable(30_000, 100);
    table.begin('a');
    table.begin('a');
    assert.equal(table.load('a'), 0, 'no failure yet: parallel attempts are not held back');
    table.end('a', true);
    assert.equal(table.load('a'), 2, 'one failure and one attempt under way');
    table.end('a', false);
    assert.equal(table.load('a'), 1);
    table.begin('b');
    table.end('b', false);
    assert.equal(table.load('b'), 0);
    assert.equal(table.size, 1, 'only the key with a failure is remembered');
  });

  it('never holds more than its capacity: 100000 distinct keys leave at most 50', () => {
    const table = new FailureTable(30_000, 50);
    for (let i = 0; i < 100_000; i++) {
      fail(table, `user${i}`);
      assert.ok(table.size <= 50);
    }
    assert.equal(table.size, 50);
    assert.equal(table.load('user0'), 0, 'the oldest went first');
    assert.equal(table.load('user99999'), 1, 'the newest is kept');
  });

  it('when full, drops expired entries before live ones', () => {
    const c = clock();
    const table = new FailureTable(10_000, 3, c.now);
    fail(table, 'old1');
    fail(table, 'old2');
    c.advance(5_000);
    fail(table, 'live');
    c.advance(5_000); // old1 and old2 expire, live has 5 s left
    fail(table, 'new1');
    fail(table, 'new2');
    assert.equal(table.load('live'), 1, 'the live entry survived');
    assert.equal(table.size, 3);
  });

  it('refuses a nonsensical configuration', () => {
    assert.throws(() => new FailureTable(0, 10), RangeError);
    assert.throws(() => new FailureTable(1000, 0), RangeError);
  });
});

describe('AuthThrottle', () => {
  it('blocks an address after limit_auth_max failures, an account after limit_auth_account_max', () => {
    const c = clock();
    const t = new AuthThrottle({ periodMs: 30_000, maxPerIp: 3, maxPerAccount: 2, capacity: 100, now: c.now });
    t.begin('192.0.2.1', 'juliet').settle(true);
    assert.equal(t.blocked('192.0.2.1', 'juliet'), undefined);
    t.begin('192.0.2.1', 'juliet').settle(true);
    assert.equal(t.blocked('192.0.2.2', 'juliet'), 'account', 'the account from anywhere');
    assert.equal(t.blocked('192.0.2.1', 'romeo'), undefined, 'another account from the same address');
    t.begin('192.0.2.1', 'romeo').settle(true);
    assert.equal(t.blocked('192.0.2.1', 'romeo'), 'ip');
    assert.equal(t.blocked('192.0.2.1'), 'ip');
    c.advance(30_000);
    assert.equal(t.blocked('192.0.2.1', 'juliet'), undefined, 'all forgotten after limit_auth_period');
  });

  it('once an address failed, counts attempts still under way, so parallel connections cannot slip past the limit', () => {
    const t = new AuthThrottle({ periodMs: 30_000, maxPerIp: 2, maxPerAccount: 10, capacity: 100 });
    t.begin('192.0.2.1', 'w').settle(true);
    const a = t.begin('192.0.2.1', 'x');
    assert.equal(t.blocked('192.0.2.1', 'z'), 'ip', 'one failure and one attempt under way');
    a.settle(false);
    a.settle(true); // idempotent: already settled
    assert.equal(t.blocked('192.0.2.1', 'z'), undefined);
    t.begin('192.0.2.1', 'y').settle(true);
    assert.equal(t.blocked('192.0.2.1', 'z'), 'ip', 'two failures of two allowed');
  });

  it('never holds back parallel attempts from an address without failures (many clients behind one NAT)', () => {
    const t = new AuthThrottle({ periodMs: 30_000, maxPerIp: 2, maxPerAccount: 10, capacity: 100 });
    const attempts = Array.from({ length: 50 }, (_, i) => t.begin('192.0.2.9', `user${i}`));
    assert.equal(t.blocked('192.0.2.9', 'another'), undefined);
    for (const a of attempts) a.settle(false);
    assert.deepEqual(t.sizes, { ips: 0, accounts: 0 }, 'successes are not remembered');
  });

  it('keeps both tables bounded while usernames and addresses rotate', () => {
    const t = new AuthThrottle({ periodMs: 30_000, maxPerIp: 5, maxPerAccount: 10, capacity: 1000 });
    for (let i = 0; i < 50_000; i++) t.begin(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `user${i}`).settle(true);
    assert.deepEqual(t.sizes, { ips: 1000, accounts: 1000 });
  });
});
