/**
 * @module check-storage
 * `xmpp-server check`, storage part: with `"storage": "sql"` on PostgreSQL, connect once (at
 * most sql_query_timeout) and say whether the database answers and whether the server's schema
 * is there yet (the server creates it at start). Nothing is written. The message names
 * `host:port/database`, never the password.
 */
import pg from 'pg';
import type { Server } from '../core/server.js';
import { describeConnection } from '../core/storage/sql-config.js';
import { MIGRATIONS } from '../core/storage/postgres-schema.js';
import type { Report } from './check-options.js';

export async function checkStorage(server: Server, report: Report): Promise<void> {
  const { storage, sql, sql_query_timeout: timeout } = server.core;
  if (storage !== 'sql' || sql.driver !== 'PostgreSQL') return;
  const where = describeConnection(sql.connection);
  const client = new pg.Client({ ...sql.connection, connectionTimeoutMillis: timeout * 1000, query_timeout: timeout * 1000 });
  client.on('error', () => undefined); // reported through connect() / query()
  try {
    await client.connect();
    const r = await client.query("SELECT to_regclass('xs_schema_version') IS NOT NULL AS has");
    let schema = 'no schema yet (created at start)';
    if (r.rows[0]?.has === true) {
      const v = await client.query('SELECT coalesce(max(version), 0) AS v FROM xs_schema_version');
      const version = Number(v.rows[0]?.v ?? 0);
      schema = version >= MIGRATIONS.length ? `schema version ${version}` : `schema version ${version} (migrations up to ${MIGRATIONS.length} run at start)`;
    }
    report.ok(`storage: PostgreSQL at ${where} answers; ${schema}`);
  } catch (err) {
    report.problem(`storage: cannot use PostgreSQL at ${where} (sql): ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
