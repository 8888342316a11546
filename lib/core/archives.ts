/**
 * @module archives
 * Archives as modules see them (`module.openArchive(store)`): one user's ordered stanza log on
 * the module's host. An append returns its id and time at once; the row goes to storage through
 * a sink: the SQLite worker thread while the server runs on SQLite (nothing held or committed
 * on the event loop), else the batched write queue. Reads wait until everything appended
 * before them is stored, so a query always sees what was archived before it. One sort clock
 * per server keeps positions unique and growing across restarts; ids are made from positions
 * (archive-ids.ts).
 */
import { ArchiveIds } from './archive-ids.js';
import type { ArchiveSink, ArchiveRowFor } from './storage/archive-sink.js';
import { SortClock, type ArchiveQuery, type ArchiveRow } from './storage/archive.js';
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
  /**
   * Archive an item for `user`; it is stored soon, in order. Returns its id and position.
   * `same`: the position and id another archive gave the same stanza (each archive's ids are
   * its own; sharing them saves work, and positions stay unique within each archive).
   */
  append(user: string, item: ArchiveItem, same?: { readonly id: string; readonly sort: number }): { readonly id: string; readonly sort: number };
  query(user: string, query: ArchiveQuery): Promise<ArchiveRecord[]>;
  /** The position of a public id, or undefined when it is not one (it may still be absent). */
  position(id: string): number | undefined;
  /** Whether the user's archive holds the item with this position. */
  has(user: string, sort: number): Promise<boolean>;
  bounds(user: string): Promise<{ first: ArchiveRecord; last: ArchiveRecord } | undefined>;
  /** Delete the user's archive in this store; returns the count. */
  clear(user: string): Promise<number>;
  /** Delete at most `max` items (any user) archived before `before` (ms); returns the count. */
  expire(before: number, max: number): Promise<number>;
}

/** Appends written at once when this many wait on the write queue. */
const MAX_PENDING = 5000;

/** Opens archives for modules; owns the sort clock, the id codec and the event-loop sink. */
export class Archives {
  readonly #storage: () => StorageDriver;
  readonly #writes: WriteQueue;
  #clock: SortClock | undefined;
  #ids: ArchiveIds | undefined;
  /** Appends waiting for the write queue's next batch (the event-loop sink). */
  #pending: ArchiveRowFor[] = [];
  /** Rows written on the event loop, with the write queue's batch (memory storage, or a failed worker). */
  readonly direct: ArchiveSink = {
    add: (row) => {
      if (this.#pending.length === 0) this.#writes.defer(() => { this.#writePending(); });
      this.#pending.push(row);
      if (this.#pending.length >= MAX_PENDING) this.#writes.flush(); // one commit never holds the event loop long
    },
    stored: () => {
      this.#writes.flush();
      return Promise.resolve();
    },
    purgeUser: () => undefined, // the driver's purge already ran, and nothing waits elsewhere
    close: () => {
      this.#writes.flush();
      return Promise.resolve();
    },
  };

  constructor(storage: () => StorageDriver, writes: WriteQueue) {
    this.#storage = storage;
    this.#writes = writes;
  }

  #sink(): ArchiveSink {
    return this.#storage().archiveSink ?? this.direct;
  }

  /** Resolves once every item archived so far is stored. */
  stored(): Promise<void> {
    return this.#sink().stored();
  }

  /** After an account is deleted: archive rows still on their way for it are deleted too. */
  purgeUser(host: string, user: string): void {
    this.#sink().purgeUser(host, user);
  }

  #next(): number {
    this.#clock ??= new SortClock(this.#storage().archive.lastSort());
    return this.#clock.next();
  }

  get #codec(): ArchiveIds {
    this.#ids ??= ArchiveIds.open(this.#storage());
    return this.#ids;
  }

  /** Write the waiting appends, grouped by archive and in order within each. */
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
    const record = (row: ArchiveRow): ArchiveRecord => this.#record(row);
    return {
      append: (user, item, same) => {
        const sort = same?.sort ?? this.#next();
        const entry = item.withResource === undefined
          ? { sort, with: item.with, value: item.value }
          : { sort, with: item.with, withResource: item.withResource, value: item.value };
        this.#sink().add({ host, store, user, entry });
        return same ?? { id: this.#codec.encode(sort), sort };
      },
      query: async (user, query) => {
        await this.stored();
        return driver().query(host, store, user, query).map(record);
      },
      position: (id) => this.#codec.decode(id),
      has: async (user, sort) => {
        await this.stored();
        return driver().has(host, store, user, sort);
      },
      bounds: async (user) => {
        await this.stored();
        const b = driver().bounds(host, store, user);
        return b === undefined ? undefined : { first: record(b.first), last: record(b.last) };
      },
      clear: async (user) => {
        await this.stored();
        return driver().clear(host, store, user);
      },
      expire: async (before, max) => {
        await this.stored();
        return driver().expire(host, store, before, max);
      },
    };
  }
}
