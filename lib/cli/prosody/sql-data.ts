/**
 * @module cli/prosody/sql-data
 * Prosody's `sql` storage (mod_storage_sql) with the SQLite3 driver, read into the same store
 * importers as the `internal` files: the `prosody` table holds key-value and map stores, one
 * row per top-level key (`host`, `user` ('' for host-wide), `store`, `key`, `type`, `value`;
 * `type` is string / number / boolean / json / xml, and a table's non-string keys are kept as
 * one JSON value under the key ''). Each (host, store, user) group becomes one StoreFile, as a
 * `<store>/<user>.dat` file would. Archive stores (`prosodyarchive`: offline messages, PEP
 * items, room history) are reported, not imported. The database is opened read-only.
 */
import Database from 'better-sqlite3';
import { basename } from 'node:path';
import type { DataImportOptions } from './data-import.js';
import { hostContext } from './data-import.js';
import type { StoreFile } from './importer.js';
import { LuaTable, type LuaValue } from './lua-value.js';
import { importerFor, UNIMPORTED_STORES } from './stores/index.js';

export interface SqlImportOptions extends DataImportOptions {
  /** The SQLite database file (Prosody's `sql.database`, resolved against its data_path). */
  readonly database: string;
  /** Prosody's `sql.driver` (only SQLite3 is read). */
  readonly sqlDriver: string;
}

interface Row { host: string; user: string | null; store: string; key: string | null; type: string; value: string | null }

/** A JSON value as the Lua value util.json decoded it to (integer-like keys are numbers again). */
function fromJson(v: unknown): LuaValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  const t = new LuaTable();
  if (Array.isArray(v)) v.forEach((x, i) => t.entries.push({ key: i + 1, value: fromJson(x) }));
  else for (const [k, x] of Object.entries(v as Record<string, unknown>)) t.entries.push({ key: /^[1-9][0-9]{0,8}$/.test(k) ? Number(k) : k, value: fromJson(x) });
  return t;
}

/** mod_storage_sql's deserialize: the value, or why it cannot be read. */
function deserialize(type: string, value: string | null): { value: LuaValue } | { error: string } {
  const text = value ?? '';
  switch (type) {
    case 'string': return { value: text };
    case 'boolean': return text === 'true' || text === 'false' ? { value: text === 'true' } : { error: 'an invalid boolean' };
    case 'number': { const n = Number(text); return text !== '' && Number.isFinite(n) ? { value: n } : { error: 'an invalid number' }; }
    case 'json': try { return { value: fromJson(JSON.parse(text)) }; } catch { return { error: 'invalid JSON' }; }
    default: return { error: `a value of type '${type}' (not read here)` };
  }
}

/** The rows of one (host, store, user) as keyval_store:get returns them: one table. */
function toTable(rows: Row[], skip: (what: string, why: string) => void): LuaTable {
  const t = new LuaTable();
  for (const r of rows) {
    const v = deserialize(r.type, r.value);
    if ('error' in v) { skip(`key ${JSON.stringify(r.key ?? '')}`, `it holds ${v.error}`); continue; }
    if (r.key === null || r.key === '') {
      // the table's non-string keys (util.json wrote them as strings: the roster's [false] metadata)
      if (v.value instanceof LuaTable) for (const e of v.value.entries) t.entries.push({ key: e.key === 'false' ? false : e.key, value: e.value });
    } else {
      t.entries.push({ key: r.key, value: v.value });
    }
  }
  return t;
}

export function importSqlData(o: SqlImportOptions): void {
  const { report } = o;
  const db = basename(o.database);
  if (o.sqlDriver.toLowerCase() !== 'sqlite3') {
    report.error(`Prosody's sql storage with driver ${JSON.stringify(o.sqlDriver)} is not read here (only SQLite3): move the data to internal storage with Prosody's migrator first`);
    return;
  }
  let rows: Row[];
  let archives: { host: string; store: string; user: string | null; n: number }[] = [];
  try {
    const sqlite = new Database(o.database, { readonly: true, fileMustExist: true });
    try {
      rows = sqlite.prepare('SELECT "host", "user", "store", "key", "type", "value" FROM "prosody" ORDER BY "host", "store", "user", rowid').all() as Row[];
      const hasArchive = sqlite.prepare('SELECT 1 FROM sqlite_master WHERE type = \'table\' AND name = \'prosodyarchive\'').get() !== undefined;
      if (hasArchive) archives = sqlite.prepare('SELECT "host", "store", "user", COUNT(*) AS n FROM "prosodyarchive" GROUP BY "host", "store", "user" ORDER BY "host", "store", "user"').all() as typeof archives;
    } finally {
      sqlite.close();
    }
  } catch (err) {
    report.error(`Prosody's SQL database ${o.database} cannot be read (${(err as Error).message})`);
    return;
  }

  // host -> groups of (store, user), in table order
  const hosts = new Map<string, Map<string, Row[]>>();
  for (const r of rows) {
    const host = r.host.toLowerCase();
    if (!hosts.has(host)) hosts.set(host, new Map());
    const groups = hosts.get(host)!;
    const k = JSON.stringify([r.store, r.user ?? '']);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  for (const [host, groups] of hosts) {
    const component = o.components.get(host);
    if (!o.hosts.includes(host) && component === undefined) {
      report.skip(`${db}: ${host}`, `data of host '${host}'`, 'the host is not a VirtualHost or Component carried over from the config');
      continue;
    }
    const ctx = hostContext(o, host, component);
    const files = [...groups.entries()].map(([k, g]) => {
      const [store, user] = JSON.parse(k) as [string, string];
      return { store, user: user === '' ? undefined : user, rows: g, importer: importerFor(store) };
    });
    // as the file walker: accounts first, host-wide values (user '') last
    files.sort((a, b) => Number(b.importer?.first ?? false) - Number(a.importer?.first ?? false) || Number(a.user === undefined) - Number(b.user === undefined));
    for (const f of files) {
      const where = `${db}: ${host}/${f.store}/${f.user ?? '(host)'}`;
      if (!f.importer) { report.skip(where, `store '${f.store}'`, UNIMPORTED_STORES[f.store] ?? 'no importer for this store'); continue; }
      const value = toTable(f.rows, (what, why) => report.skip(where, what, why));
      f.importer.importFile(ctx, { store: f.store, user: f.user, kind: 'dat', value, where } satisfies StoreFile);
    }
  }
  for (const a of archives) {
    report.skip(`${db}: ${a.host}/${a.store}/${a.user ?? '(host)'}`, `archive store '${a.store}' (${a.n} item${a.n === 1 ? '' : 's'})`,
      'archives in SQL storage (offline messages, PEP items, room history) are not imported in this version');
  }
}
