/**
 * @module cli/prosody/data-import
 * Walks Prosody's `internal` storage folder (`<data>/<host>/<store>/<user>.dat|.list`, every
 * name percent-encoded: `example%2eorg`) and hands each parsed file to the importer of its
 * store (stores/index.ts): accounts first on each host, then the rest. Hosts, stores and files
 * with no importer are reported; a file that does not parse is an error with file:line, and
 * the rest of the import goes on.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeUsername, type Accounts, type StorageDriver } from '../../core/storage/index.js';
import type { ImportContext, StoreFile, StoreImporter } from './importer.js';
import { LuaSyntaxError } from './lua-lexer.js';
import { parseDataFile, parseListFile } from './lua-data.js';
import type { ImportReport } from './report.js';
import { importerFor, UNIMPORTED_STORES } from './stores/index.js';

export interface DataImportOptions {
  /** Prosody's data folder. */
  readonly dataDir: string;
  /** The VirtualHosts carried over by the config conversion. */
  readonly hosts: readonly string[];
  /** The components carried over, with their module. */
  readonly components: ReadonlyMap<string, string>;
  readonly driver: StorageDriver;
  readonly accounts: Accounts;
  readonly report: ImportReport;
  /** An option of the converted config for a host (its section, then global), if set. */
  readonly option?: (host: string, name: string) => unknown;
}

/** Prosody's file-name decoding (util.datamanager): `%2e` -> `.`, bytes read as UTF-8. */
export function decodeName(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const isDir = (p: string): boolean => { try { return statSync(p).isDirectory(); } catch { return false; } };
const fileExt = (name: string): 'dat' | 'list' | undefined => (name.endsWith('.dat') ? 'dat' : name.endsWith('.list') ? 'list' : undefined);

export function importData(o: DataImportOptions): void {
  const { report } = o;
  let entries: string[];
  try {
    entries = readdirSync(o.dataDir).sort();
  } catch (err) {
    report.error(`Prosody's data folder ${o.dataDir} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return;
  }
  for (const entry of entries) {
    const dir = join(o.dataDir, entry);
    if (!isDir(dir)) continue;
    const host = decodeName(entry).toLowerCase();
    const component = o.components.get(host);
    if (!o.hosts.includes(host) && component === undefined) {
      report.skip(entry, `data of host '${host}'`, 'the host is not a VirtualHost or Component carried over from the config');
      continue;
    }
    importHost(o, host, dir, entry, component);
  }
}

/** What the importers of one host get (the file walker here and the SQL reader share it). */
export function hostContext(o: DataImportOptions, host: string, component: string | undefined): ImportContext {
  const { report, accounts } = o;
  return {
    host, component, driver: o.driver, accounts, report,
    option: (name) => o.option?.(host, name),
    account(user) {
      if (user === undefined) return undefined;
      try {
        const name = normalizeUsername(user);
        return accounts.exists(host, name) ? name : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

function importHost(o: DataImportOptions, host: string, dir: string, rel: string, component: string | undefined): void {
  const { report } = o;
  const ctx = hostContext(o, host, component);
  const stores: { store: string; path: string; rel: string; importer?: StoreImporter }[] = [];
  const hostFiles: { store: string; path: string; rel: string; kind: 'dat' | 'list' }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const kind = fileExt(name);
    if (isDir(path)) {
      const store = decodeName(name);
      stores.push({ store, path, rel: `${rel}/${name}`, importer: importerFor(store) });
    } else if (kind) {
      hostFiles.push({ store: decodeName(name.slice(0, -(kind.length + 1))), path, rel: `${rel}/${name}`, kind });
    }
  }
  stores.sort((a, b) => Number(b.importer?.first ?? false) - Number(a.importer?.first ?? false));
  for (const s of stores) {
    const files = readdirSync(s.path).filter((f) => fileExt(f)).sort();
    if (!s.importer) {
      if (files.length) report.skip(s.rel, `store '${s.store}' (${files.length} file${files.length === 1 ? '' : 's'})`, UNIMPORTED_STORES[s.store] ?? 'no importer for this store');
      continue;
    }
    for (const f of files) {
      const kind = fileExt(f)!;
      const parsed = readStoreFile(join(s.path, f), `${s.rel}/${f}`, kind, report);
      if (parsed === undefined) continue;
      s.importer.importFile(ctx, { store: s.store, user: decodeName(f.slice(0, -(kind.length + 1))), kind, value: parsed, where: `${s.rel}/${f}` });
    }
  }
  for (const f of hostFiles) {
    const importer = importerFor(f.store);
    if (!importer) {
      report.skip(f.rel, `host-wide store '${f.store}'`, UNIMPORTED_STORES[f.store] ?? 'no importer for this store');
      continue;
    }
    const parsed = readStoreFile(f.path, f.rel, f.kind, report);
    if (parsed !== undefined) importer.importFile(ctx, { store: f.store, kind: f.kind, value: parsed, where: f.rel } satisfies StoreFile);
  }
}

function readStoreFile(path: string, rel: string, kind: 'dat' | 'list', report: ImportReport): StoreFile['value'] | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return kind === 'dat' ? parseDataFile(text, rel) : parseListFile(text, rel);
  } catch (err) {
    report.error(err instanceof LuaSyntaxError ? err.message : `${rel}: cannot be read (${(err as Error).message})`);
    return undefined;
  }
}
