/**
 * Tests for lib/core/storage/postgres.ts (and its worker, statements, schema and archive writer)
 * on a private PostgreSQL cluster (spec/helpers/engines.ts): the shared StorageDriver behaviour
 * table on a fresh database per case, restarts and idempotent migrations, transactions on one
 * connection, the archive writer's barriers, an outage (timeout, circuit breaker, recovery
 * without reopening) and the archive index on a million rows.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { isServerError } from '../../../lib/core/errors.js';
import { PostgresDriver } from '../../../lib/core/storage/postgres.js';
import { MIGRATIONS } from '../../../lib/core/storage/postgres-schema.js';
import type { ArchiveSink } from '../../../lib/core/storage/archive-sink.js';
import { describeStorageContract, JSON_SHAPES } from '../../helpers/storage-contract.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../helpers/engines.js';

const missing = postgresAvailable();
let server: PostgresServer | undefined;
let n = 0;

before(async () => { if (missing === undefined) server = await startPostgres(); });
after(() => { server?.destroy(); });

const db = (): PostgresServer => server!;
/** A driver on a database of its own (created empty). */
function fresh(options: { queryTimeoutMs?: number } = {}): { driver: PostgresDriver; name: string } {
  const name = `t${++n}`;
  db().createDatabase(name);
  return { driver: new PostgresDriver({ connectionString: db().url(name) }, options), name };
}

/** A plain pg client on `database`, for looking from outside the driver. */
async function look<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: db().url(database) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const storageError = (err: unknown): boolean => isServerError(err, 'XS_ERR_STORAGE');

if (missing !== undefined) {
  describe('PostgresDriver', () => { it('needs PostgreSQL', { skip: missing }, () => undefined); });
} else {
  describeStorageContract('postgresql', () => fresh().driver);

  describe('PostgresDriver', () => {
    it('keeps everything across close and reopen; migrations run once (xs_schema_version)', async () => {
      const { driver: first, name } = fresh();
      JSON_SHAPES.forEach((v, i) => first.set('h', 'shapes', `u${i}`, v));
      JSON_SHAPES.forEach((v, i) => first.mapSet('h', 'map', 'u', `k${i}`, v));
      const ids = [first.append('h', 'offline', 'juliet', 'a'), first.append('h', 'offline', 'juliet', 'b')];
      first.remove('h', 'offline', 'juliet', [ids[1]!]);
      first.close();
      assert.equal(first.open, false);
      assert.throws(() => first.get('h', 'shapes', 'u0'), storageError, 'a closed driver throws XS_ERR_STORAGE');

      const second = new PostgresDriver({ connectionString: db().url(name) });
      try {
        JSON_SHAPES.forEach((v, i) => assert.deepEqual(second.get('h', 'shapes', `u${i}`), v));
        JSON_SHAPES.forEach((v, i) => assert.deepEqual(second.mapGet('h', 'map', 'u', `k${i}`), v));
        assert.deepEqual(second.items('h', 'offline', 'juliet').map((it) => [it.id, it.value]), [[ids[0], 'a']]);
        assert.ok(second.append('h', 'offline', 'juliet', 'c') > ids[1]!, 'ids never go back, even after a restart');
      } finally {
        second.close();
      }
      const versions = await look(name, async (c) => (await c.query('SELECT version FROM xs_schema_version ORDER BY version')).rows.map((r) => r.version as number));
      assert.deepEqual(versions, MIGRATIONS.map((_, i) => i + 1));
    });

    it('runs a transaction on one connection: invisible outside until COMMIT, nothing after ROLLBACK, nested calls join', async () => {
      const { driver: d, name } = fresh();
      const other = new PostgresDriver({ connectionString: db().url(name) }); // another connection, synchronous too
      try {
        d.transaction(() => {
          d.set('h', 's', 'a', 1);
          d.transaction(() => { d.append('h', 'l', 'a', 'x'); });
          d.mapSet('h', 'm', 'a', 'k', 'v');
          assert.equal(d.get('h', 's', 'a'), 1, 'the transaction sees its own write');
          assert.equal(other.get('h', 's', 'a'), undefined, 'another connection does not see it before COMMIT');
          assert.equal(other.items('h', 'l', 'a').length, 0);
        });
        assert.deepEqual([other.get('h', 's', 'a'), other.items('h', 'l', 'a').length, other.mapGet('h', 'm', 'a', 'k')], [1, 1, 'v'], 'all of it after COMMIT');
        assert.throws(() => d.transaction(() => {
          d.set('h', 's', 'b', 2);
          d.transaction(() => { d.set('h', 's', 'c', 3); });
          throw new Error('boom');
        }), /boom/);
        assert.equal(d.get('h', 's', 'b'), undefined, 'rolled back');
        assert.equal(d.get('h', 's', 'c'), undefined, 'the nested write went with the outer rollback');
        assert.throws(() => d.transaction(() => {
          d.set('h', 's', 'd', 4);
          d.archive.append('h', 'archive', 'a', [{ sort: 5, with: 'x@y', value: '<m/>' }]);
          d.set('h', 's', 'e', undefined as never);
          JSON.parse('{'); // any error in fn
        }), SyntaxError);
        assert.equal(d.get('h', 's', 'd'), undefined);
        assert.deepEqual(d.archive.query('h', 'archive', 'a', {}), [], 'archive writes roll back too');
        d.set('h', 's', 'after', true);
        assert.equal(other.get('h', 's', 'after'), true, 'the driver works on after a rollback');
        const rows = await look(name, async (c) => (await c.query("SELECT username FROM xs_keyval WHERE store = 's' ORDER BY username")).rows.map((r) => r.username as string));
        assert.deepEqual(rows, ['a', 'after']);
      } finally {
        other.close();
        d.close();
      }
    });

    it('archive writer: a barrier resolves only once its rows are committed (visible from another client)', async () => {
      const { driver: d, name } = fresh();
      const errors: string[] = [];
      const direct: ArchiveSink = { add: () => { throw new Error('no fallback expected'); }, stored: () => Promise.resolve(), purgeUser: () => undefined, close: () => Promise.resolve() };
      d.startBackgroundWork({ fallback: direct, onError: (m) => { errors.push(m); }, commitMs: 20 });
      try {
        const sink = d.archiveSink!;
        const T = Date.now() * 1024;
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < 500; i++) {
            sink.add({ host: 'h', store: 'archive', user: `u${i % 7}`, entry: { sort: T + round * 1000 + i, with: `c${i % 3}@x`, value: `<message n="${i}"/>` } });
          }
          await sink.stored();
          const count = await look(name, async (c) => Number((await c.query('SELECT count(*) AS n FROM xs_archive')).rows[0].n));
          assert.equal(count, (round + 1) * 500, `round ${round}: every row before the barrier is committed`);
        }
        sink.purgeUser('h', 'u0');
        await sink.stored();
        assert.deepEqual(d.archive.query('h', 'archive', 'u0', {}), []);
        assert.equal(d.archive.query('h', 'archive', 'u1', {}).length, 3 * Math.ceil((500 - 1) / 7));
        assert.equal(d.archive.lastSort(), T + 2000 + 499);
      } finally {
        await d.stopBackgroundWork();
        d.close();
      }
      assert.deepEqual(errors, []);
    });

    it('database down: calls throw XS_ERR_STORAGE within the timeout, then at once (breaker); it recovers without reopening', async () => {
      const { driver: d } = fresh({ queryTimeoutMs: 1500 });
      try {
        d.set('h', 's', 'u', 'before');
        db().stop();
        let t = performance.now();
        assert.throws(() => d.get('h', 's', 'u'), (err: unknown) => storageError(err) && /get on 127\.0\.0\.1:\d+\/t\d+/.test((err as Error).message));
        assert.ok(performance.now() - t < 1700, `the first failure took ${Math.round(performance.now() - t)} ms (timeout 1500)`);
        t = performance.now();
        for (let i = 0; i < 50; i++) assert.throws(() => d.set('h', 's', 'u', i), storageError);
        const each = (performance.now() - t) / 50;
        assert.ok(each < 20, `with the breaker open a call fails at once (${each.toFixed(2)} ms each)`);
        assert.throws(() => d.transaction(() => d.set('h', 's', 'u', 'x')), storageError);
        db().start();
        const until = Date.now() + 10_000;
        let value: unknown;
        for (;;) {
          try {
            value = d.get('h', 's', 'u');
            break;
          } catch (err) {
            assert.ok(storageError(err));
            if (Date.now() > until) throw err;
            await sleep(100);
          }
        }
        assert.equal(value, 'before');
        d.set('h', 's', 'u', 'after');
        assert.equal(d.get('h', 's', 'u'), 'after');
      } finally {
        d.close();
      }
    });

    it('archive writer with the database down: rows are kept, the barrier waits, and both complete when it is back', async () => {
      const { driver: d, name } = fresh({ queryTimeoutMs: 1000 });
      const errors: string[] = [];
      const direct: ArchiveSink = { add: () => { throw new Error('no fallback expected'); }, stored: () => Promise.resolve(), purgeUser: () => undefined, close: () => Promise.resolve() };
      d.startBackgroundWork({ fallback: direct, onError: (m) => { errors.push(m); }, commitMs: 20 });
      try {
        const sink = d.archiveSink!;
        const T = Date.now() * 1024;
        sink.add({ host: 'h', store: 'archive', user: 'u', entry: { sort: T, with: 'c@x', value: '<m n="0"/>' } });
        await sink.stored();
        db().stop();
        for (let i = 1; i <= 100; i++) sink.add({ host: 'h', store: 'archive', user: 'u', entry: { sort: T + i, with: 'c@x', value: `<m n="${i}"/>` } });
        let done = false;
        const barrier = sink.stored().then(() => { done = true; });
        await sleep(1500);
        assert.equal(done, false, 'not acknowledged while nothing is committed');
        assert.ok(errors.some((m) => /rows kept, retrying/.test(m)), errors.join('\n'));
        db().start();
        await Promise.race([barrier, sleep(10_000).then(() => { throw new Error('the barrier never resolved'); })]);
        const count = await look(name, async (c) => Number((await c.query('SELECT count(*) AS n FROM xs_archive')).rows[0].n));
        assert.equal(count, 101, 'every row is there once the barrier resolves');
      } finally {
        await d.stopBackgroundWork();
        d.close();
      }
    });

    it('fails to open with XS_ERR_STORAGE naming the database, never the password', () => {
      const t = performance.now();
      assert.throws(() => new PostgresDriver({ host: '127.0.0.1', port: 1, database: 'nope', user: 'x', password: 'hunter2' }, { queryTimeoutMs: 1000 }),
        (err: unknown) => storageError(err) && /127\.0\.0\.1:1\/nope/.test((err as Error).message) && !/hunter2/.test((err as Error).message));
      assert.ok(performance.now() - t < 12_000);
    });

    it('archive: the last 50 messages with one contact come from the (owner, with_jid, sort) index on a million rows', async () => {
      const { driver: d, name } = fresh();
      try {
        d.archive.append('h', 'archive', 'juliet', [{ sort: 1, with: 'c0@x', value: '<m/>' }]);
        await look(name, async (c) => {
          await c.query(`INSERT INTO xs_archive (owner, sort, with_jid, value)
            SELECT (SELECT id FROM xs_archive_owner), 1000 + g, 'c' || (g % 100) || '@x', '<message>' || g || '</message>' FROM generate_series(1, 1000000) g`);
          await c.query('ANALYZE xs_archive');
        });
        const t = performance.now();
        const rows = d.archive.query('h', 'archive', 'juliet', { with: 'c7@x', limit: 50, reverse: true });
        const ms = performance.now() - t;
        assert.equal(rows.length, 50);
        assert.equal(rows[0]!.sort, 1000 + 999_907);
        assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`);
        const plan = await look(name, async (c) => (await c.query(`EXPLAIN SELECT sort FROM xs_archive
          WHERE owner = (SELECT id FROM xs_archive_owner WHERE host = 'h' AND store = 'archive' AND username = 'juliet') AND with_jid = 'c7@x'
          ORDER BY sort DESC LIMIT 50`)).rows.map((r) => r['QUERY PLAN'] as string).join('\n'));
        assert.match(plan, /Index (Only )?Scan Backward using xs_archive_with/, plan);
      } finally {
        d.close();
      }
    });
  });
}
