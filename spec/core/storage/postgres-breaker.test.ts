/**
 * Tests for lib/core/storage/postgres-breaker.ts: which failures mean "unreachable", and the
 * breaker's cycle (opens on such a failure, not on an SQL error; probes in the background
 * until the database answers; closes; stops probing when stopped).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Breaker, BreakerOpenError, isUnreachable } from '../../../lib/core/storage/postgres-breaker.js';

const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('isUnreachable', () => {
  it('is true for socket errors, SQLSTATE class 08 and shutdowns, and pg\'s connection messages', () => {
    for (const err of [coded('ECONNREFUSED'), coded('ECONNRESET'), coded('ETIMEDOUT'), coded('08006'), coded('08001'), coded('57P01'), coded('57P03'),
      new Error('Connection terminated unexpectedly'), new Error('timeout exceeded when trying to connect'), new Error('Query read timeout')]) {
      assert.equal(isUnreachable(err), true, err.message);
    }
  });

  it('is false for SQL errors (constraint, syntax, statement timeout) and odd values', () => {
    for (const err of [coded('23505', 'duplicate key'), coded('42601', 'syntax error'), coded('57014', 'canceling statement due to statement timeout'), undefined, 'text', {}]) {
      assert.equal(isUnreachable(err), false, String(err));
    }
  });
});

describe('Breaker', () => {
  it('opens on an unreachable failure, probes until the database answers, then closes', async () => {
    let answers = false;
    let probes = 0;
    const changes: boolean[] = [];
    const b = new Breaker(async () => {
      probes++;
      if (!answers) throw coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');
    }, (open) => { changes.push(open); });
    try {
      assert.equal(b.reason, undefined);
      assert.equal(b.failed(coded('23505', 'duplicate key')), false, 'an SQL error leaves it closed');
      assert.equal(b.reason, undefined);
      assert.equal(b.failed(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')), true);
      assert.match(b.reason!, /^the database is unreachable \(since .+, retrying in the background\): connect ECONNREFUSED/);
      assert.equal(b.failed(new BreakerOpenError(b.reason!)), true, 'its own refusals count as open, without reopening');
      await sleep(900); // probes at 250 ms, then 500 ms later (backing off)
      assert.ok(probes >= 2, `probes while down: ${probes}`);
      assert.ok(b.reason !== undefined);
      answers = true;
      await sleep(2200);
      assert.equal(b.reason, undefined, 'closed once a probe succeeds');
      assert.deepEqual(changes, [true, false]);
      const after = probes;
      await sleep(600);
      assert.equal(probes, after, 'no probes while closed');
    } finally {
      b.stop();
    }
  });

  it('stops probing when stopped', async () => {
    let probes = 0;
    const b = new Breaker(async () => { probes++; throw coded('ECONNREFUSED'); });
    b.failed(coded('ECONNREFUSED'));
    b.stop();
    await sleep(400);
    assert.equal(probes, 0);
  });
});
