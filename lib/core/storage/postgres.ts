/**
 * @module storage/postgres
 * The PostgreSQL storage driver (`"storage": "sql"` with `"sql": { "driver": "PostgreSQL", ... }`).
 * The StorageDriver interface is synchronous, so `pg` runs in a worker thread and every call
 * here blocks for one round trip (postgres-sync.ts): on loopback some tens of microseconds
 * (README "Storage" has the measured figure). A failure, the database being down, or no answer
 * within `sql_query_timeout` throws XS_ERR_STORAGE naming the operation; while the database is
 * unreachable calls fail at once (the worker's circuit breaker) and work again when it returns.
 * Archive rows of a running server go to a second worker that writes them in batches
 * (postgres-archive-worker.ts), through the same WorkerSink as SQLite's.
 */
import { Worker } from 'node:worker_threads';
import { ServerError } from '../errors.js';
import type { ArchiveDriver } from './archive.js';
import { WorkerSink, type ArchiveSink } from './archive-sink.js';
import { PostgresArchive } from './postgres-archive.js';
import type { PgArchiveWorkerData, PgOp } from './postgres-protocol.js';
import { SyncCallError, SyncChannel } from './postgres-sync.js';
import { describeConnection, type PostgresConnection } from './sql-config.js';
import type { BackgroundWorkOptions, ListItem, ListStats, StorageDriver } from './store.js';

/** Options of the PostgreSQL driver. */
export interface PostgresOptions {
  /** Connections the synchronous calls may use (sql_pool_size; 10). */
  readonly poolSize?: number;
  /** How long one call may take before it fails, ms (sql_query_timeout; 5000). */
  readonly queryTimeoutMs?: number;
}

/** Serialise a value for storage; undefined (or a bare function / symbol) is not storable. */
function toJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new ServerError('XS_ERR_STORAGE', { driver: 'postgresql', reason: `value is not JSON-serialisable: ${(err as Error).message}` }, { cause: err });
  }
  if (text === undefined) throw new ServerError('XS_ERR_STORAGE', { driver: 'postgresql', reason: 'value is not JSON-serialisable (undefined)' });
  return text;
}

const parse = (text: unknown): unknown => (text === null || text === undefined ? undefined : JSON.parse(text as string));

/**
 * A StorageDriver on a PostgreSQL database; the schema is created (or brought up to date) on open.
 * @example const driver = new PostgresDriver({ host: 'db', port: 5432, database: 'xmpp', user: 'xmpp', password });
 */
export class PostgresDriver implements StorageDriver {
  readonly kind = 'postgresql';
  readonly archive: ArchiveDriver;
  /** host:port/database, for messages (never the password). */
  readonly where: string;
  readonly #connection: PostgresConnection;
  readonly #queryTimeoutMs: number;
  readonly #channel: SyncChannel;
  readonly #call: (op: PgOp, args: readonly unknown[]) => unknown;
  /** Transactions open: the outermost one holds a connection, inner ones run inside it. */
  #depth = 0;
  #sink: WorkerSink | undefined;

  /**
   * Connect and migrate the schema (blocking, at most the query timeout plus 10 s).
   * @throws ServerError XS_ERR_STORAGE naming the database when it cannot.
   */
  constructor(connection: PostgresConnection, options: PostgresOptions = {}) {
    this.#connection = connection;
    this.where = describeConnection(connection);
    this.#queryTimeoutMs = options.queryTimeoutMs ?? 5000;
    try {
      this.#channel = new SyncChannel({
        connection, poolSize: options.poolSize ?? 10, queryTimeoutMs: this.#queryTimeoutMs, startTimeoutMs: this.#queryTimeoutMs + 10_000,
      });
    } catch (err) {
      throw new ServerError('XS_ERR_STORAGE', { driver: this.kind, reason: `cannot open PostgreSQL database ${this.where}: ${(err as Error).message}` }, { cause: err });
    }
    this.#call = (op, args) => {
      try {
        return this.#channel.call(op, args);
      } catch (err) {
        if (!(err instanceof SyncCallError)) throw err;
        // no `cause`: its message is all there is to it, and loggers would print it twice
        throw new ServerError('XS_ERR_STORAGE', { driver: this.kind, reason: `${op} on ${this.where}: ${err.message}` });
      }
    };
    this.archive = new PostgresArchive(this.#call);
  }

  get(host: string, store: string, user: string): unknown {
    return parse(this.#call('get', [host, store, user]));
  }

  set(host: string, store: string, user: string, value: unknown): void {
    if (value === undefined) this.#call('del', [host, store, user]);
    else this.#call('set', [host, store, user, toJson(value)]);
  }

  users(host: string, store: string): string[] {
    return this.#call('users', [host, store]) as string[];
  }

  mapGet(host: string, store: string, user: string, key: string): unknown {
    return parse(this.#call('mapGet', [host, store, user, key]));
  }

  mapSet(host: string, store: string, user: string, key: string, value: unknown): void {
    if (value === undefined) this.#call('mapDel', [host, store, user, key]);
    else this.#call('mapSet', [host, store, user, key, toJson(value)]);
  }

  mapAll(host: string, store: string, user: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of this.#call('mapAll', [host, store, user]) as [string, string][]) out[key] = JSON.parse(value);
    return out;
  }

  mapCount(host: string, store: string, user: string): number {
    return this.#call('mapCount', [host, store, user]) as number;
  }

  append(host: string, store: string, user: string, value: unknown): number {
    const text = toJson(value);
    return this.#call('append', [host, store, user, text, Date.now(), Buffer.byteLength(text)]) as number;
  }

  items(host: string, store: string, user: string, limit?: number, afterId?: number): ListItem[] {
    const max = limit === undefined || limit === Infinity ? null : Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    const after = afterId !== undefined && Number.isFinite(afterId) ? Math.floor(afterId) : 0;
    const rows = this.#call('items', [host, store, user, after, max]) as [number, string, number][];
    return rows.map(([id, value, when]) => ({ id, value: JSON.parse(value) as unknown, when }));
  }

  listStats(host: string, store: string, user: string): ListStats {
    const [count, bytes] = this.#call('listStats', [host, store, user]) as [number, number];
    return { count, bytes };
  }

  remove(host: string, store: string, user: string, ids?: readonly number[]): number {
    if (ids === undefined) return this.#call('removeAll', [host, store, user]) as number;
    const valid = ids.filter((id) => Number.isSafeInteger(id));
    if (valid.length === 0) return 0;
    return this.#call('removeIds', [host, store, user, valid]) as number;
  }

  purgeUser(host: string, user: string): void {
    this.#call('purgeUser', [host, user]);
  }

  /** `fn`'s calls run on one connection between BEGIN and COMMIT (ROLLBACK when it throws); nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    this.#call('begin', []);
    this.#depth++;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.#depth--;
      try {
        this.#call('rollback', []);
      } catch {
        // the connection is dropped by the worker; fn's error is the one that matters
      }
      throw err;
    }
    this.#depth--;
    this.#call('commit', []);
    return result;
  }

  /**
   * From now on, hand archive rows to a second worker thread with its own connection, which
   * writes them in batches (multi-row INSERT, one transaction per batch); barriers resolve
   * after COMMIT. `fallback` takes the rows if that worker fails.
   */
  startBackgroundWork(opts: BackgroundWorkOptions): void {
    if (this.#sink !== undefined || this.#channel.closed) return;
    const data: PgArchiveWorkerData = {
      connection: this.#connection, queryTimeoutMs: this.#queryTimeoutMs, commitMs: opts.commitMs ?? 50, maxBatch: opts.maxBatch ?? 20_000,
    };
    const worker = new Worker(new URL('./postgres-archive-worker.js', import.meta.url), { workerData: data });
    worker.unref();
    this.#sink = new WorkerSink(worker, opts.fallback, opts.onError);
  }

  /** The writer's path for archive rows while background work runs. */
  get archiveSink(): ArchiveSink | undefined {
    return this.#sink;
  }

  /** Let the writer commit what it holds, then stop it. */
  async stopBackgroundWork(): Promise<void> {
    const sink = this.#sink;
    if (sink === undefined) return;
    await sink.close();
    this.#sink = undefined;
  }

  /** End the pool and the worker (the process can exit). Calling it again does nothing. */
  close(): void {
    this.#sink?.abort();
    this.#sink = undefined;
    this.#channel.close();
  }

  /** True until `close()`. */
  get open(): boolean {
    return !this.#channel.closed;
  }
}
