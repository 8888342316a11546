/**
 * @module storage/memory
 * The in-memory storage driver: nested Maps, nothing persisted. Values are deep-copied
 * (structuredClone) on the way in and out, so callers never share state with the store.
 */
import { MemoryArchive } from './memory-archive.js';
import type { ArchiveDriver } from './archive.js';
import { ServerError } from '../errors.js';
import type { ListItem, ListStats, StorageDriver } from './store.js';

/** host -> store -> user -> T */
type Tree<T> = Map<string, Map<string, Map<string, T>>>;

interface StoredItem { readonly id: number; readonly value: unknown; readonly when: number; readonly size: number }

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
  readonly #maps: Tree<Map<string, unknown>> = new Map();
  #lastId = 0;
  /** The archive shape (message archives). */
  readonly archive: ArchiveDriver = new MemoryArchive();
  /** Inside transaction(): how to put back each user entry changed so far. */
  #undo: (() => void)[] | undefined;

  get(host: string, store: string, user: string): unknown {
    const value = leaf(this.#keyval, host, store)?.get(user);
    return value === undefined ? undefined : copy(value);
  }

  /** Inside a transaction, note how to restore the user's entry of `tree` before it changes. */
  #remember(tree: Tree<unknown>, host: string, store: string, user: string): void {
    if (this.#undo === undefined) return;
    const users = leaf(tree, host, store);
    const had = users?.has(user) ?? false;
    const before = users?.get(user);
    const saved = before instanceof Map ? new Map(before) : Array.isArray(before) ? before.slice() : before;
    this.#undo.push(() => {
      if (had) leaf(tree, host, store, true).set(user, saved);
      else {
        leaf(tree, host, store)?.delete(user);
        prune(tree, host, store);
      }
    });
  }

  set(host: string, store: string, user: string, value: unknown): void {
    this.#remember(this.#keyval, host, store, user);
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

  mapGet(host: string, store: string, user: string, key: string): unknown {
    const value = leaf(this.#maps, host, store)?.get(user)?.get(key);
    return value === undefined ? undefined : copy(value);
  }

  mapSet(host: string, store: string, user: string, key: string, value: unknown): void {
    if (this.#undo !== undefined) {
      // Only this key's old value: a roster write must not copy the whole roster.
      const had = leaf(this.#maps, host, store)?.get(user)?.has(key) ?? false;
      const before = leaf(this.#maps, host, store)?.get(user)?.get(key);
      this.#undo.push(() => { this.#setMapKey(host, store, user, key, had ? before : undefined); });
    }
    this.#setMapKey(host, store, user, key, value === undefined ? undefined : copy(value));
  }

  #setMapKey(host: string, store: string, user: string, key: string, value: unknown): void {
    if (value === undefined) {
      const users = leaf(this.#maps, host, store);
      const map = users?.get(user);
      if (!users || !map) return;
      map.delete(key);
      if (map.size === 0) users.delete(user);
      prune(this.#maps, host, store);
      return;
    }
    const users = leaf(this.#maps, host, store, true);
    let map = users.get(user);
    if (!map) users.set(user, (map = new Map()));
    map.set(key, value);
  }

  mapAll(host: string, store: string, user: string): Record<string, unknown> {
    const map = leaf(this.#maps, host, store)?.get(user);
    const out: Record<string, unknown> = {};
    if (!map) return out;
    for (const key of [...map.keys()].sort()) out[key] = copy(map.get(key));
    return out;
  }

  mapCount(host: string, store: string, user: string): number {
    return leaf(this.#maps, host, store)?.get(user)?.size ?? 0;
  }

  append(host: string, store: string, user: string, value: unknown): number {
    if (value === undefined) {
      throw new ServerError('XS_ERR_STORAGE', { driver: this.kind, reason: 'value is not JSON-serialisable (undefined)' });
    }
    this.#remember(this.#lists as Tree<unknown>, host, store, user);
    const users = leaf(this.#lists, host, store, true);
    let list = users.get(user);
    if (!list) {
      list = [];
      users.set(user, list);
    }
    const id = ++this.#lastId;
    const size = Buffer.byteLength(JSON.stringify(value) ?? '');
    list.push({ id, value: copy(value), when: Date.now(), size });
    return id;
  }

  items(host: string, store: string, user: string, limit?: number, afterId?: number): ListItem[] {
    const list = leaf(this.#lists, host, store)?.get(user);
    if (!list) return [];
    let start = 0;
    if (afterId !== undefined) while (start < list.length && list[start]!.id <= afterId) start++;
    const rest = list.length - start;
    const n = limit === undefined || limit === Infinity ? rest : Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    return list.slice(start, start + n).map((item) => ({ id: item.id, value: copy(item.value), when: item.when }));
  }

  listStats(host: string, store: string, user: string): ListStats {
    const list = leaf(this.#lists, host, store)?.get(user);
    let bytes = 0;
    for (const item of list ?? []) bytes += item.size;
    return { count: list?.length ?? 0, bytes };
  }

  remove(host: string, store: string, user: string, ids?: readonly number[]): number {
    this.#remember(this.#lists as Tree<unknown>, host, store, user);
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
    this.archive.purgeUser(host, user);
    for (const tree of [this.#keyval, this.#lists, this.#maps] as Tree<unknown>[]) {
      const stores = tree.get(host);
      if (!stores) continue;
      for (const [store, users] of stores) {
        this.#remember(tree, host, store, user);
        users.delete(user);
        if (users.size === 0) stores.delete(store);
      }
      if (stores.size === 0) tree.delete(host);
    }
  }

  transaction<T>(fn: () => T): T {
    if (this.#undo !== undefined) return fn();
    const undo: (() => void)[] = (this.#undo = []);
    try {
      return fn();
    } catch (err) {
      for (const restore of undo.reverse()) restore();
      throw err;
    } finally {
      this.#undo = undefined;
    }
  }

  /** Nothing to release; the data stays (see the class note). */
  close(): void {}
}
