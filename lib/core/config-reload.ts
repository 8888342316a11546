/**
 * @module config-reload
 * Apply a config read again (SIGHUP, the admin shell's `config reload`) to a running server.
 * What can change live does: the log level, session options (for sessions that start from now
 * on), modules enabled or disabled, and modules whose options changed (reloaded with the new
 * ones). What cannot is reported and keeps its running value until a restart: data_path,
 * storage, sql*, plugin_paths, scram_iterations, archive_commit_*, certificates, VirtualHosts and components added or
 * removed, and the options of modules that carry client connections (ports, interfaces...).
 */
import { isDeepStrictEqual } from 'node:util';
import type { ConfigReloadReport } from './admin-api.js';
import { Config, CORE_OPTIONS, type RawConfig } from './config.js';
import { SESSION_OPTIONS } from './session-options.js';
import type { Server } from './server.js';

/** Core options read once at start. */
const RESTART_CORE = ['data_path', 'storage', 'sql', 'sql_pool_size', 'sql_query_timeout', 'plugin_paths', 'scram_iterations', 'archive_commit_interval', 'archive_commit_max_rows'] as const;
/** Per-host core options read once at start. */
const RESTART_HOST = ['certificate', 'key'] as const;

/**
 * Apply `next` to `server`; the returned report says what took effect, what needs a restart and
 * what failed. Nothing changes when `next` has an invalid option on a host that stays.
 * @throws XS_ERR_OPTION_INVALID, XS_ERR_MODULE_NOT_FOUND, XS_ERR_MODULE_DEPENDENCY (before any change)
 */
export async function applyConfig(server: Server, next: Config): Promise<ConfigReloadReport> {
  const old = server.config;
  const report = { applied: [] as string[], restart: [] as string[], failed: [] as string[] };
  const effective = keepHosts(old, next, report.restart);
  for (const key of RESTART_CORE) {
    if (!isDeepStrictEqual(old.raw('*', key), effective.raw('*', key))) report.restart.push(`${key}: changed (needs a restart)`);
  }
  for (const host of old.servedNames()) {
    for (const key of RESTART_HOST) {
      if (!isDeepStrictEqual(old.raw(host, key), effective.raw(host, key))) report.restart.push(`${key} of ${host}: changed (needs a restart)`);
    }
  }

  // Validate before changing anything: every host's module plan with the new options.
  const level = effective.option('*', 'log_level', CORE_OPTIONS.log_level, 'core');
  server.replaceConfig(effective);
  const plans = new Map<string, string[]>();
  try {
    for (const host of effective.servedNames()) plans.set(host, server.modules.plan(host).map((step) => step.name));
    for (const host of effective.servedNames()) effective.options(host, SESSION_OPTIONS, 'c2s');
  } catch (err) {
    server.replaceConfig(old);
    throw err;
  }

  if (level !== server.log.level) {
    server.log.level = level;
    report.applied.push(`log_level: ${level}`);
  }
  for (const key of Object.keys(SESSION_OPTIONS)) {
    if (effective.servedNames().some((h) => !isDeepStrictEqual(old.raw(h, key), effective.raw(h, key)))) {
      report.applied.push(`${key}: applies to sessions that start from now on`);
    }
  }

  const { modules } = server;
  // Modules whose declared options changed (on a host that runs them), by module: hosts.
  const changed = new Map<string, Set<string>>();
  for (const [host, wanted] of plans) {
    for (const name of modules.loadedNames(host)) {
      if (!wanted.includes(name)) continue;
      const keys = changedOptions(server, old, effective, host, name);
      if (keys.length === 0) continue;
      if (modules.definition(name)?.carriesConnections === true) {
        for (const key of keys) report.restart.push(`${key} (module ${name}): changed (needs a restart, or 'module reload ${name}', which ends its connections)`);
        continue;
      }
      let hosts = changed.get(name);
      if (hosts === undefined) changed.set(name, (hosts = new Set()));
      hosts.add(host);
    }
  }

  for (const [host, wanted] of plans) {
    for (const name of modules.loadedNames(host).reverse()) {
      if (wanted.includes(name) || !modules.isLoaded(host, name)) continue;
      await step(report, `module ${name} unloaded on ${host}`, () => modules.unload(host, name));
    }
  }
  for (const [name, hosts] of changed) {
    const global = modules.definition(name)?.global === true;
    const where = global ? 'every host' : [...hosts].join(', ');
    const reload = async (): Promise<void> => {
      // A global module reloads everywhere (its own instance reads the global options again).
      const on = global ? effective.servedNames().filter((h) => modules.isLoaded(h, name)) : [...hosts];
      const back = new Map<string, string[]>();
      for (const h of on) back.set(h, await modules.unload(h, name));
      for (const [h, names] of back) for (const n of names.reverse()) await modules.load(h, n);
    };
    await step(report, `module ${name} reloaded on ${where} (options changed)`, reload);
  }
  for (const [host, wanted] of plans) {
    for (const name of wanted) {
      if (modules.isLoaded(host, name)) continue;
      await step(report, `module ${name} loaded on ${host}`, () => modules.load(host, name));
    }
  }
  return report;
}

/** Run one change; a failure is reported (and logged), not thrown: the others still apply. */
async function step(report: { applied: string[]; failed: string[] }, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
    report.applied.push(what);
  } catch (err) {
    report.failed.push(`${what}: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** The options `name` declares whose value for `host` (or the global one) differs between the configs. */
function changedOptions(server: Server, old: Config, next: Config, host: string, name: string): string[] {
  const specs = server.modules.definition(name)?.options ?? {};
  const out: string[] = [];
  for (const [key, spec] of Object.entries(specs)) {
    if (key in SESSION_OPTIONS) continue; // read per session, never by reloading a module
    const where = spec.scope === 'global' ? '*' : host;
    if (!isDeepStrictEqual(old.raw(where, key), next.raw(where, key))) out.push(key);
  }
  return out;
}

/**
 * `next` with the running server's hosts: VirtualHosts and components added or removed (or a
 * component given another module) need a restart; until then the old sections stay in force.
 */
function keepHosts(old: Config, next: Config, restart: string[]): Config {
  const vhosts: Record<string, Record<string, unknown>> = {};
  for (const [name, section] of old.hosts) vhosts[name] = { ...(next.hosts.get(name) ?? section) };
  const components: Record<string, Record<string, unknown>> = {};
  for (const [name, c] of old.components) {
    const n = next.components.get(name);
    const same = n !== undefined && n.module === c.module;
    components[name] = { module: c.module, ...(same ? n.options : c.options) };
    if (n !== undefined && !same) restart.push(`Component ${name}: module changed from ${c.module} to ${n.module} (needs a restart)`);
  }
  for (const name of next.hosts.keys()) if (!old.hosts.has(name)) restart.push(`VirtualHost ${name}: added (needs a restart)`);
  for (const name of old.hosts.keys()) if (!next.hosts.has(name)) restart.push(`VirtualHost ${name}: removed (needs a restart)`);
  for (const name of next.components.keys()) if (!old.components.has(name)) restart.push(`Component ${name}: added (needs a restart)`);
  for (const name of old.components.keys()) if (!next.components.has(name)) restart.push(`Component ${name}: removed (needs a restart)`);
  const raw: RawConfig = { ...next.global, VirtualHost: vhosts };
  if (old.components.size > 0) raw.Component = components;
  return new Config(raw, next.file);
}
