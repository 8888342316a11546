/**
 * @module archives
 * Archives as modules see them (`module.openArchive(store)`): one user's ordered stanza log on
 * the module's host, appended through the batched write queue (the id and time are known at
 * once, the row is written with the turn's batch) and read after pending writes are flushed,
 * so a query always sees what was archived before it. One sort clock per server keeps
 * positions unique and growing across restarts; ids are made from positions (archive-ids.ts).
 */
import { ArchiveIds } from './archive-ids.js';
import { SortClock, sortTime, type ArchiveEntry, type ArchiveQuery, type ArchiveRow } from './storage/archive.js';
import type { StorageDriver } from './storage/store.js';
import type { WriteQueue } from './write-queue.js';

/** What to archive: the contact, and the stanza as serialised XML. */
export interface ArchiveItem {
  readonly with: string;
  readonly withResource?: string;
  readonly value: string;
}

/** An archived item with its public id. */
export interface ArchiveRecord extends ArchiveRow {
  readonly id: string;
}

/** One store's archives on one host. Positions (`sort`) bound queries; ids are public. */
export interface Archive {
  /** Archive an item for `user`; it is written with the current batch. Returns its record. */
  append(user: string, item: ArchiveItem): ArchiveRecord;
  query(user: string, query: ArchiveQuery): ArchiveRecord[];
  /** The position of a public id, or undefined when it is not one (it may still be absent). */
  position(id: string): number | undefined;
  /** Whether the user's archive holds the item with this position. */
  has(user: string, sort: number): boolean;
  bounds(user: string): { first: ArchiveRecord; last: ArchiveRecord } | undefined;
  /** Delete the user's archive in this store; returns the count. */
  clear(user: string): number;
  /** Delete at most `max` items (any user) archived before `before` (ms); returns the count. */
  expire(before: number, max: number): number;
}

/** Appends written at once when this many wait (else with the write queue's next batch). */
const MAX_PENDING = 5000;

/** Opens archives for modules; owns the sort clock and the id codec. */
export class Archives {
  readonly #storage: () => StorageDriver;
  readonly #writes: WriteQueue;
  #clock: SortClock | undefined;
  #ids: ArchiveIds | undefined;
  /** Appends waiting for the write queue's next batch, in arrival order. */
  #pending: { host: string; store: string; user: string; entry: ArchiveEntry }[] = [];

  constructor(storage: () => StorageDriver, writes: WriteQueue) {
    this.#storage = storage;
    this.#writes = writes;
  }

  #next(): number {
    this.#clock ??= new SortClock(this.#storage().archive.lastSort());
    return this.#clock.next();
  }

  get #codec(): ArchiveIds {
    this.#ids ??= ArchiveIds.open(this.#storage());
    return this.#ids;
  }

  /**
   * Write the waiting appends, grouped by archive and in order within each: a B-tree takes
   * rows for one owner after another far faster than interleaved ones.
   */
  #writePending(): void {
    const batch = this.#pending;
    this.#pending = [];
    batch.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.store < b.store ? -1 : a.store > b.store ? 1
      : a.user < b.user ? -1 : a.user > b.user ? 1 : a.entry.sort - b.entry.sort));
    const driver = this.#storage().archive;
    for (let i = 0; i < batch.length;) {
      const { host, store, user } = batch[i]!;
      let j = i + 1;
      while (j < batch.length && batch[j]!.user === user && batch[j]!.store === store && batch[j]!.host === host) j++;
      driver.append(host, store, user, batch.slice(i, j).map((p) => p.entry));
      i = j;
    }
  }

  #record(row: ArchiveRow): ArchiveRecord {
    return { ...row, id: this.#codec.encode(row.sort) };
  }

  open(host: string, store: string): Archive {
    const driver = (): StorageDriver['archive'] => this.#storage().archive;
    const writes = this.#writes;
    const record = (row: ArchiveRow): ArchiveRecord => this.#record(row);
    return {
      append: (user, item) => {
        const sort = this.#next();
        const entry = item.withResource === undefined
          ? { sort, with: item.with, value: item.value }
          : { sort, with: item.with, withResource: item.withResource, value: item.value };
        if (this.#pending.length === 0) writes.defer(() => { this.#writePending(); });
        this.#pending.push({ host, store, user, entry });
        if (this.#pending.length >= MAX_PENDING) writes.flush(); // one commit never holds the event loop long
        return record({ ...entry, when: sortTime(sort) });
      },
      query: (user, query) => {
        writes.flush();
        return driver().query(host, store, user, query).map(record);
      },
      position: (id) => this.#codec.decode(id),
      has: (user, sort) => {
        writes.flush();
        return driver().has(host, store, user, sort);
      },
      bounds: (user) => {
        writes.flush();
        const b = driver().bounds(host, store, user);
        return b === undefined ? undefined : { first: record(b.first), last: record(b.last) };
      },
      clear: (user) => {
        writes.flush();
        return driver().clear(host, store, user);
      },
      expire: (before, max) => {
        writes.flush();
        return driver().expire(host, store, before, max);
      },
    };
  }
}
