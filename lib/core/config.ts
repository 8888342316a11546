/**
 * @module config
 * Load and validate the config (JSON file or JS module), and look options up per host:
 * the host's VirtualHost or Component section first, then the global section (Prosody's order).
 */
import { readFile } from 'node:fs/promises';
import { resolve, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerError, describeValue } from './errors.js';
import { INVALID, option, type OptionSpec, type OptionSpecs, type OptionValues } from './options.js';
import { LOG_LEVELS, type LogLevel } from './log.js';
import { LOG_OPTION } from './log-sinks.js';
import { SQL_OPTION } from './storage/sql-config.js';

/** A config object as written by the operator. */
export interface RawConfig {
  [option: string]: unknown;
  VirtualHost?: Record<string, Record<string, unknown>>;
  /** Prosody's `Component "name" "module"`: `{ "name": { "module": "muc", ...options } }`. */
  Component?: Record<string, Record<string, unknown>>;
}

/** A component: a host whose stanzas go to one module (Prosody's `Component "name" "module"`). */
export interface ComponentSection {
  readonly name: string;
  /** The module that serves it. */
  readonly module: string;
  /** Its options (without `module`). */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * The modules a config without modules_enabled gets (DESIGN.md), plus those Prosody 0.12's
 * prosody.cfg.lua.dist enables that exist here (carbons, private, version, uptime, time,
 * blocklist, admin_shell), mam (the IM essentials issue makes it a default), and tombstones
 * (so that a deleted account's name is not handed to someone else by default).
 */
export const DEFAULT_MODULES = Object.freeze([
  'roster', 'saslauth', 'disco', 'ping', 'websocket', 'smacks', 'csi_simple', 'carbons', 'mam',
  'private', 'version', 'uptime', 'time', 'tombstones', 'blocklist', 'pep', 'vcard4', 'vcard_legacy',
  'bookmarks', 'admin_shell',
]);

/** Options the core itself reads (module options are declared by their modules). */
export const CORE_OPTIONS = {
  data_path: option.string({ default: './data', scope: 'global', doc: 'Folder for the SQLite file and other data.' }),
  storage: option.oneOf(['sqlite', 'sql', 'memory'], { default: 'sqlite', scope: 'global', doc: 'Storage driver: "sqlite" (a file under data_path), "sql" (PostgreSQL or SQLite3 as the `sql` option says, as in Prosody) or "memory" (loses everything at stop).' }),
  sql: SQL_OPTION,
  sql_pool_size: option.integer({
    default: 10, min: 1, max: 1000, scope: 'global',
    doc: 'PostgreSQL: the most connections storage calls use at once (the archive writer has one more of its own).',
  }),
  sql_query_timeout: option.number({
    default: 5, min: 0.1, max: 600, scope: 'global',
    doc: 'PostgreSQL: seconds one storage call may take (connecting included) before it fails with XS_ERR_STORAGE; the event loop waits at most this long.',
  }),
  log_level: option.oneOf(LOG_LEVELS as readonly LogLevel[], { default: 'info' as LogLevel, scope: 'global', doc: 'Least severe level logged (by the console, or by the `log` sinks that name no levels).' }),
  log: LOG_OPTION,
  plugin_paths: option.array(option.string({ default: '' }), { default: [], scope: 'global', doc: 'Folders searched for third-party modules.' }),
  modules_enabled: option.array(option.string({ default: '' }), { default: DEFAULT_MODULES, doc: 'Modules to load (global list plus the host\'s own).' }),
  modules_disabled: option.array(option.string({ default: '' }), { default: [], doc: 'Modules not to load, even if autoloaded or enabled globally.' }),
  certificate: option.string<string | undefined>({ default: undefined, doc: 'PEM certificate file for the host (STARTTLS, direct TLS, HTTPS by SNI).' }),
  key: option.string<string | undefined>({ default: undefined, doc: 'PEM private key file for the host\'s certificate.' }),
  name: option.string<string | undefined>({ default: undefined, doc: 'A component\'s name, shown in the server\'s disco#items (Prosody\'s `name`).' }),
  archive_commit_interval: option.number({
    default: 0.05, min: 0, max: 10, scope: 'global',
    doc: 'Seconds between commits of archived messages (SQLite or PostgreSQL, written by a worker thread) while messages keep coming; an idle server commits at once. Longer gathers more rows per commit (cheaper per message, much so with many users); stream management acks and archive queries wait for the commit. 0 = every event-loop turn.',
  }),
  archive_commit_max_rows: option.integer({
    default: 20000, min: 1, max: 1_000_000, scope: 'global',
    doc: 'Archived messages that make a commit at once, before archive_commit_interval has passed (bounds the memory and the length of one commit).',
  }),
  gc_after_sessions_closed: option.integer({
    default: 1000, min: 0, max: 100_000_000, scope: 'global',
    doc: 'After this many sessions closed (and at least as many as are still open), one compacting garbage collection once the server is quiet (gc_quiet_delay), and a young-generation one 6 s later, so that their memory goes back to the system instead of staying with the process until something allocates (the pause: about 40-100 ms on 2 busy cores, logged at info). 0 = never (V8 decides alone). Takes effect at start.',
  }),
  gc_quiet_delay: option.number({
    default: 2, min: 0.1, max: 3600, scope: 'global',
    doc: 'Seconds without a session closing, the event loop idle at least half of them, before the collection of gc_after_sessions_closed runs (a busy server waits another delay). Takes effect at start.',
  }),
  scram_iterations: option.integer({ default: 10000, min: 4096, max: 10_000_000, scope: 'global', doc: 'PBKDF2 iteration count for new SCRAM credentials.' }),
} satisfies OptionSpecs;

export type CoreOptions = OptionValues<typeof CORE_OPTIONS>;

const HOST_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]+(?:\.[a-z0-9-]+)*$|^\[[0-9a-f:.]+\]$/;

/** A validated config: the global section, each VirtualHost's section and each component's. */
export class Config {
  readonly file: string | undefined;
  readonly global: Readonly<Record<string, unknown>>;
  /** VirtualHost sections: the hosts users log in to. */
  readonly hosts: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Component sections, in config order. */
  readonly components: ReadonlyMap<string, ComponentSection>;
  /** Every host's own section: VirtualHosts and components (what option lookup reads). */
  readonly #sections = new Map<string, Readonly<Record<string, unknown>>>();

  constructor(raw: RawConfig, file?: string) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ServerError('XS_ERR_CONFIG_INVALID', { path: '(root)', expected: 'an object', got: describeValue(raw) });
    }
    this.file = file;
    const { VirtualHost: vhosts, Component: components, ...global } = raw;
    this.global = Object.freeze(global);
    const vh = vhosts ?? { localhost: {} };
    if (typeof vh !== 'object' || vh === null || Array.isArray(vh)) {
      throw new ServerError('XS_ERR_CONFIG_INVALID', { path: 'VirtualHost', expected: 'an object mapping host names to option objects', got: describeValue(vh) });
    }
    const hosts = new Map<string, Readonly<Record<string, unknown>>>();
    for (const [name, section] of Object.entries(vh)) {
      if (!HOST_NAME.test(name)) {
        throw new ServerError('XS_ERR_CONFIG_INVALID', { path: `VirtualHost`, expected: 'lower-case domain names as keys', got: JSON.stringify(name) });
      }
      const s = section ?? {};
      if (typeof s !== 'object' || Array.isArray(s)) {
        throw new ServerError('XS_ERR_CONFIG_INVALID', { path: `VirtualHost.${name}`, expected: 'an object of options', got: describeValue(section) });
      }
      if ('VirtualHost' in s) {
        throw new ServerError('XS_ERR_CONFIG_INVALID', { path: `VirtualHost.${name}.VirtualHost`, expected: 'absent (VirtualHost sections do not nest)', got: 'a nested section' });
      }
      hosts.set(name, Object.freeze({ ...s }));
    }
    if (hosts.size === 0) {
      throw new ServerError('XS_ERR_CONFIG_INVALID', { path: 'VirtualHost', expected: 'at least one host', got: '{}' });
    }
    this.hosts = hosts;
    this.components = parseComponents(components, hosts);
    for (const [name, section] of hosts) this.#sections.set(name, section);
    for (const [name, c] of this.components) this.#sections.set(name, c.options);
  }

  /** VirtualHost names, in config order. */
  hostNames(): string[] {
    return [...this.hosts.keys()];
  }

  /** Component names, in config order. */
  componentNames(): string[] {
    return [...this.components.keys()];
  }

  /** Every served host: VirtualHosts, then components. */
  servedNames(): string[] {
    return [...this.#sections.keys()];
  }

  /** A host's own section (VirtualHost or component), if the config has it. */
  section(host: string): Readonly<Record<string, unknown>> | undefined {
    return this.#sections.get(host);
  }

  /** The raw value of `name` for `host` ('*' = global): host section, then global section. */
  raw(host: string, name: string): unknown {
    if (host !== '*') {
      const section = this.#sections.get(host);
      if (section && Object.hasOwn(section, name)) return section[name];
    }
    return Object.hasOwn(this.global, name) ? this.global[name] : undefined;
  }

  /** Where `name` is set for `host`: 'host', 'global' or undefined (default). */
  source(host: string, name: string): 'host' | 'global' | undefined {
    const section = host !== '*' ? this.#sections.get(host) : undefined;
    if (section !== undefined && Object.hasOwn(section, name)) return 'host';
    return Object.hasOwn(this.global, name) ? 'global' : undefined;
  }

  /**
   * Resolve and validate one option for a host. Global-scope options read only the global section.
   * @throws XS_ERR_OPTION_INVALID naming the option, module, host, expected and actual value.
   */
  option<T>(host: string, name: string, spec: OptionSpec<T>, module: string): T {
    const raw = spec.scope === 'global' ? this.raw('*', name) : this.raw(host, name);
    if (raw === undefined) return spec.default;
    const value = spec.parse(raw);
    if (value === INVALID) {
      throw new ServerError('XS_ERR_OPTION_INVALID', { option: name, module, host, expected: spec.describe, got: describeValue(raw) });
    }
    return value;
  }

  /** Resolve every spec of a table for a host (see option()). */
  options<S extends OptionSpecs>(host: string, specs: S, module: string): OptionValues<S> {
    const out: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(specs)) out[name] = this.option(host, name, spec, module);
    return Object.freeze(out) as OptionValues<S>;
  }

  /** Every option key set anywhere in the config, with where it was set. */
  keys(): { key: string; where: string }[] {
    const out = Object.keys(this.global).map((key) => ({ key, where: 'global' }));
    for (const [host, section] of this.hosts) for (const key of Object.keys(section)) out.push({ key, where: `VirtualHost ${host}` });
    for (const [host, c] of this.components) for (const key of Object.keys(c.options)) out.push({ key, where: `Component ${host}` });
    return out;
  }
}

/**
 * Validate the Component section: lower-case domain names that are not also VirtualHosts,
 * each an object with a `module` name (Prosody's `Component "name" "module"`).
 * @throws XS_ERR_CONFIG_INVALID naming the component and what was expected.
 */
function parseComponents(raw: unknown, hosts: ReadonlyMap<string, unknown>): Map<string, ComponentSection> {
  const out = new Map<string, ComponentSection>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ServerError('XS_ERR_CONFIG_INVALID', { path: 'Component', expected: 'an object mapping component names to { "module": ..., options }', got: describeValue(raw) });
  }
  for (const [name, section] of Object.entries(raw as Record<string, unknown>)) {
    if (!HOST_NAME.test(name)) {
      throw new ServerError('XS_ERR_CONFIG_INVALID', { path: 'Component', expected: 'lower-case domain names as keys', got: JSON.stringify(name) });
    }
    if (hosts.has(name)) {
      throw new ServerError('XS_ERR_CONFIG_INVALID', { path: `Component.${name}`, expected: 'a name that is not also a VirtualHost', got: 'a VirtualHost of the same name' });
    }
    if (typeof section !== 'object' || section === null || Array.isArray(section)) {
      throw new ServerError('XS_ERR_CONFIG_INVALID', { path: `Component.${name}`, expected: 'an object with "module" and the component\'s options', got: describeValue(section) });
    }
    const { module, ...options } = section as Record<string, unknown>;
    if (typeof module !== 'string' || !/^[a-z0-9_:.@/-]+$/i.test(module)) {
      throw new ServerError('XS_ERR_CONFIG_INVALID', { path: `Component.${name}.module`, expected: 'the name of the module that serves the component (e.g. "muc")', got: describeValue(module) });
    }
    for (const nested of ['VirtualHost', 'Component']) {
      if (nested in options) {
        throw new ServerError('XS_ERR_CONFIG_INVALID', { path: `Component.${name}.${nested}`, expected: 'absent (sections do not nest)', got: 'a nested section' });
      }
    }
    out.set(name, Object.freeze({ name, module, options: Object.freeze(options) }));
  }
  return out;
}

/**
 * Read a config file: `.json`, or a JS module (`.js`/`.mjs`) whose default export is the object.
 * @throws XS_ERR_CONFIG_LOAD when the file cannot be read or parsed.
 */
export async function loadConfigFile(file: string): Promise<Config> {
  const path = resolve(file);
  let raw: unknown;
  try {
    if (extname(path) === '.json') {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } else if (['.js', '.mjs', '.cjs'].includes(extname(path))) {
      const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
      raw = mod.default;
    } else {
      throw new Error('the file name must end in .json, .js or .mjs');
    }
  } catch (err) {
    throw new ServerError('XS_ERR_CONFIG_LOAD', { file: path, reason: (err as Error).message }, { cause: err });
  }
  return new Config(raw as RawConfig, path);
}
