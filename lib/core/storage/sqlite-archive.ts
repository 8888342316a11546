/**
 * @module storage/sqlite-archive
 * The archive shape in SQLite (tables in sqlite-archive-schema.ts): rows per archive, texts
 * shared between rows. Many archives' rows are appended at once (`appendRows`, the storage
 * worker's batch): consecutive rows with the same text (a message in its sender's and its
 * recipient's archive) take one `archive_text` row, and both tables are written with
 * multi-row INSERTs, grouped by archive (a B-tree takes one owner's rows after another far
 * faster than interleaved ones).
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import { archiveRow, sortAt, type ArchiveDriver, type ArchiveEntry, type ArchiveQuery, type ArchiveRow } from './archive.js';
import { openArchiveSchema } from './sqlite-archive-schema.js';
import type { WorkerRow } from './storage-worker-protocol.js';

interface Row { sort: number; with_jid: string; with_resource: string | null; value: string }

const toRecord = (r: Row): ArchiveRow => archiveRow(r.sort, r.with_jid, r.with_resource, r.value);

/** Rows per multi-row INSERT (5 parameters each, far below SQLite's limit of 32,766). */
const CHUNK = 32;
const ROW_COLS = 5;
const TEXT_COLS = 3;

/** An archive row ready to insert: owner, sort, with_jid, with_resource, text id. */
type Insert = [number, number, string, string | null, number];

const FROM = 'FROM archive JOIN archive_text ON archive_text.id = archive.text';
const COLS = 'sort, with_jid, with_resource, value';

export class SqliteArchive implements ArchiveDriver {
  readonly #db: Db;
  readonly #owners = new Map<string, number>();
  readonly #queries = new Map<string, Statement>();
  readonly #stmt: {
    owner: Statement<[string, string, string], { id: number }>;
    addOwner: Statement<[string, string, string]>;
    insertRows: Statement<unknown[]>;
    insertRow: Statement<unknown[]>;
    insertTexts: Statement<unknown[]>;
    insertText: Statement<unknown[]>;
    lastText: Statement<[], { m: number | null }>;
    textOf: Statement<[number, number], { text: number }>;
    release: Statement<[number], { refs: number }>;
    dropText: Statement<[number]>;
    has: Statement<[number, number], { sort: number }>;
    first: Statement<[number], Row>;
    last: Statement<[number], Row>;
    clear: Statement<[number], { text: number }>;
    expirable: Statement<[string, string, number, number], { owner: number; sort: number }>;
    del: Statement<[number, number], { text: number }>;
    lastSort: Statement<[], { m: number | null }>;
    userOwners: Statement<[string, string], { id: number }>;
  };
  readonly #appendRows: (rows: readonly WorkerRow[]) => void;
  readonly #clearOwner: (owner: number) => number;
  readonly #expire: (host: string, store: string, before: number, max: number) => number;

  /** Open the archive's tables (moving the first layout's on the way, see the schema module). */
  constructor(db: Db) {
    this.#db = db;
    openArchiveSchema(db);
    const rowValues = (n: number, cols: number): string => Array.from({ length: n }, () => `(${Array(cols).fill('?').join(', ')})`).join(', ');
    const insertRows = 'INSERT OR IGNORE INTO archive (owner, sort, with_jid, with_resource, text) VALUES ';
    const insertTexts = 'INSERT INTO archive_text (id, refs, value) VALUES ';
    this.#stmt = {
      owner: db.prepare('SELECT id FROM archive_owner WHERE host = ? AND store = ? AND user = ?'),
      addOwner: db.prepare('INSERT OR IGNORE INTO archive_owner (host, store, user) VALUES (?, ?, ?)'),
      insertRows: db.prepare(insertRows + rowValues(CHUNK, ROW_COLS)),
      insertRow: db.prepare(insertRows + rowValues(1, ROW_COLS)),
      insertTexts: db.prepare(insertTexts + rowValues(CHUNK, TEXT_COLS)),
      insertText: db.prepare(insertTexts + rowValues(1, TEXT_COLS)),
      lastText: db.prepare('SELECT max(id) AS m FROM archive_text'),
      textOf: db.prepare('SELECT text FROM archive WHERE owner = ? AND sort = ?'),
      release: db.prepare('UPDATE archive_text SET refs = refs - 1 WHERE id = ? RETURNING refs'),
      dropText: db.prepare('DELETE FROM archive_text WHERE id = ?'),
      has: db.prepare('SELECT sort FROM archive WHERE owner = ? AND sort = ?'),
      first: db.prepare(`SELECT ${COLS} ${FROM} WHERE owner = ? ORDER BY sort ASC LIMIT 1`),
      last: db.prepare(`SELECT ${COLS} ${FROM} WHERE owner = ? ORDER BY sort DESC LIMIT 1`),
      clear: db.prepare('DELETE FROM archive WHERE owner = ? RETURNING text'),
      expirable: db.prepare(
        'SELECT a.owner, a.sort FROM archive_owner o JOIN archive a ON a.owner = o.id WHERE o.host = ? AND o.store = ? AND a.sort < ? LIMIT ?',
      ),
      del: db.prepare('DELETE FROM archive WHERE owner = ? AND sort = ? RETURNING text'),
      lastSort: db.prepare('SELECT max((SELECT max(sort) FROM archive WHERE owner = o.id)) AS m FROM archive_owner o'),
      userOwners: db.prepare('SELECT id FROM archive_owner WHERE host = ? AND user = ?'),
    };
    this.#appendRows = db.transaction((rows: readonly WorkerRow[]) => { this.#append(rows); });
    this.#clearOwner = db.transaction((owner: number) => {
      const texts = this.#stmt.clear.all(owner);
      for (const { text } of texts) this.#release(text);
      return texts.length;
    });
    this.#expire = db.transaction((host: string, store: string, before: number, max: number) => {
      let n = 0;
      for (const r of this.#stmt.expirable.all(host, store, sortAt(before), max)) {
        const gone = this.#stmt.del.get(r.owner, r.sort);
        if (gone === undefined) continue;
        this.#release(gone.text);
        n++;
      }
      return n;
    });
  }

  /** The owner id of (host, store, user); created when `create`. */
  #owner(host: string, store: string, user: string, create: boolean): number | undefined {
    const key = `${host}\u0000${store}\u0000${user}`;
    let id = this.#owners.get(key);
    if (id !== undefined) return id;
    id = this.#stmt.owner.get(host, store, user)?.id;
    if (id === undefined && create) {
      this.#stmt.addOwner.run(host, store, user);
      id = this.#stmt.owner.get(host, store, user)!.id;
    }
    if (id !== undefined) this.#owners.set(key, id);
    return id;
  }

  /** One row fewer refers to the text; the text goes with the last. */
  #release(text: number): void {
    const left = this.#stmt.release.get(text);
    if (left !== undefined && left.refs <= 0) this.#stmt.dropText.run(text);
  }

  append(host: string, store: string, user: string, entries: readonly ArchiveEntry[]): void {
    this.#appendRows(entries.map((entry) => ({ host, store, user, entry })));
  }

  /**
   * Append rows of any archives, in one transaction (joining the caller's). Rows keep their
   * order within each archive; a row whose position the archive holds already is ignored.
   */
  appendRows(rows: readonly WorkerRow[]): void {
    if (rows.length > 0) this.#appendRows(rows);
  }

  #append(rows: readonly WorkerRow[]): void {
    // texts, in the order the rows came: a row with the previous row's text shares it
    const texts: [number, number, string][] = [];
    const inserts: Insert[] = new Array(rows.length);
    let next = (this.#stmt.lastText.get()?.m ?? 0) + 1;
    let text: [number, number, string] | undefined;
    for (let i = 0; i < rows.length; i++) {
      const { host, store, user, entry } = rows[i]!;
      if (text !== undefined && text[2] === entry.value) text[1]++;
      else texts.push(text = [next++, 1, entry.value]);
      inserts[i] = [this.#owner(host, store, user, true)!, entry.sort, entry.with, entry.withResource ?? null, text[0]];
    }
    inserts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    // a position twice in the batch: the first is the one stored, as when it came earlier
    let kept = 0;
    for (let i = 0; i < inserts.length; i++) {
      const r = inserts[i]!;
      const prev = kept > 0 ? inserts[kept - 1]! : undefined;
      if (prev !== undefined && prev[0] === r[0] && prev[1] === r[1]) texts[r[4] - texts[0]![0]]![1]--;
      else inserts[kept++] = r;
    }
    inserts.length = kept;
    this.#insert(texts.filter((t) => t[1] > 0), TEXT_COLS, this.#stmt.insertTexts, this.#stmt.insertText);
    this.#insert(inserts, ROW_COLS, this.#stmt.insertRows, this.#stmt.insertRow, (chunk) => {
      // some positions were there already: their rows were not inserted nor refer to the new texts
      for (const [owner, sort, , , id] of chunk) {
        if (this.#stmt.textOf.get(owner, sort)?.text !== id) this.#release(id);
      }
    });
  }

  /** Insert tuples CHUNK at a time; `partly`: called with a chunk of which some rows were ignored. */
  #insert(
    tuples: readonly (readonly unknown[])[], cols: number, many: Statement<unknown[]>, one: Statement<unknown[]>,
    partly?: (chunk: readonly Insert[]) => void,
  ): void {
    let i = 0;
    if (tuples.length >= CHUNK) {
      const args = new Array<unknown>(CHUNK * cols);
      for (; i + CHUNK <= tuples.length; i += CHUNK) {
        for (let k = 0; k < CHUNK; k++) {
          const t = tuples[i + k]!;
          for (let c = 0; c < cols; c++) args[k * cols + c] = t[c];
        }
        if (many.run(args).changes < CHUNK) partly?.(tuples.slice(i, i + CHUNK) as Insert[]);
      }
    }
    for (; i < tuples.length; i++) {
      if (one.run(tuples[i] as unknown[]).changes === 0) partly?.([tuples[i] as Insert]);
    }
  }

  query(host: string, store: string, user: string, q: ArchiveQuery): ArchiveRow[] {
    const owner = this.#owner(host, store, user, false);
    if (owner === undefined) return [];
    const where = ['owner = ?'];
    const args: (string | number)[] = [owner];
    if (q.with !== undefined) { where.push('with_jid = ?'); args.push(q.with); }
    if (q.withResource !== undefined) { where.push('with_resource = ?'); args.push(q.withResource); }
    if (q.start !== undefined) { where.push('sort >= ?'); args.push(sortAt(q.start)); }
    if (q.end !== undefined) { where.push('sort < ?'); args.push(sortAt(q.end + 1)); }
    if (q.after !== undefined) { where.push('sort > ?'); args.push(q.after); }
    if (q.before !== undefined) { where.push('sort < ?'); args.push(q.before); }
    if (q.ids !== undefined) {
      if (q.ids.length === 0) return [];
      where.push(`sort IN (${q.ids.map(() => '?').join(', ')})`);
      args.push(...q.ids);
    }
    const sql = `SELECT ${COLS} ${FROM} WHERE ${where.join(' AND ')} ORDER BY sort ${q.reverse ? 'DESC' : 'ASC'} LIMIT ?`;
    let stmt = this.#queries.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#queries.size < 256) this.#queries.set(sql, stmt);
    }
    args.push(q.limit === undefined || !Number.isFinite(q.limit) ? -1 : Math.max(0, Math.floor(q.limit)));
    return (stmt.all(...args) as Row[]).map(toRecord);
  }

  has(host: string, store: string, user: string, sort: number): boolean {
    const owner = this.#owner(host, store, user, false);
    return owner !== undefined && this.#stmt.has.get(owner, sort) !== undefined;
  }

  bounds(host: string, store: string, user: string): { first: ArchiveRow; last: ArchiveRow } | undefined {
    const owner = this.#owner(host, store, user, false);
    if (owner === undefined) return undefined;
    const first = this.#stmt.first.get(owner);
    const last = this.#stmt.last.get(owner);
    return first && last ? { first: toRecord(first), last: toRecord(last) } : undefined;
  }

  clear(host: string, store: string, user: string): number {
    const owner = this.#owner(host, store, user, false);
    return owner === undefined ? 0 : this.#clearOwner(owner);
  }

  expire(host: string, store: string, before: number, max: number): number {
    return this.#expire(host, store, before, max);
  }

  lastSort(): number {
    return this.#stmt.lastSort.get()?.m ?? 0;
  }

  purgeUser(host: string, user: string): void {
    for (const { id } of this.#stmt.userOwners.all(host, user)) this.#clearOwner(id);
  }
}
