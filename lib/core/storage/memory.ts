/**
 * @module storage/memory
 * The in-memory storage driver: nested Maps, nothing persisted. Values are deep-copied
 * (structuredClone) on the way in and out, so callers never share state with the store.
 */
import { ServerError } from '../errors.js';
import type { ListItem, StorageDriver } from './store.js';

/** host -> store -> user -> T */
type Tree<T> = Map<string, Map<string, Map<string, T>>>;

interface StoredItem { readonly id: number; readonly value: unknown; readonly when: number }

function leaf<T>(tree: Tree<T>, host: string, store: string, create: true): Map<string, T>;
function leaf<T>(tree: Tree<T>, host: string, store: string, create?: false): Map<string, T> | undefined;
function leaf<T>(tree: Tree<T>, host: string, store: string, create = false): Map<string, T> | undefined {
  let stores = tree.get(host);
  if (!stores) {
    if (!create) return undefined;
    stores = new Map();
    tree.set(host, stores);
  }
  let users = stores.get(store);
  if (!users) {
    if (!create) return undefined;
    users = new Map();
    stores.set(store, users);
  }
  return users;
}

/** Drop empty maps left behind by a deletion, so `users()` and memory use stay tidy. */
function prune<T>(tree: Tree<T>, host: string, store: string): void {
  const stores = tree.get(host);
  if (stores?.get(store)?.size === 0) stores.delete(store);
  if (stores?.size === 0) tree.delete(host);
}

function copy<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch (err) {
    throw new ServerError('XS_ERR_STORAGE', { driver: 'memory', reason: `value cannot be copied: ${(err as Error).message}` }, { cause: err });
  }
}

/**
 * A StorageDriver held in process memory: for tests and throwaway servers. List ids grow
 * across the whole driver, like SQLite's AUTOINCREMENT. `close()` keeps the data, so a
 * driver handed to a new Server instance still has it.
 * @example const server = new Server(config, { storage: new MemoryDriver() });
 */
export class MemoryDriver implements StorageDriver {
  readonly kind = 'memory';
  readonly #keyval: Tree<unknown> = new Map();
  readonly #lists: Tree<StoredItem[]> = new Map();
  #lastId = 0;

  get(host: string, store: string, user: string): unknown {
    const value = leaf(this.#keyval, host, store)?.get(user);
    return value === undefined ? undefined : copy(value);
  }

  set(host: string, store: string, user: string, value: unknown): void {
    if (value === undefined) {
      leaf(this.#keyval, host, store)?.delete(user);
      prune(this.#keyval, host, store);
      return;
    }
    leaf(this.#keyval, host, store, true).set(user, copy(value));
  }

  users(host: string, store: string): string[] {
    return [...(leaf(this.#keyval, host, store)?.keys() ?? [])].sort();
  }

  append(host: string, store: string, user: string, value: unknown): number {
    if (value === undefined) {
      throw new ServerError('XS_ERR_STORAGE', { driver: this.kind, reason: 'value is not JSON-serialisable (undefined)' });
    }
    const users = leaf(this.#lists, host, store, true);
    let list = users.get(user);
    if (!list) {
      list = [];
      users.set(user, list);
    }
    const id = ++this.#lastId;
    list.push({ id, value: copy(value), when: Date.now() });
    return id;
  }

  items(host: string, store: string, user: string, limit?: number): ListItem[] {
    const list = leaf(this.#lists, host, store)?.get(user);
    if (!list) return [];
    const n = limit === undefined || limit === Infinity ? list.length : Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    return list.slice(0, n).map((item) => ({ id: item.id, value: copy(item.value), when: item.when }));
  }

  remove(host: string, store: string, user: string, ids?: readonly number[]): number {
    const users = leaf(this.#lists, host, store);
    const list = users?.get(user);
    if (!users || !list) return 0;
    let removed: number;
    if (ids === undefined) {
      removed = list.length;
      users.delete(user);
    } else {
      const drop = new Set(ids);
      const kept = list.filter((item) => !drop.has(item.id));
      removed = list.length - kept.length;
      if (kept.length === 0) users.delete(user);
      else users.set(user, kept);
    }
    prune(this.#lists, host, store);
    return removed;
  }

  purgeUser(host: string, user: string): void {
    for (const tree of [this.#keyval, this.#lists] as Tree<unknown>[]) {
      const stores = tree.get(host);
      if (!stores) continue;
      for (const [store, users] of stores) {
        users.delete(user);
        if (users.size === 0) stores.delete(store);
      }
      if (stores.size === 0) tree.delete(host);
    }
  }

  /** Nothing to release; the data stays (see the class note). */
  close(): void {}
}
