/**
 * @module cli/import-prosody
 * `xmpp-server import-prosody --config prosody.cfg.lua [--data DIR] --out config.json
 * [--data-path OURS] [--force]`: converts Prosody's config to ours and imports its `internal`
 * file storage (accounts with their credentials, rosters, vCards, private XML, offline
 * messages, PEP, MUC rooms), or its `sql` storage when the config says so (SQLite3 databases;
 * key-value and map stores), into SQLite under our data_path, then prints what was imported and what was not,
 * with why. Lua is never run. Exit codes: 0 done, 1 a parse error or unreadable input (the
 * report says which), 2 usage error. An existing --out file is kept unless --force.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Accounts, openStorage } from '../core/storage/index.js';
import { MECHANISMS } from '../modules/saslauth/index.js';
import { BUILTIN_MODULES } from '../modules/index.js';
import { convertConfig } from './prosody/config-convert.js';
import { importData } from './prosody/data-import.js';
import { importSqlData } from './prosody/sql-data.js';
import { readProsodyConfig } from './prosody/lua-config.js';
import { LuaSyntaxError } from './prosody/lua-lexer.js';
import { ImportReport } from './prosody/report.js';

export const IMPORT_USAGE = `Usage:
  xmpp-server import-prosody --config prosody.cfg.lua --out config.json [--data DIR] [--data-path OURS] [--force]
    --config     Prosody's config file (read, never run)
    --data       Prosody's data folder (default: its data_path, else /var/lib/prosody)
    --out        the config file to write (an existing one is kept unless --force)
    --data-path  our data folder for the SQLite store (default: data/ next to --out)`;

interface Output { write(s: string): unknown }

/** Run the command; returns the exit code. */
export function importProsody(argv: string[], out: Output, err: Output): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' }, data: { type: 'string' }, out: { type: 'string', short: 'o' },
        'data-path': { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    err.write(`${(e as Error).message}\n${IMPORT_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${IMPORT_USAGE}\n`);
    return 0;
  }
  if (!values.config || !values.out) {
    err.write(`import-prosody needs --config and --out\n${IMPORT_USAGE}\n`);
    return 2;
  }
  const outFile = resolve(values.out);
  if (existsSync(outFile) && !values.force) {
    err.write(`${outFile} exists already; nothing was imported (use --force to overwrite it)\n`);
    return 1;
  }
  let parsed;
  try {
    parsed = readProsodyConfig(values.config);
  } catch (e) {
    err.write(e instanceof LuaSyntaxError ? `Parse error: ${e.message}\n` : `Cannot read ${values.config}: ${(e as Error).message}\n`);
    return 1;
  }
  const configDir = dirname(resolve(values.config));
  const dataPath = resolve(values['data-path'] ?? resolve(dirname(outFile), 'data'));
  const fromOut = relative(dirname(outFile), dataPath);
  const report = new ImportReport();
  const converted = convertConfig(parsed, {
    dataPath: fromOut === '' ? '.' : !fromOut.startsWith('..') && !isAbsolute(fromOut) ? fromOut : dataPath,
    modules: BUILTIN_MODULES,
    baseDir: configDir,
  }, report);
  if (converted.hosts.length === 0) {
    err.write(`${values.config}: no VirtualHost to import (a config needs at least one)\n`);
    return 1;
  }
  const dataDir = resolve(values.data ?? (converted.prosodyDataPath ? resolve(configDir, converted.prosodyDataPath) : '/var/lib/prosody'));

  mkdirSync(dataPath, { recursive: true });
  const driver = openStorage('sqlite', { dataPath });
  try {
    const iterations = typeof converted.config.scram_iterations === 'number' ? converted.config.scram_iterations : 10000;
    const accounts = new Accounts(driver, { iterations });
    const data = { dataDir, hosts: converted.hosts, components: converted.components, driver, accounts, report,
      option: (host: string, name: string) => hostOption(converted.config, host, name) };
    // mod_storage_sql: the database path is relative to Prosody's data_path
    if (converted.prosodySql) importSqlData({ ...data, database: resolve(dataDir, converted.prosodySql.database), sqlDriver: converted.prosodySql.driver });
    else importData(data);
    restrictMechanisms(converted.config, report);
  } finally {
    driver.close();
  }
  writeFileSync(outFile, `${JSON.stringify(converted.config, null, 2)}\n`);
  out.write(`Read ${parsed.files.length} config file(s) and ${dataDir}\nWrote ${outFile} (data_path ${dataPath})\n`);
  out.write(report.format());
  return report.errors.length ? 1 : 0;
}

/**
 * Accounts imported with SCRAM-SHA-1 keys only cannot answer SCRAM-SHA-256, and a client
 * picks its mechanism before the server knows who it is: on such hosts SCRAM-SHA-256 is not
 * offered (as Prosody did not offer it), until those users have changed their passwords.
 */
/** An option for a host in our config: the host's section (VirtualHost or Component), then global. */
function hostOption(config: Record<string, unknown>, host: string, name: string): unknown {
  for (const kind of ['VirtualHost', 'Component']) {
    const section = (config[kind] as Record<string, Record<string, unknown>> | undefined)?.[host];
    if (section && name in section) return section[name];
  }
  return config[name];
}

function restrictMechanisms(config: Record<string, unknown>, report: ImportReport): void {
  const vhosts = config.VirtualHost as Record<string, Record<string, unknown>>;
  for (const [host, section] of Object.entries(vhosts)) {
    const sha1Only = report.countOf(host, 'accounts with SHA-1 keys only');
    if (!sha1Only) continue;
    const current = (section.sasl_mechanisms ?? config.sasl_mechanisms ?? MECHANISMS) as string[];
    section.sasl_mechanisms = current.filter((m) => !m.startsWith('SCRAM-SHA-256'));
    report.note(`${host}: ${sha1Only} account(s) have SCRAM-SHA-1 keys only (Prosody's default), so sasl_mechanisms leaves out SCRAM-SHA-256 there; `
      + 'PLAIN and SCRAM-SHA-1 work with the old passwords, and a password change gives both keys.');
  }
}
