/**
 * @module storage
 * Opening the configured storage driver, and the storage API in one import: the driver
 * interface, the SQLite and memory drivers, and accounts.
 */
import { join } from 'node:path';
import { ServerError, describeValue } from '../errors.js';
import { MemoryDriver } from './memory.js';
import { SqliteDriver } from './sqlite.js';
import type { StorageDriver } from './store.js';

export type { ListItem, StorageDriver } from './store.js';
export { MemoryDriver } from './memory.js';
export { SqliteDriver } from './sqlite.js';
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
}

/**
 * Open a storage driver of the given kind.
 * @throws ServerError XS_ERR_STORAGE when the kind is unknown or the SQLite file cannot be opened.
 * @example const driver = openStorage('sqlite', { dataPath: '/var/lib/xmpp' });
 */
export function openStorage(kind: 'sqlite' | 'memory', opts: OpenStorageOptions): StorageDriver {
  switch (kind) {
    case 'sqlite': return new SqliteDriver(opts.file ?? join(opts.dataPath, DEFAULT_SQLITE_FILE));
    case 'memory': return new MemoryDriver();
    default:
      throw new ServerError('XS_ERR_STORAGE', {
        driver: String(kind),
        reason: `unknown storage driver ${describeValue(kind)} (expected "sqlite" or "memory")`,
      });
  }
}
