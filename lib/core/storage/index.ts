/**
 * @module storage
 * Opening the configured storage driver, and the storage API in one import: the driver
 * interface, the SQLite, PostgreSQL and memory drivers, and accounts.
 */
import { join, resolve } from 'node:path';
import { ServerError, describeValue } from '../errors.js';
import { MemoryDriver } from './memory.js';
import { SqliteDriver } from './sqlite.js';
import { PostgresDriver } from './postgres.js';
import { DEFAULT_SQL, type SqlConfig } from './sql-config.js';
import type { StorageDriver } from './store.js';

export type { ListItem, StorageDriver } from './store.js';
export { MemoryDriver } from './memory.js';
export { SqliteDriver } from './sqlite.js';
export { PostgresDriver } from './postgres.js';
export type { PostgresOptions } from './postgres.js';
export { parseSqlOption } from './sql-config.js';
export type { PostgresConnection, SqlConfig } from './sql-config.js';
export { Accounts, normalizeUsername } from './accounts.js';
export type { AccountRecord, AccountsOptions } from './accounts.js';

/** The default SQLite file name under `data_path`. */
export const DEFAULT_SQLITE_FILE = 'xmpp-server.sqlite';

/** Where and how to open storage. */
export interface OpenStorageOptions {
  /** The server's data directory (`data_path`). */
  readonly dataPath: string;
  /** The SQLite file; defaults to `<dataPath>/xmpp-server.sqlite`. Ignored by the memory driver. */
  readonly file?: string;
  /** For "sql": the parsed `sql` option (Prosody's default, SQLite3 "prosody.sqlite", when absent). */
  readonly sql?: SqlConfig;
  /** For PostgreSQL: sql_pool_size and sql_query_timeout (ms). */
  readonly poolSize?: number;
  readonly queryTimeoutMs?: number;
}

/**
 * Open a storage driver of the given kind.
 * @throws ServerError XS_ERR_STORAGE when the kind is unknown or the SQLite file cannot be opened.
 * @example const driver = openStorage('sqlite', { dataPath: '/var/lib/xmpp' });
 */
export function openStorage(kind: 'sqlite' | 'memory' | 'sql', opts: OpenStorageOptions): StorageDriver {
  switch (kind) {
    case 'sqlite': return new SqliteDriver(opts.file ?? join(opts.dataPath, DEFAULT_SQLITE_FILE));
    case 'memory': return new MemoryDriver();
    case 'sql': {
      const sql = opts.sql ?? DEFAULT_SQL;
      // Prosody's SQLite3 database is a file name relative to data_path
      if (sql.driver === 'SQLite3') return new SqliteDriver(resolve(opts.dataPath, sql.database));
      return new PostgresDriver(sql.connection, { poolSize: opts.poolSize, queryTimeoutMs: opts.queryTimeoutMs });
    }
    default:
      throw new ServerError('XS_ERR_STORAGE', {
        driver: String(kind),
        reason: `unknown storage driver ${describeValue(kind)} (expected "sqlite", "sql" or "memory")`,
      });
  }
}
