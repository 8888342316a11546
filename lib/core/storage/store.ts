/**
 * @module storage/store
 * The storage driver interface. Every driver is synchronous (better-sqlite3 is), so a handler
 * on the per-stanza path never waits. Values are JSON-serialisable.
 */

/** A stored list item: `id` grows with each append and orders the list. */
export interface ListItem<T = unknown> {
  readonly id: number;
  readonly value: T;
  readonly when: number; // ms since the epoch, when appended
}

/** A storage backend: per host, per store name, per user (Prosody's open_store model). */
export interface StorageDriver {
  readonly kind: string;
  /** Key-value: one value per (host, store, user). `undefined` when absent. */
  get(host: string, store: string, user: string): unknown;
  /** Set, or delete when `value` is undefined. */
  set(host: string, store: string, user: string, value: unknown): void;
  /** Users that have a key-value entry in the store on the host. */
  users(host: string, store: string): string[];
  /** List: append and return the new item's id. */
  append(host: string, store: string, user: string, value: unknown): number;
  /** List items in append order, at most `limit` (all when absent). */
  items(host: string, store: string, user: string, limit?: number): ListItem[];
  /** Delete the given ids, or all of the user's items when `ids` is absent. Returns the count. */
  remove(host: string, store: string, user: string, ids?: readonly number[]): number;
  /** Delete everything a user has on a host, in every store (used by deluser). */
  purgeUser(host: string, user: string): void;
  close(): void;
}
