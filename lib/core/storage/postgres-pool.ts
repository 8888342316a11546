/**
 * @module storage/postgres-pool
 * A `pg` Pool as both PostgreSQL workers use it: bounded size, every wait bounded by the query
 * timeout (connecting, a statement on the server, an answer on the socket), TCP keep-alive,
 * int8 as numbers, and idle connections that break reported instead of crashing the thread.
 */
import pg from 'pg';
import type { PostgresConnection } from './sql-config.js';

// int8 (ids, sort numbers, counts) as numbers: every value stored here fits in a double
pg.types.setTypeParser(pg.types.builtins.INT8, (text: string) => Number(text));

/** A pool of at most `max` connections; `onIdleError` hears about a connection that broke while idle. */
export function makePool(connection: PostgresConnection, max: number, timeoutMs: number, onIdleError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    ...connection,
    max,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'xmpp-server',
  });
  pool.on('error', onIdleError);
  return pool;
}
