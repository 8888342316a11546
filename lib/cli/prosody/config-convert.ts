/**
 * @module cli/prosody/config-convert
 * Prosody's config (as read by lua-config) to ours: global options, VirtualHost and Component
 * sections, modules_enabled / modules_disabled, and the options both servers share (same name,
 * and a value our option spec accepts). Everything else is reported with file:line and why.
 */
import { relative } from 'node:path';
import { CORE_OPTIONS, type RawConfig } from '../../core/config.js';
import { INVALID, type OptionSpec } from '../../core/options.js';
import type { ModuleDefinition } from '../../core/module-api.js';
import type { ConfigEntry, ConfigSection, ProsodyConfig } from './lua-config.js';
import { findUnsupported, LuaTable, type LuaValue } from './lua-value.js';
import type { ImportReport } from './report.js';

/** Why a Prosody module has no counterpart here (the default: no module of that name). */
const MODULE_REASONS: Record<string, string> = {
  tls: 'built in here: STARTTLS and direct TLS are part of c2s (options certificate and key)',
  dialback: 'no server-to-server (federation) here', s2s: 'no server-to-server (federation) here',
  s2s_bidi: 'no server-to-server (federation) here', s2s_auth_certs: 'no server-to-server (federation) here',
  posix: 'not needed: xmpp-server runs in the foreground (use a service manager)',
  bosh: 'BOSH is not implemented here (clients can use websocket)',
  admin_adhoc: 'no ad-hoc admin commands here', admin_telnet: 'no admin console here', admin_shell: 'no admin console here',
  admin_socket: 'no admin console here',
  vcard_legacy: 'not available here: module vcard serves vcard-temp from its own store',
  auth_internal_hashed: 'built in here: accounts are always stored SCRAM-hashed',
  auth_internal_plain: 'built in here: accounts are always stored SCRAM-hashed',
  storage_internal: 'built in here: storage is SQLite', storage_sql: 'built in here: storage is SQLite',
};

/** Prosody options about the process, which a Node server run by a service manager does not have. */
const PROCESS_OPTIONS = new Set(['pidfile', 'daemonize', 'run_as_root', 'prosody_user', 'prosody_group', 'umask',
  'use_libevent', 'network_backend', 'network_settings', 'installer_plugin_path', 'statistics', 'statistics_interval']);

/** What convertConfig needs to know beyond the Prosody config. */
export interface ConvertOptions {
  /** Our data_path as it should appear in the written config. */
  readonly dataPath: string;
  /** The modules this server has. */
  readonly modules: readonly ModuleDefinition[];
  /** Shown in `where` (paths relative to it). */
  readonly baseDir: string;
}

/** The converted config, and what the data import needs from Prosody's config. */
export interface Converted {
  readonly config: RawConfig;
  /** Prosody's data_path (absolute or relative to its config), if set. */
  readonly prosodyDataPath?: string;
  /** Prosody's global storage backend: `sql` (mod_storage_sql) with its `sql` settings, or internal files. */
  readonly prosodySql?: { readonly driver: string; readonly database: string };
  /** The VirtualHosts carried over. */
  readonly hosts: string[];
  /** The components carried over, with their module. */
  readonly components: Map<string, string>;
}

type Target = Record<string, unknown>;

export function convertConfig(parsed: ProsodyConfig, opts: ConvertOptions, report: ImportReport): Converted {
  const specs = new Map<string, OptionSpec<unknown>>();
  for (const [name, spec] of Object.entries(CORE_OPTIONS)) specs.set(name, spec as OptionSpec<unknown>);
  for (const def of opts.modules) for (const [name, spec] of Object.entries(def.options ?? {})) if (!specs.has(name)) specs.set(name, spec);
  const moduleNames = new Set(opts.modules.map((m) => m.name));
  const where = (e: { file: string; line: number }): string => `${relative(opts.baseDir, e.file) || e.file}:${e.line}`;

  const global: Target = { data_path: opts.dataPath };
  const VirtualHost: Record<string, Target> = {};
  const Component: Record<string, Target> = {};
  let prosodyDataPath: string | undefined;
  let storageSql = false;
  let sqlSettings = { driver: 'SQLite3', database: 'prosody.sqlite' }; // mod_storage_sql's defaults
  const components = new Map<string, string>();

  const convertEntry = (section: ConfigSection, e: ConfigEntry, target: Target): void => {
    const skip = (why: string): void => report.skip(where(e), `option '${e.name}'`, why);
    const unsupported = findUnsupported(e.value);
    if (unsupported) return skip(`its value uses ${unsupported.what} (line ${unsupported.line}); the importer never runs Lua`);
    const isGlobal = section.kind === 'global';
    switch (e.name) {
      case 'data_path':
        if (typeof e.value === 'string' && isGlobal) prosodyDataPath = e.value;
        return;
      case 'sql':
        if (isGlobal && e.value instanceof LuaTable) {
          const driver = e.value.get('driver');
          const database = e.value.get('database');
          sqlSettings = { driver: typeof driver === 'string' ? driver : sqlSettings.driver, database: typeof database === 'string' ? database : sqlSettings.database };
          return;
        }
        return skip('the sql settings are read from the global section only');
      case 'storage': case 'default_storage':
        if (e.value === 'sql' && isGlobal) storageSql = true;
        if (e.value === 'internal' || e.value === 'sql') report.note(`${where(e)}: ${e.name} = ${JSON.stringify(e.value)}: storage here is SQLite under data_path`);
        else skip('storage here is SQLite under data_path');
        return;
      case 'authentication':
        if (e.value === 'internal_hashed' || e.value === 'internal_plain') return;
        return skip(`authentication ${JSON.stringify(e.value)} is not available here (accounts are stored SCRAM-hashed in SQLite)`);
      case 'modules_enabled': case 'modules_disabled':
        return convertModules(e, target, moduleNames, report, where(e));
      case 'ssl':
        return convertSsl(e, target, report, where(e));
      case 'enabled':
        return; // handled per section
      case 'component_secret': case 'component_ports': case 'component_interfaces':
        return skip('external components (XEP-0114) are not supported here');
      case 'log':
        return convertLog(e, target, report, where(e));
      default: break;
    }
    if (PROCESS_OPTIONS.has(e.name)) return skip('not needed: xmpp-server runs in the foreground under a service manager');
    const spec = specs.get(e.name);
    if (!spec) return skip('no option of that name here');
    if (spec.scope === 'global' && !isGlobal) return skip('a global option here: set it at the top level');
    const value = toJson(e.value, spec);
    if (value === undefined || spec.parse(value) === INVALID) {
      return skip(`its value ${describe(e.value)} is not ${spec.describe}`);
    }
    target[e.name] = value;
  };

  for (const section of parsed.sections) {
    const enabled = section.entries.filter((e) => e.name === 'enabled').pop();
    const name = section.name.toLowerCase();
    if (enabled && enabled.value === false) {
      report.skip(where(section), `${section.kind} '${section.name}'`, 'it is disabled (enabled = false)');
      continue;
    }
    if (section.kind === 'global') {
      for (const e of section.entries) convertEntry(section, e, global);
    } else if (section.kind === 'VirtualHost') {
      const target: Target = VirtualHost[name] ?? {};
      VirtualHost[name] = target;
      for (const e of section.entries) convertEntry(section, e, target);
    } else if (section.module === undefined) {
      report.skip(where(section), `Component '${section.name}'`, 'external components (XEP-0114) are not supported here');
    } else if (!moduleNames.has(section.module)) {
      report.skip(where(section), `Component '${section.name}' (module '${section.module}')`, `no module '${section.module}' here yet`);
    } else {
      const target: Target = { module: section.module };
      Component[name] = target;
      components.set(name, section.module);
      for (const e of section.entries) convertEntry(section, e, target);
    }
  }
  for (const n of parsed.notes) report.skip(`${relative(opts.baseDir, n.file) || n.file}:${n.line}`, 'Lua statement', n.message);
  const config: RawConfig = { ...global, VirtualHost };
  if (components.size) config.Component = Component;
  return { config, prosodyDataPath, prosodySql: storageSql ? sqlSettings : undefined, hosts: Object.keys(VirtualHost), components };
}

function convertModules(e: ConfigEntry, target: Target, known: ReadonlySet<string>, report: ImportReport, where: string): void {
  const list = e.value instanceof LuaTable ? e.value.sequence() : undefined;
  if (!list || list.some((m) => typeof m !== 'string')) {
    report.skip(where, `option '${e.name}'`, 'it is not a list of module names');
    return;
  }
  const kept: string[] = [];
  for (const m of list as string[]) {
    if (known.has(m)) kept.push(m);
    else if (e.name === 'modules_enabled') report.skip(where, `module '${m}'`, MODULE_REASONS[m] ?? `no module '${m}' here yet`);
  }
  target[e.name] = kept;
}

function convertSsl(e: ConfigEntry, target: Target, report: ImportReport, where: string): void {
  if (!(e.value instanceof LuaTable)) {
    report.skip(where, "option 'ssl'", 'it is not a table');
    return;
  }
  for (const [k, v] of e.value.fields()) {
    if ((k === 'certificate' || k === 'key') && typeof v === 'string') target[k] = v;
    else report.skip(where, `option 'ssl.${k}'`, 'TLS settings here are certificate and key (Node\'s defaults for the rest)');
  }
}

const LEVELS = ['debug', 'info', 'warn', 'error'];

/** `log = "*console"`, `{ info = "file"; error = "file" }` or `{ { levels = { min = "info" }, to = ... } }`: the least level. */
function convertLog(e: ConfigEntry, target: Target, report: ImportReport, where: string): void {
  const found: string[] = [];
  if (e.value instanceof LuaTable) {
    for (const { key, value } of e.value.entries) {
      if (typeof key === 'string' && LEVELS.includes(key)) found.push(key);
      if (value instanceof LuaTable) {
        const levels = value.get('levels');
        const min = levels instanceof LuaTable ? levels.get('min') : undefined;
        if (typeof min === 'string' && LEVELS.includes(min)) found.push(min);
        for (const l of levels instanceof LuaTable ? levels.ipairs() : []) if (typeof l === 'string' && LEVELS.includes(l)) found.push(l);
      }
    }
  }
  if (found.length) target.log_level = LEVELS.find((l) => found.includes(l));
  report.skip(where, "option 'log'", `log sinks are not carried over: the server logs JSON to stdout${found.length ? ` (log_level ${String(target.log_level)} kept)` : ''}`);
}

/** A Lua value as JSON, shaped as the spec expects an empty table to be; undefined when it has no JSON form. */
export function toJson(v: LuaValue, spec?: OptionSpec<unknown>): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (!(v instanceof LuaTable)) return undefined;
  if (v.entries.length === 0) {
    return spec && spec.parse([]) !== INVALID ? [] : {};
  }
  const seq = v.sequence();
  if (seq) {
    const out = seq.map((x) => toJson(x));
    return out.includes(undefined) ? undefined : out;
  }
  const obj: Record<string, unknown> = {};
  for (const { key, value } of v.entries) {
    if (typeof key !== 'string') return undefined;
    const j = toJson(value);
    if (j === undefined) return undefined;
    obj[key] = j;
  }
  return obj;
}

function describe(v: LuaValue): string {
  const j = toJson(v);
  const s = j === undefined ? 'a Lua table' : JSON.stringify(j);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
