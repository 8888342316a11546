/**
 * @module storage/storage-worker-protocol
 * What the server and its SQLite worker thread (storage-worker.ts) say to each other. Archive
 * rows travel packed into strings: a row's fields joined by U+0000, rows by U+0001 (neither can
 * occur in XML text, a JID or a store name), one string per turn of the event loop.
 */
import type { ArchiveEntry } from './archive.js';

/** One archived item for the worker. */
export interface WorkerRow { readonly host: string; readonly store: string; readonly user: string; readonly entry: ArchiveEntry }

/** What the server sends. */
export type ToWorker =
  | { readonly t: 'rows'; readonly rows: readonly string[] }
  | { readonly t: 'barrier'; readonly id: number }
  | { readonly t: 'purge'; readonly host: string; readonly user: string }
  | { readonly t: 'stop' };

/** What the worker answers. */
export type FromWorker =
  | { readonly t: 'stored'; readonly id: number }
  | { readonly t: 'error'; readonly message: string; readonly rows?: number }
  | { readonly t: 'stopped' };

export const ROW_SEP = '\u0001';
const FIELD_SEP = '\u0000';
const SAME_VALUE = '\u0002';

/** One row as a string; `sameValue`: its value is the previous row's (of the same message to the worker). */
export function packRow(r: WorkerRow, sameValue = false): string {
  const e = r.entry;
  return `${r.host}${FIELD_SEP}${r.store}${FIELD_SEP}${r.user}${FIELD_SEP}${e.sort}${FIELD_SEP}${e.with}${FIELD_SEP}${e.withResource ?? ''}${FIELD_SEP}${sameValue ? SAME_VALUE : e.value}`;
}

/**
 * Unpack the rows of one string into `into`. `previous`: the value of the row before this
 * string's first (the strings of one message are unpacked in order); returns its last row's.
 */
export function unpackRows(text: string, into: WorkerRow[], previous = ''): string {
  if (text === '') return previous;
  for (const row of text.split(ROW_SEP)) {
    const f = row.split(FIELD_SEP);
    const packed = f.length > 7 ? f.slice(6).join(FIELD_SEP) : f[6]!;
    const value = packed === SAME_VALUE ? previous : packed;
    previous = value;
    const entry: ArchiveEntry = f[5] ? { sort: Number(f[3]), with: f[4]!, withResource: f[5], value } : { sort: Number(f[3]), with: f[4]!, value };
    into.push({ host: f[0]!, store: f[1]!, user: f[2]!, entry });
  }
  return previous;
}
