/**
 * @module storage/archive
 * The archive shape of storage (Prosody's `archive` store type): per host, store and user, an
 * ordered log of stanzas, each with a contact (`with`) and a time, queried by contact, time
 * range and position, in both directions. Used by message archiving (XEP-0313) and, later,
 * room archives. Positions are `sort` numbers: the time in ms times 1024 plus a counter, so
 * they grow with time, are unique in the process, and time bounds need no index of their own.
 * (Public ids are made from them by core/archive-ids.ts.)
 */

/** One item to append. `sort` comes from {@link SortClock}; `value` is the serialised stanza. */
export interface ArchiveEntry {
  readonly sort: number;
  /** The contact's bare JID (a room's occupant, a user's correspondent). */
  readonly with: string;
  /** The contact's resource, when the item was exchanged with a full JID. */
  readonly withResource?: string;
  readonly value: string;
}

/** One stored item as the driver returns it. */
export interface ArchiveRow extends ArchiveEntry {
  /** When it was archived (ms since the epoch), from the sort number. */
  readonly when: number;
}

/** Which items a query wants; every bound is optional. */
export interface ArchiveQuery {
  /** Only items with this contact (bare JID), and this resource when given. */
  readonly with?: string;
  readonly withResource?: string;
  /** Only items archived at or after / at or before these times (ms). */
  readonly start?: number;
  readonly end?: number;
  /** Only items strictly after / before these positions. */
  readonly after?: number;
  readonly before?: number;
  /** Only these positions. */
  readonly ids?: readonly number[];
  /** At most this many (all when absent). */
  readonly limit?: number;
  /** Newest first (for "the last page"); oldest first otherwise. */
  readonly reverse?: boolean;
}

/** The archive part of a storage driver. Synchronous, like the rest of the driver. */
export interface ArchiveDriver {
  /** Append items, in order, to one user's archive. */
  append(host: string, store: string, user: string, entries: readonly ArchiveEntry[]): void;
  query(host: string, store: string, user: string, query: ArchiveQuery): ArchiveRow[];
  /** Whether the user's archive holds the item at `sort`. */
  has(host: string, store: string, user: string, sort: number): boolean;
  /** The first and last items of the user's archive (none when it is empty). */
  bounds(host: string, store: string, user: string): { first: ArchiveRow; last: ArchiveRow } | undefined;
  /** Delete the user's whole archive in the store; returns how many items went. */
  clear(host: string, store: string, user: string): number;
  /** Delete at most `max` items of any user of the store older than `before` (ms); returns the count. */
  expire(host: string, store: string, before: number, max: number): number;
  /** The largest sort number stored (0 when none): a restarted clock starts above it. */
  lastSort(): number;
  /** Delete everything a user has in every archive store on the host. */
  purgeUser(host: string, user: string): void;
}

/** Positions per millisecond: 2^10 leaves the numbers exact in a double until the year 2248. */
export const SORTS_PER_MS = 1024;

/** The time (ms) a sort number was made. */
export function sortTime(sort: number): number {
  return Math.floor(sort / SORTS_PER_MS);
}

/** The smallest sort number made at or after `ms` (for time bounds). */
export function sortAt(ms: number): number {
  return ms * SORTS_PER_MS;
}

/** Hands out increasing sort numbers: the clock's, or one more than the last when it lags. */
export class SortClock {
  #last: number;

  constructor(last = 0) {
    this.#last = last;
  }

  next(now = Date.now()): number {
    const at = now * SORTS_PER_MS;
    this.#last = at > this.#last ? at : this.#last + 1;
    return this.#last;
  }
}

/** A row from a stored entry. */
export function archiveRow(sort: number, withJid: string, withResource: string | null | undefined, value: string): ArchiveRow {
  return withResource
    ? { sort, when: sortTime(sort), with: withJid, withResource, value }
    : { sort, when: sortTime(sort), with: withJid, value };
}
