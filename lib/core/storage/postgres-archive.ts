/**
 * @module storage/postgres-archive
 * The archive shape on PostgreSQL, as seen from the main thread: each operation is one
 * synchronous call into the worker (postgres-sync.ts) running one statement
 * (postgres-statements.ts). Rows archived while the server runs do not come this way: they go
 * to the archive writer thread in batches (postgres-archive-worker.ts); `append` here is the
 * fallback path and the one tests use.
 */
import { archiveRow, sortAt, type ArchiveDriver, type ArchiveEntry, type ArchiveQuery, type ArchiveRow } from './archive.js';
import type { PgOp } from './postgres-protocol.js';

/** How the driver runs one operation (throws XS_ERR_STORAGE naming it). */
export type PgCall = (op: PgOp, args: readonly unknown[]) => unknown;

type Tuple = [number, string, string | null, string];
const toRow = (t: Tuple): ArchiveRow => archiveRow(t[0], t[1], t[2], t[3]);

export class PostgresArchive implements ArchiveDriver {
  readonly #call: PgCall;

  constructor(call: PgCall) {
    this.#call = call;
  }

  append(host: string, store: string, user: string, entries: readonly ArchiveEntry[]): void {
    if (entries.length === 0) return;
    this.#call('archiveAppend', [host, store, user,
      entries.map((e) => e.sort), entries.map((e) => e.with), entries.map((e) => e.withResource ?? null), entries.map((e) => e.value)]);
  }

  query(host: string, store: string, user: string, query: ArchiveQuery): ArchiveRow[] {
    if (query.ids?.length === 0) return [];
    const q: ArchiveQuery = query.ids === undefined ? query : { ...query, ids: query.ids.filter((id) => Number.isSafeInteger(id)) };
    return (this.#call('archiveQuery', [host, store, user, q]) as Tuple[]).map(toRow);
  }

  has(host: string, store: string, user: string, sort: number): boolean {
    if (!Number.isSafeInteger(sort)) return false;
    return this.#call('archiveHas', [host, store, user, sort]) as boolean;
  }

  bounds(host: string, store: string, user: string): { first: ArchiveRow; last: ArchiveRow } | undefined {
    const rows = this.#call('archiveBounds', [host, store, user]) as Tuple[];
    return rows.length === 2 ? { first: toRow(rows[0]!), last: toRow(rows[1]!) } : undefined;
  }

  clear(host: string, store: string, user: string): number {
    return this.#call('archiveClear', [host, store, user]) as number;
  }

  expire(host: string, store: string, before: number, max: number): number {
    if (!(max > 0)) return 0;
    return this.#call('archiveExpire', [host, store, Math.ceil(sortAt(before)), Math.floor(max)]) as number;
  }

  lastSort(): number {
    return this.#call('archiveLastSort', []) as number;
  }

  purgeUser(host: string, user: string): void {
    this.#call('archivePurgeUser', [host, user]);
  }
}
