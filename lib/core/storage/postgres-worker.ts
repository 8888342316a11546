/**
 * @module storage/postgres-worker
 * The PostgreSQL worker thread behind the synchronous driver (postgres.ts): it owns a `pg` Pool,
 * brings the schema up to date at start, then runs each request of the main thread (one
 * statement, see postgres-statements.ts) and answers on the port, storing the request's id in
 * the shared Int32 and waking the main thread (see postgres-protocol.ts).
 *
 * A transaction (`begin` … `commit` / `rollback`) holds one pooled connection: every request in
 * between runs on it. While the database is unreachable, a circuit breaker (postgres-breaker.ts)
 * fails requests at once and probes in the background, so the main thread is not held for a
 * network timeout on every call.
 */
import { workerData } from 'node:worker_threads';
import type { PoolClient } from 'pg';
import { Breaker, BreakerOpenError } from './postgres-breaker.js';
import { makePool } from './postgres-pool.js';
import type { PgAnswer, PgRequest, PgWorkerData } from './postgres-protocol.js';
import { migrate } from './postgres-schema.js';
import { STATEMENTS, type Run } from './postgres-statements.js';

const { connection, poolSize, queryTimeoutMs, signal, port } = workerData as PgWorkerData;
const answered = new Int32Array(signal);
/** The slot holding the id the main thread waits for (postgres-protocol.ts). */
const WAITING = 1;

function answer(a: PgAnswer): void {
  port.postMessage(a);
  // ids grow; a late answer to a request the main thread gave up on never lowers the mark
  if (a.id > Atomics.load(answered, 0)) Atomics.store(answered, 0, a.id);
  Atomics.notify(answered, 0);
}

const breaker = new Breaker(async () => { await pool.query('SELECT 1'); });
const pool = makePool(connection, poolSize, queryTimeoutMs, (err) => { breaker.failed(err); });

/** The connection of the transaction in progress, if any. */
let tx: PoolClient | undefined;

const run: Run = (name, text, values) => (tx ?? pool).query({ name, text, values: values as unknown[] });

async function execute(req: PgRequest): Promise<unknown> {
  switch (req.op) {
    case 'begin': {
      if (tx !== undefined) throw new Error('a transaction is already open');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
      // a transaction the main thread gave up on (timed out) must not take the calls after it
      if (Atomics.compareExchange(answered, WAITING, req.id, -req.id) !== req.id) {
        await client.query('ROLLBACK').then(() => { client.release(); }, (err: Error) => { client.release(err); });
        throw new Error('begin came too late');
      }
      tx = client;
      return null;
    }
    case 'commit':
    case 'rollback': {
      const client = tx;
      tx = undefined;
      if (client === undefined) return null;
      try {
        await client.query(req.op === 'commit' ? 'COMMIT' : 'ROLLBACK');
        client.release();
      } catch (err) {
        client.release(err as Error); // a connection in an unknown state is not reused
        throw err;
      }
      return null;
    }
    case 'close':
      breaker.stop();
      tx?.release(true);
      tx = undefined;
      await pool.end();
      return null;
    default:
      return STATEMENTS[req.op](run, req.args);
  }
}

async function handle(req: PgRequest): Promise<void> {
  try {
    const down = breaker.reason;
    if (down !== undefined && req.op !== 'rollback' && req.op !== 'close') throw new BreakerOpenError(down);
    answer({ id: req.id, ok: true, value: await execute(req) });
  } catch (err) {
    breaker.failed(err);
    answer({ id: req.id, ok: false, message: (err as Error).message });
  }
}

async function start(): Promise<void> {
  try {
    const client = await pool.connect();
    try {
      await migrate(client);
      client.release();
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  } catch (err) {
    answer({ id: 0, ok: false, message: (err as Error).message });
    await pool.end().catch(() => undefined);
    port.close();
    return;
  }
  port.on('message', (req: PgRequest) => { void handle(req); });
  answer({ id: 0, ok: true, value: 'ready' });
}

void start();
