/**
 * @module storage/store
 * The storage driver interface (Prosody's open_store model): per host, per store name, per
 * user, three shapes: key-value (one value per user), map (one value per user and key) and
 * list (items appended per user). Every driver is synchronous (better-sqlite3 is), so a
 * handler on the per-stanza path never waits. Values are JSON-serialisable.
 */
import type { ArchiveDriver } from './archive.js';
import type { ArchiveSink } from './archive-sink.js';

/** A stored list item: `id` grows with each append and orders the list. */
export interface ListItem<T = unknown> {
  readonly id: number;
  readonly value: T;
  readonly when: number; // ms since the epoch, when appended
}

/** How much one user's list holds: items, and bytes of stored (JSON) text. */
export interface ListStats {
  readonly count: number;
  readonly bytes: number;
}

/** A storage backend: per host, per store name, per user. */
export interface StorageDriver {
  readonly kind: string;
  /** The archive shape: ordered stanza logs queried by contact, time and position (storage/archive.ts). */
  readonly archive: ArchiveDriver;
  /** Key-value: one value per (host, store, user). `undefined` when absent. */
  get(host: string, store: string, user: string): unknown;
  /** Set, or delete when `value` is undefined. */
  set(host: string, store: string, user: string, value: unknown): void;
  /** Users that have a key-value entry in the store on the host. */
  users(host: string, store: string): string[];
  /** Map: one value per (host, store, user, key). `undefined` when absent. */
  mapGet(host: string, store: string, user: string, key: string): unknown;
  /** Set one key, or delete it when `value` is undefined. */
  mapSet(host: string, store: string, user: string, key: string, value: unknown): void;
  /** Every key of the user's map with its value, keys sorted. */
  mapAll(host: string, store: string, user: string): Record<string, unknown>;
  /** How many keys the user's map holds. */
  mapCount(host: string, store: string, user: string): number;
  /** List: append and return the new item's id. */
  append(host: string, store: string, user: string, value: unknown): number;
  /**
   * List items in append order, at most `limit` (all when absent), only those with an id
   * greater than `afterId` when it is given (paging without loading the whole list).
   */
  items(host: string, store: string, user: string, limit?: number, afterId?: number): ListItem[];
  /** The number of items and the bytes they take, without reading them. */
  listStats(host: string, store: string, user: string): ListStats;
  /** Delete the given ids, or all of the user's items when `ids` is absent. Returns the count. */
  remove(host: string, store: string, user: string, ids?: readonly number[]): number;
  /** Delete everything a user has on a host, in every store (used by deluser). */
  purgeUser(host: string, user: string): void;
  /**
   * Start what the driver does in the background while a server runs (SQLite: a worker thread
   * that writes archive rows and checkpoints the WAL); `stopBackgroundWork` finishes it.
   */
  startBackgroundWork?(opts: BackgroundWorkOptions): void;
  stopBackgroundWork?(): Promise<void>;
  /** Where archive rows go while background work runs (written on the event loop when absent). */
  readonly archiveSink?: ArchiveSink;
  /** Run `fn` as one unit: its writes all happen or (when it throws) none do. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** What background work needs from the server. */
export interface BackgroundWorkOptions {
  /** Told about failures (the server logs them). */
  onError(message: string): void;
  /** Takes archive rows if the background writer fails. */
  readonly fallback: ArchiveSink;
  /** How often the WAL is checkpointed, ms (1000). */
  readonly checkpointMs?: number;
  /** Archive rows: at most one commit per this many ms while rows keep coming (50; 0 = every turn). */
  readonly commitMs?: number;
  /** Archive rows: a commit at once when this many wait (20000). */
  readonly maxBatch?: number;
}
