/**
 * @module storage/sqlite-archive
 * The archive shape in SQLite. Each (host, store, user) gets a small integer owner id; items
 * are clustered by (owner, sort) in a WITHOUT ROWID table, so a user's archive is read in
 * order from one B-tree range, and an index on (owner, with, sort) serves queries by contact.
 * Time bounds need no index: a sort number starts with its time.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import { archiveRow, sortAt, type ArchiveDriver, type ArchiveEntry, type ArchiveQuery, type ArchiveRow } from './archive.js';

export const ARCHIVE_SCHEMA = `
CREATE TABLE IF NOT EXISTS archive_owner (
  id    INTEGER PRIMARY KEY,
  host  TEXT NOT NULL,
  store TEXT NOT NULL,
  user  TEXT NOT NULL,
  UNIQUE (host, store, user)
);
CREATE TABLE IF NOT EXISTS archive (
  owner         INTEGER NOT NULL,
  sort          INTEGER NOT NULL,
  with_jid      TEXT NOT NULL,
  with_resource TEXT,
  value         TEXT NOT NULL,
  PRIMARY KEY (owner, sort)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS archive_with ON archive (owner, with_jid, sort);
`;

interface Row { sort: number; with_jid: string; with_resource: string | null; value: string }

const toRecord = (r: Row): ArchiveRow => archiveRow(r.sort, r.with_jid, r.with_resource, r.value);

export class SqliteArchive implements ArchiveDriver {
  readonly #db: Db;
  readonly #owners = new Map<string, number>();
  readonly #queries = new Map<string, Statement>();
  readonly #stmt: {
    owner: Statement<[string, string, string], { id: number }>;
    addOwner: Statement<[string, string, string]>;
    insert: Statement<[number, number, string, string | null, string]>;
    has: Statement<[number, number], { sort: number }>;
    first: Statement<[number], Row>;
    last: Statement<[number], Row>;
    clear: Statement<[number]>;
    expirable: Statement<[string, string, number, number], { owner: number; sort: number }>;
    del: Statement<[number, number]>;
    lastSort: Statement<[], { m: number | null }>;
    userOwners: Statement<[string, string], { id: number }>;
  };

  constructor(db: Db) {
    this.#db = db;
    db.exec(ARCHIVE_SCHEMA);
    const cols = 'sort, with_jid, with_resource, value';
    this.#stmt = {
      owner: db.prepare('SELECT id FROM archive_owner WHERE host = ? AND store = ? AND user = ?'),
      addOwner: db.prepare('INSERT OR IGNORE INTO archive_owner (host, store, user) VALUES (?, ?, ?)'),
      insert: db.prepare('INSERT OR IGNORE INTO archive (owner, sort, with_jid, with_resource, value) VALUES (?, ?, ?, ?, ?)'),
      has: db.prepare('SELECT sort FROM archive WHERE owner = ? AND sort = ?'),
      first: db.prepare(`SELECT ${cols} FROM archive WHERE owner = ? ORDER BY sort ASC LIMIT 1`),
      last: db.prepare(`SELECT ${cols} FROM archive WHERE owner = ? ORDER BY sort DESC LIMIT 1`),
      clear: db.prepare('DELETE FROM archive WHERE owner = ?'),
      expirable: db.prepare(
        'SELECT a.owner, a.sort FROM archive_owner o JOIN archive a ON a.owner = o.id WHERE o.host = ? AND o.store = ? AND a.sort < ? LIMIT ?',
      ),
      del: db.prepare('DELETE FROM archive WHERE owner = ? AND sort = ?'),
      lastSort: db.prepare('SELECT max((SELECT max(sort) FROM archive WHERE owner = o.id)) AS m FROM archive_owner o'),
      userOwners: db.prepare('SELECT id FROM archive_owner WHERE host = ? AND user = ?'),
    };
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

  append(host: string, store: string, user: string, entries: readonly ArchiveEntry[]): void {
    const owner = this.#owner(host, store, user, true)!;
    const insert = this.#stmt.insert;
    for (const e of entries) insert.run(owner, e.sort, e.with, e.withResource ?? null, e.value);
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
    const sql = `SELECT sort, with_jid, with_resource, value FROM archive WHERE ${where.join(' AND ')} ORDER BY sort ${q.reverse ? 'DESC' : 'ASC'} LIMIT ?`;
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
    return owner === undefined ? 0 : this.#stmt.clear.run(owner).changes;
  }

  expire(host: string, store: string, before: number, max: number): number {
    const rows = this.#stmt.expirable.all(host, store, sortAt(before), max);
    let n = 0;
    for (const r of rows) n += this.#stmt.del.run(r.owner, r.sort).changes;
    return n;
  }

  lastSort(): number {
    return this.#stmt.lastSort.get()?.m ?? 0;
  }

  purgeUser(host: string, user: string): void {
    for (const { id } of this.#stmt.userOwners.all(host, user)) this.#stmt.clear.run(id);
  }
}
