/**
 * @module storage/timed
 * A storage driver that times every operation of another one into `ServerStats.storage`
 * (one histogram per operation, made once): two clock reads and a bucket increment per
 * call, next to a driver call that takes microseconds at least. The server wraps whatever
 * driver it opens (or is given) in one.
 */
import type { ArchiveDriver, ArchiveEntry, ArchiveQuery, ArchiveRow } from './archive.js';
import type { ArchiveSink } from './archive-sink.js';
import type { BackgroundWorkOptions, ListItem, ListStats, StorageDriver } from './store.js';
import type { LatencyHistogram, ServerStats } from '../stats.js';

const now = (): number => performance.now();
const MS = 1 / 1000;

class TimedArchive implements ArchiveDriver {
  readonly #d: ArchiveDriver;
  readonly #append: LatencyHistogram;
  readonly #query: LatencyHistogram;
  readonly #has: LatencyHistogram;
  readonly #bounds: LatencyHistogram;
  readonly #clear: LatencyHistogram;
  readonly #expire: LatencyHistogram;
  readonly #purge: LatencyHistogram;

  constructor(driver: ArchiveDriver, stats: ServerStats) {
    this.#d = driver;
    this.#append = stats.storageOperation('archive_append');
    this.#query = stats.storageOperation('archive_query');
    this.#has = stats.storageOperation('archive_has');
    this.#bounds = stats.storageOperation('archive_bounds');
    this.#clear = stats.storageOperation('archive_clear');
    this.#expire = stats.storageOperation('archive_expire');
    this.#purge = stats.storageOperation('archive_purge_user');
  }

  append(host: string, store: string, user: string, entries: readonly ArchiveEntry[]): void {
    const t = now();
    try { this.#d.append(host, store, user, entries); } finally { this.#append.observe((now() - t) * MS); }
  }

  query(host: string, store: string, user: string, query: ArchiveQuery): ArchiveRow[] {
    const t = now();
    try { return this.#d.query(host, store, user, query); } finally { this.#query.observe((now() - t) * MS); }
  }

  has(host: string, store: string, user: string, sort: number): boolean {
    const t = now();
    try { return this.#d.has(host, store, user, sort); } finally { this.#has.observe((now() - t) * MS); }
  }

  bounds(host: string, store: string, user: string): { first: ArchiveRow; last: ArchiveRow } | undefined {
    const t = now();
    try { return this.#d.bounds(host, store, user); } finally { this.#bounds.observe((now() - t) * MS); }
  }

  clear(host: string, store: string, user: string): number {
    const t = now();
    try { return this.#d.clear(host, store, user); } finally { this.#clear.observe((now() - t) * MS); }
  }

  expire(host: string, store: string, before: number, max: number): number {
    const t = now();
    try { return this.#d.expire(host, store, before, max); } finally { this.#expire.observe((now() - t) * MS); }
  }

  lastSort(): number {
    return this.#d.lastSort();
  }

  purgeUser(host: string, user: string): void {
    const t = now();
    try { this.#d.purgeUser(host, user); } finally { this.#purge.observe((now() - t) * MS); }
  }
}

/** `driver`, timed into `stats` (what the server's `storage` is). */
export class TimedStorage implements StorageDriver {
  /** The driver underneath. */
  readonly driver: StorageDriver;
  readonly archive: ArchiveDriver;
  readonly #get: LatencyHistogram;
  readonly #set: LatencyHistogram;
  readonly #users: LatencyHistogram;
  readonly #mapGet: LatencyHistogram;
  readonly #mapSet: LatencyHistogram;
  readonly #mapAll: LatencyHistogram;
  readonly #mapCount: LatencyHistogram;
  readonly #append: LatencyHistogram;
  readonly #items: LatencyHistogram;
  readonly #listStats: LatencyHistogram;
  readonly #remove: LatencyHistogram;
  readonly #purge: LatencyHistogram;
  readonly #transaction: LatencyHistogram;

  constructor(driver: StorageDriver, stats: ServerStats) {
    this.driver = driver;
    this.archive = new TimedArchive(driver.archive, stats);
    this.#get = stats.storageOperation('get');
    this.#set = stats.storageOperation('set');
    this.#users = stats.storageOperation('users');
    this.#mapGet = stats.storageOperation('map_get');
    this.#mapSet = stats.storageOperation('map_set');
    this.#mapAll = stats.storageOperation('map_all');
    this.#mapCount = stats.storageOperation('map_count');
    this.#append = stats.storageOperation('list_append');
    this.#items = stats.storageOperation('list_items');
    this.#listStats = stats.storageOperation('list_stats');
    this.#remove = stats.storageOperation('list_remove');
    this.#purge = stats.storageOperation('purge_user');
    this.#transaction = stats.storageOperation('transaction');
  }

  get kind(): string { return this.driver.kind; }
  get archiveSink(): ArchiveSink | undefined { return this.driver.archiveSink; }

  get(host: string, store: string, user: string): unknown {
    const t = now();
    try { return this.driver.get(host, store, user); } finally { this.#get.observe((now() - t) * MS); }
  }

  set(host: string, store: string, user: string, value: unknown): void {
    const t = now();
    try { this.driver.set(host, store, user, value); } finally { this.#set.observe((now() - t) * MS); }
  }

  users(host: string, store: string): string[] {
    const t = now();
    try { return this.driver.users(host, store); } finally { this.#users.observe((now() - t) * MS); }
  }

  mapGet(host: string, store: string, user: string, key: string): unknown {
    const t = now();
    try { return this.driver.mapGet(host, store, user, key); } finally { this.#mapGet.observe((now() - t) * MS); }
  }

  mapSet(host: string, store: string, user: string, key: string, value: unknown): void {
    const t = now();
    try { this.driver.mapSet(host, store, user, key, value); } finally { this.#mapSet.observe((now() - t) * MS); }
  }

  mapAll(host: string, store: string, user: string): Record<string, unknown> {
    const t = now();
    try { return this.driver.mapAll(host, store, user); } finally { this.#mapAll.observe((now() - t) * MS); }
  }

  mapCount(host: string, store: string, user: string): number {
    const t = now();
    try { return this.driver.mapCount(host, store, user); } finally { this.#mapCount.observe((now() - t) * MS); }
  }

  append(host: string, store: string, user: string, value: unknown): number {
    const t = now();
    try { return this.driver.append(host, store, user, value); } finally { this.#append.observe((now() - t) * MS); }
  }

  items(host: string, store: string, user: string, limit?: number, afterId?: number): ListItem[] {
    const t = now();
    try { return this.driver.items(host, store, user, limit, afterId); } finally { this.#items.observe((now() - t) * MS); }
  }

  listStats(host: string, store: string, user: string): ListStats {
    const t = now();
    try { return this.driver.listStats(host, store, user); } finally { this.#listStats.observe((now() - t) * MS); }
  }

  remove(host: string, store: string, user: string, ids?: readonly number[]): number {
    const t = now();
    try { return this.driver.remove(host, store, user, ids); } finally { this.#remove.observe((now() - t) * MS); }
  }

  purgeUser(host: string, user: string): void {
    const t = now();
    try { this.driver.purgeUser(host, user); } finally { this.#purge.observe((now() - t) * MS); }
  }

  transaction<T>(fn: () => T): T {
    const t = now();
    try { return this.driver.transaction(fn); } finally { this.#transaction.observe((now() - t) * MS); }
  }

  startBackgroundWork(opts: BackgroundWorkOptions): void {
    this.driver.startBackgroundWork?.(opts);
  }

  async stopBackgroundWork(): Promise<void> {
    await this.driver.stopBackgroundWork?.();
  }

  close(): void {
    this.driver.close();
  }
}
