/**
 * Tests for lib/core/storage/postgres-sync.ts (with the worker of postgres-worker.ts) on a
 * private PostgreSQL cluster: answers of calls given up on are told apart from the next ones,
 * a `begin` the main thread gave up on never leaves later calls inside a stray transaction,
 * and close() ends the worker.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { SyncCallError, SyncChannel } from '../../../lib/core/storage/postgres-sync.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../helpers/engines.js';

const missing = postgresAvailable();
let db: PostgresServer | undefined;
before(async () => { if (missing === undefined) db = await startPostgres(); });
after(() => { db?.destroy(); });

const open = (): SyncChannel => new SyncChannel({ connection: { connectionString: db!.url() }, poolSize: 2, queryTimeoutMs: 2000, startTimeoutMs: 10_000 });

async function outside(sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: db!.url() });
  await c.connect();
  try {
    return (await c.query(sql)).rows as unknown[];
  } finally {
    await c.end();
  }
}

describe('SyncChannel', { skip: missing }, () => {
  it('drops the late answer of a call it gave up on and returns the right answer to the next', async () => {
    const ch = open();
    try {
      ch.call('set', ['h', 's', 'u', '"v"']);
      assert.throws(() => ch.call('get', ['h', 's', 'u'], 0), (err: unknown) => err instanceof SyncCallError && /within 0 s/.test((err as Error).message));
      await sleep(50); // the late answer arrives meanwhile
      assert.deepEqual(ch.call('users', ['h', 's']), ['u'], 'the answer to this call, not the late one');
      assert.equal(ch.call('get', ['h', 's', 'u']), '"v"');
    } finally {
      ch.close();
    }
  });

  it('a begin given up on is rolled back by the worker: later calls are not inside it', async () => {
    const ch = open();
    try {
      assert.throws(() => ch.call('begin', [], 0), SyncCallError);
      await sleep(100); // the worker has begun by now, seen that nobody waits, and rolled back
      ch.call('set', ['h', 's', 'after-begin', '1']);
      const rows = await outside("SELECT username FROM xs_keyval WHERE username = 'after-begin'");
      assert.equal(rows.length, 1, 'committed at once: not held in a stray transaction');
      ch.call('begin', []);
      ch.call('set', ['h', 's', 'in-tx', '1']);
      ch.call('commit', []);
      assert.equal((await outside("SELECT 1 FROM xs_keyval WHERE username = 'in-tx'")).length, 1);
    } finally {
      ch.close();
    }
  });

  it('close() ends the pool and the worker; calls after it fail at once', () => {
    const ch = open();
    ch.close();
    assert.equal(ch.closed, true);
    assert.throws(() => ch.call('get', ['h', 's', 'u']), /the database is closed/);
    ch.close(); // idempotent
  });
});
