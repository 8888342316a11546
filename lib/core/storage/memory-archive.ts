/**
 * @module storage/memory-archive
 * The archive shape in memory (the memory driver's): one sorted array per (host, store, user),
 * appended at the end (sort numbers only grow), read by binary search on the bounds.
 */
import { archiveRow, sortAt, type ArchiveDriver, type ArchiveEntry, type ArchiveQuery, type ArchiveRow } from './archive.js';

type Owners = Map<string, ArchiveEntry[]>;

/** The first index in `items` (sorted by sort) whose sort is > `sort` (or >= when `inclusive`). */
function firstAbove(items: readonly ArchiveEntry[], sort: number, inclusive: boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = items[mid]!.sort;
    if (s > sort || (inclusive && s === sort)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export class MemoryArchive implements ArchiveDriver {
  readonly #stores = new Map<string, Owners>();
  #lastSort = 0;

  #key(host: string, store: string): string {
    return `${host}\u0000${store}`;
  }

  #items(host: string, store: string, user: string): ArchiveEntry[] | undefined {
    return this.#stores.get(this.#key(host, store))?.get(user);
  }

  append(host: string, store: string, user: string, entries: readonly ArchiveEntry[]): void {
    const key = this.#key(host, store);
    let owners = this.#stores.get(key);
    if (owners === undefined) this.#stores.set(key, (owners = new Map()));
    let items = owners.get(user);
    if (items === undefined) owners.set(user, (items = []));
    for (const e of entries) {
      const entry = { ...e };
      // sort numbers only grow; an out-of-order one (another clock) is placed where it belongs
      if (items.length === 0 || items[items.length - 1]!.sort < e.sort) items.push(entry);
      else if (!items.some((i) => i.sort === e.sort)) items.splice(firstAbove(items, e.sort, false), 0, entry);
      if (e.sort > this.#lastSort) this.#lastSort = e.sort;
    }
  }

  query(host: string, store: string, user: string, q: ArchiveQuery): ArchiveRow[] {
    const items = this.#items(host, store, user) ?? [];
    let lo = 0;
    let hi = items.length; // [lo, hi)
    if (q.start !== undefined) lo = Math.max(lo, firstAbove(items, sortAt(q.start), true));
    if (q.after !== undefined) lo = Math.max(lo, firstAbove(items, q.after, false));
    if (q.end !== undefined) hi = Math.min(hi, firstAbove(items, sortAt(q.end + 1), true));
    if (q.before !== undefined) hi = Math.min(hi, firstAbove(items, q.before, true));
    const ids = q.ids !== undefined ? new Set(q.ids) : undefined;
    const limit = q.limit ?? Infinity;
    const out: ArchiveRow[] = [];
    // each filter on its own, as the SQLite driver's WHERE clauses (a resource alone filters too)
    const want = (e: ArchiveEntry): boolean => (q.with === undefined || e.with === q.with)
      && (q.withResource === undefined || e.withResource === q.withResource)
      && (ids === undefined || ids.has(e.sort));
    if (q.reverse) {
      for (let i = hi - 1; i >= lo && out.length < limit; i--) {
        const e = items[i]!;
        if (want(e)) out.push(archiveRow(e.sort, e.with, e.withResource, e.value));
      }
    } else {
      for (let i = lo; i < hi && out.length < limit; i++) {
        const e = items[i]!;
        if (want(e)) out.push(archiveRow(e.sort, e.with, e.withResource, e.value));
      }
    }
    return out;
  }

  has(host: string, store: string, user: string, sort: number): boolean {
    const items = this.#items(host, store, user) ?? [];
    const i = firstAbove(items, sort, true);
    return items[i]?.sort === sort;
  }

  bounds(host: string, store: string, user: string): { first: ArchiveRow; last: ArchiveRow } | undefined {
    const items = this.#items(host, store, user);
    if (items === undefined || items.length === 0) return undefined;
    const f = items[0]!;
    const l = items[items.length - 1]!;
    return { first: archiveRow(f.sort, f.with, f.withResource, f.value), last: archiveRow(l.sort, l.with, l.withResource, l.value) };
  }

  clear(host: string, store: string, user: string): number {
    const owners = this.#stores.get(this.#key(host, store));
    const n = owners?.get(user)?.length ?? 0;
    owners?.delete(user);
    return n;
  }

  expire(host: string, store: string, before: number, max: number): number {
    const owners = this.#stores.get(this.#key(host, store));
    if (owners === undefined) return 0;
    let removed = 0;
    for (const [user, items] of owners) {
      if (removed >= max) break;
      const n = Math.min(firstAbove(items, sortAt(before), true), max - removed);
      if (n > 0) items.splice(0, n);
      removed += n;
      if (items.length === 0) owners.delete(user);
    }
    return removed;
  }

  lastSort(): number {
    return this.#lastSort;
  }

  purgeUser(host: string, user: string): void {
    for (const [key, owners] of this.#stores) if (key.startsWith(`${host}\u0000`)) owners.delete(user);
  }
}
