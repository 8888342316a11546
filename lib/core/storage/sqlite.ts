/**
 * @module storage/sqlite
 * The SQLite storage driver (better-sqlite3, synchronous): key-value, map and list tables,
 * WAL journal, statements prepared once. Values are stored as JSON text; list rows carry
 * their size so a user's total is read from an index, never by reading the values.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { ServerError } from '../errors.js';
import type { BackgroundWorkOptions, ListItem, ListStats, StorageDriver } from './store.js';
import { SqliteArchive } from './sqlite-archive.js';
import { WorkerSink, type ArchiveSink } from './archive-sink.js';
import type { ArchiveDriver } from './archive.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS keyval (
  host  TEXT NOT NULL,
  store TEXT NOT NULL,
  user  TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (host, store, user)
);
CREATE TABLE IF NOT EXISTS map (
  host  TEXT NOT NULL,
  store TEXT NOT NULL,
  user  TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (host, store, user, key)
);
CREATE TABLE IF NOT EXISTS list (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  host    TEXT NOT NULL,
  store   TEXT NOT NULL,
  user    TEXT NOT NULL,
  value   TEXT NOT NULL,
  created INTEGER NOT NULL
);
`;

/** Schema changes after the first release, applied once to an older file. */
function migrate(db: Db): void {
  const columns = db.prepare('PRAGMA table_info(list)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'size')) {
    db.exec('ALTER TABLE list ADD COLUMN size INTEGER NOT NULL DEFAULT 0');
    db.exec('UPDATE list SET size = length(CAST(value AS BLOB))');
  }
  // A covering index: paging by id and a user's count and bytes come from the index alone.
  const indexed = db.prepare('PRAGMA index_info(list_owner)').all() as { name: string }[];
  if (!indexed.some((c) => c.name === 'size')) {
    db.exec('DROP INDEX IF EXISTS list_owner');
    db.exec('CREATE INDEX list_owner ON list (host, store, user, id, size)');
  }
}

/** Options of the SQLite driver. */
export interface SqliteOptions {
  /**
   * Largest size of the database file in bytes (SQLite's max_page_count); a write beyond it
   * fails with XS_ERR_STORAGE ("database or disk is full"), as a full disk does.
   */
  readonly maxBytes?: number;
}

interface ItemRow { id: number; value: string; created: number }

/** Serialise a value for storage; undefined (or a bare function / symbol) is not storable. */
function toJson(value: unknown, driver: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new ServerError('XS_ERR_STORAGE', { driver, reason: `value is not JSON-serialisable: ${(err as Error).message}` }, { cause: err });
  }
  if (text === undefined) throw new ServerError('XS_ERR_STORAGE', { driver, reason: 'value is not JSON-serialisable (undefined)' });
  return text;
}

/** The `LIMIT` for `items`: -1 (no limit) when absent, else a non-negative integer. */
function sqlLimit(limit: number | undefined): number {
  if (limit === undefined || limit === Infinity) return -1;
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
}

/**
 * A StorageDriver on one SQLite file. Survives restarts; safe to open from one process.
 * @example const driver = new SqliteDriver('/var/lib/xmpp/xmpp-server.sqlite');
 */
export class SqliteDriver implements StorageDriver {
  readonly kind = 'sqlite';
  /** The database file this driver opened. */
  readonly file: string;
  readonly #db: Db;
  /** The archive shape (message archives). */
  readonly archive: ArchiveDriver;
  readonly #stmt: {
    get: Statement<[string, string, string], { value: string }>;
    set: Statement<[string, string, string, string]>;
    del: Statement<[string, string, string]>;
    users: Statement<[string, string], { user: string }>;
    mapGet: Statement<[string, string, string, string], { value: string }>;
    mapSet: Statement<[string, string, string, string, string]>;
    mapDel: Statement<[string, string, string, string]>;
    mapAll: Statement<[string, string, string], { key: string; value: string }>;
    mapCount: Statement<[string, string, string], { n: number }>;
    append: Statement<[string, string, string, string, number, number]>;
    items: Statement<[string, string, string, number, number], ItemRow>;
    stats: Statement<[string, string, string], { n: number; bytes: number }>;
    removeAll: Statement<[string, string, string]>;
    removeIds: Statement<[string, string, string, string]>;
    purgeKeyval: Statement<[string, string]>;
    purgeList: Statement<[string, string]>;
    purgeMap: Statement<[string, string]>;
  };
  readonly #purge: (host: string, user: string) => void;
  #sink: WorkerSink | undefined;

  /**
   * Open (creating when absent) the database file and its parent directory.
   * @throws ServerError XS_ERR_STORAGE naming the file when it cannot be opened or initialised.
   */
  constructor(file: string, options: SqliteOptions = {}) {
    this.file = file;
    let db: Db | undefined;
    try {
      if (file !== ':memory:' && !file.startsWith('file:')) mkdirSync(dirname(file), { recursive: true });
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -65536'); // 64 MiB of pages: archive indexes stay in memory
      db.exec(SCHEMA);
      migrate(db);
      this.archive = new SqliteArchive(db);
      if (options.maxBytes !== undefined) {
        const pageSize = Number(db.pragma('page_size', { simple: true }));
        db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
      }
      this.#stmt = {
        get: db.prepare('SELECT value FROM keyval WHERE host = ? AND store = ? AND user = ?'),
        set: db.prepare(
          'INSERT INTO keyval (host, store, user, value) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (host, store, user) DO UPDATE SET value = excluded.value',
        ),
        del: db.prepare('DELETE FROM keyval WHERE host = ? AND store = ? AND user = ?'),
        users: db.prepare('SELECT user FROM keyval WHERE host = ? AND store = ? ORDER BY user'),
        mapGet: db.prepare('SELECT value FROM map WHERE host = ? AND store = ? AND user = ? AND key = ?'),
        mapSet: db.prepare(
          'INSERT INTO map (host, store, user, key, value) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (host, store, user, key) DO UPDATE SET value = excluded.value',
        ),
        mapDel: db.prepare('DELETE FROM map WHERE host = ? AND store = ? AND user = ? AND key = ?'),
        mapAll: db.prepare('SELECT key, value FROM map WHERE host = ? AND store = ? AND user = ? ORDER BY key'),
        mapCount: db.prepare('SELECT count(*) AS n FROM map WHERE host = ? AND store = ? AND user = ?'),
        append: db.prepare('INSERT INTO list (host, store, user, value, created, size) VALUES (?, ?, ?, ?, ?, ?)'),
        items: db.prepare(
          'SELECT id, value, created FROM list WHERE host = ? AND store = ? AND user = ? AND id > ? ORDER BY id LIMIT ?',
        ),
        stats: db.prepare(
          'SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM list WHERE host = ? AND store = ? AND user = ?',
        ),
        removeAll: db.prepare('DELETE FROM list WHERE host = ? AND store = ? AND user = ?'),
        removeIds: db.prepare(
          'DELETE FROM list WHERE host = ? AND store = ? AND user = ? AND id IN (SELECT value FROM json_each(?))',
        ),
        purgeKeyval: db.prepare('DELETE FROM keyval WHERE host = ? AND user = ?'),
        purgeList: db.prepare('DELETE FROM list WHERE host = ? AND user = ?'),
        purgeMap: db.prepare('DELETE FROM map WHERE host = ? AND user = ?'),
      };
    } catch (err) {
      if (db?.open) db.close();
      throw new ServerError(
        'XS_ERR_STORAGE',
        { driver: 'sqlite', reason: `cannot open database file '${file}': ${(err as Error).message}` },
        { cause: err },
      );
    }
    this.#db = db;
    this.#purge = db.transaction((host: string, user: string) => {
      this.#stmt.purgeKeyval.run(host, user);
      this.#stmt.purgeList.run(host, user);
      this.#stmt.purgeMap.run(host, user);
      this.archive.purgeUser(host, user);
    });
  }

  get(host: string, store: string, user: string): unknown {
    let row: { value: string } | undefined;
    try {
      row = this.#stmt.get.get(host, store, user);
    } catch (err) {
      throw this.#fail('get', err);
    }
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  set(host: string, store: string, user: string, value: unknown): void {
    const text = value === undefined ? undefined : toJson(value, this.kind);
    try {
      if (text === undefined) this.#stmt.del.run(host, store, user);
      else this.#stmt.set.run(host, store, user, text);
    } catch (err) {
      throw this.#fail('set', err);
    }
  }

  users(host: string, store: string): string[] {
    try {
      return this.#stmt.users.all(host, store).map((r) => r.user);
    } catch (err) {
      throw this.#fail('users', err);
    }
  }

  mapGet(host: string, store: string, user: string, key: string): unknown {
    let row: { value: string } | undefined;
    try {
      row = this.#stmt.mapGet.get(host, store, user, key);
    } catch (err) {
      throw this.#fail('mapGet', err);
    }
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  mapSet(host: string, store: string, user: string, key: string, value: unknown): void {
    const text = value === undefined ? undefined : toJson(value, this.kind);
    try {
      if (text === undefined) this.#stmt.mapDel.run(host, store, user, key);
      else this.#stmt.mapSet.run(host, store, user, key, text);
    } catch (err) {
      throw this.#fail('mapSet', err);
    }
  }

  mapAll(host: string, store: string, user: string): Record<string, unknown> {
    let rows: { key: string; value: string }[];
    try {
      rows = this.#stmt.mapAll.all(host, store, user);
    } catch (err) {
      throw this.#fail('mapAll', err);
    }
    const out: Record<string, unknown> = {};
    for (const r of rows) out[r.key] = JSON.parse(r.value);
    return out;
  }

  mapCount(host: string, store: string, user: string): number {
    try {
      return this.#stmt.mapCount.get(host, store, user)?.n ?? 0;
    } catch (err) {
      throw this.#fail('mapCount', err);
    }
  }

  append(host: string, store: string, user: string, value: unknown): number {
    const text = toJson(value, this.kind);
    try {
      return Number(this.#stmt.append.run(host, store, user, text, Date.now(), Buffer.byteLength(text)).lastInsertRowid);
    } catch (err) {
      throw this.#fail('append', err);
    }
  }

  items(host: string, store: string, user: string, limit?: number, afterId?: number): ListItem[] {
    let rows: ItemRow[];
    try {
      rows = this.#stmt.items.all(host, store, user, afterId ?? 0, sqlLimit(limit));
    } catch (err) {
      throw this.#fail('items', err);
    }
    return rows.map((r) => ({ id: r.id, value: JSON.parse(r.value) as unknown, when: r.created }));
  }

  listStats(host: string, store: string, user: string): ListStats {
    try {
      const row = this.#stmt.stats.get(host, store, user);
      return { count: row?.n ?? 0, bytes: row?.bytes ?? 0 };
    } catch (err) {
      throw this.#fail('listStats', err);
    }
  }

  remove(host: string, store: string, user: string, ids?: readonly number[]): number {
    if (ids !== undefined && ids.length === 0) return 0;
    try {
      if (ids === undefined) return this.#stmt.removeAll.run(host, store, user).changes;
      const list = JSON.stringify(ids.filter((id) => Number.isSafeInteger(id)));
      return this.#stmt.removeIds.run(host, store, user, list).changes;
    } catch (err) {
      throw this.#fail('remove', err);
    }
  }

  purgeUser(host: string, user: string): void {
    try {
      this.#purge(host, user);
    } catch (err) {
      throw this.#fail('purgeUser', err);
    }
  }

  transaction<T>(fn: () => T): T {
    if (this.#db.inTransaction) return fn();
    return this.#db.transaction(fn)();
  }

  /** Close the database (checkpointing the WAL). Calling it again does nothing. */
  /**
   * From now on, hand archive rows to a worker thread with its own connection, which writes
   * them in batches and checkpoints the WAL (storage/storage-worker.ts): commits of archive
   * rows and checkpoints (page copies, fsync) no longer run on the event loop. `fallback` takes
   * the rows if the worker fails.
   */
  startBackgroundWork(opts: BackgroundWorkOptions): void {
    if (this.#sink !== undefined || !this.#db.open || this.file === ':memory:' || this.file.startsWith('file:')) return;
    const worker = new Worker(new URL('./storage-worker.js', import.meta.url), {
      workerData: { file: this.file, checkpointMs: opts.checkpointMs ?? 1000, maxWalBytes: 64 * 1024 * 1024, commitMs: opts.commitMs ?? 50, maxBatch: opts.maxBatch ?? 20_000 },
    });
    worker.unref();
    this.#db.pragma('wal_autocheckpoint = 0');
    this.#db.pragma('busy_timeout = 5000'); // the worker holds the write lock for a batch at a time
    this.#sink = new WorkerSink(worker, opts.fallback, (message) => {
      if (!this.#db.open) return;
      if (/storage worker (failed|exited)/.test(message)) this.#db.pragma('wal_autocheckpoint = 1000');
      opts.onError(message);
    });
  }

  /** The worker's path for archive rows while background work runs. */
  get archiveSink(): ArchiveSink | undefined {
    return this.#sink;
  }

  /** Let the worker write what it holds, then stop it. */
  async stopBackgroundWork(): Promise<void> {
    const sink = this.#sink;
    if (sink === undefined) return;
    await sink.close();
    this.#sink = undefined;
    if (this.#db.open) this.#db.pragma('wal_autocheckpoint = 1000');
  }

  close(): void {
    // a worker still running here (no stopBackgroundWork) loses what it had not committed
    this.#sink?.abort();
    this.#sink = undefined;
    if (this.#db.open) this.#db.close(); // the last connection checkpoints the WAL into the file
  }

  /** True until `close()`. */
  get open(): boolean {
    return this.#db.open;
  }

  /** An SQLite failure (or use after close) as XS_ERR_STORAGE naming the operation and file. */
  #fail(op: string, err: unknown): ServerError<'XS_ERR_STORAGE'> {
    const reason = this.#db.open ? (err as Error).message : 'the database is closed';
    return new ServerError('XS_ERR_STORAGE', { driver: this.kind, reason: `${op} on '${this.file}': ${reason}` }, { cause: err });
  }
}
