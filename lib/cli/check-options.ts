/**
 * @module check-options
 * The option checks of `xmpp-server check`, made to report every problem in one run: each
 * option of the core and of every module on every host validated on its own, global-only
 * options placed in a VirtualHost or Component section, and unknown names explained (Prosody
 * names mapped to ours, "did you mean" for a near miss).
 */
import { Config, CORE_OPTIONS, type RawConfig } from '../core/config.js';
import { isServerError } from '../core/errors.js';
import type { OptionSpec, OptionSpecs } from '../core/options.js';
import type { Server } from '../core/server.js';
import { PROSODY_ONLY } from './prosody-names.js';

export interface Report {
  ok(text: string): void;
  problem(text: string): void;
  warn(text: string): void;
}

/**
 * Validate the core's global options one by one; return a config without the invalid ones
 * (so that the rest can still be checked).
 */
export function checkCoreOptions(config: Config, report: Report): Config {
  const bad: string[] = [];
  for (const [name, spec] of Object.entries(CORE_OPTIONS) as [string, OptionSpec<unknown>][]) {
    try {
      config.option('*', name, spec, 'core');
    } catch (err) {
      if (!isServerError(err)) throw err;
      report.problem(err.message);
      bad.push(name);
    }
  }
  if (bad.length === 0) return config;
  const global = Object.fromEntries(Object.entries(config.global).filter(([k]) => !bad.includes(k)));
  const raw: RawConfig = { ...global, VirtualHost: Object.fromEntries(config.hosts) };
  if (config.components.size) raw.Component = Object.fromEntries([...config.components].map(([n, c]) => [n, { module: c.module, ...c.options }]));
  return new Config(raw, config.file);
}

/** The modules of a host with their dependencies, as far as they are known (no throwing). */
function closure(server: Server, host: string): string[] {
  const out: string[] = [];
  const visit = (name: string): void => {
    if (out.includes(name)) return;
    out.push(name);
    for (const dep of server.modules.definition(name)?.depends ?? []) visit(dep);
  };
  for (const name of server.modules.enabledNames(host)) visit(name);
  return out;
}

/** Every option of every module on every host, each validated on its own. Returns the problem count. */
export function checkModuleOptions(server: Server, report: Report): number {
  const seen = new Set<string>();
  let problems = 0;
  for (const host of server.config.servedNames()) {
    let names: string[];
    try {
      names = closure(server, host);
    } catch (err) {
      // An invalid modules_enabled or modules_disabled (said once when it is the global one).
      const message = (err as Error).message;
      if (!seen.has(message)) {
        report.problem(message);
        problems++;
      }
      seen.add(message);
      continue;
    }
    for (const name of names) {
      const def = server.modules.definition(name);
      if (!def) continue;
      for (const [option, spec] of Object.entries(def.options ?? {} as OptionSpecs)) {
        for (const where of def.global ? [host, '*'] : [host]) {
          try {
            server.config.option(where, option, spec, name);
          } catch (err) {
            if (!isServerError(err)) throw err;
            // A global or global-scope option fails the same way on every host: say it once.
            const key = spec.scope === 'global' || server.config.source(host, option) !== 'host' ? `${name}/${option}` : `${host}/${name}/${option}`;
            if (seen.has(key)) continue;
            seen.add(key);
            problems++;
            report.problem(err.message);
          }
        }
      }
    }
  }
  return problems;
}

/** The specs every registered module and the core declare, by option name. */
function declared(server: Server): Map<string, OptionSpec<unknown>[]> {
  const out = new Map<string, OptionSpec<unknown>[]>();
  const add = (specs: OptionSpecs): void => {
    for (const [name, spec] of Object.entries(specs)) out.set(name, [...(out.get(name) ?? []), spec]);
  };
  add(CORE_OPTIONS);
  for (const def of server.modules.definitions()) add(def.options ?? {});
  return out;
}

/** Options that only the global section sets, found in a VirtualHost or Component section. */
export function checkGlobalOnly(server: Server, report: Report): void {
  const specs = declared(server);
  for (const { key, where } of server.config.keys()) {
    if (where === 'global') continue;
    const list = specs.get(key);
    if (!list || !list.every((s) => s.scope === 'global')) continue;
    report.problem(`option '${key}' (${where}) can only be set globally: move it to the top level of the config (in a section it is ignored)`);
  }
}

/** Unknown names: a Prosody name and what to use, or the nearest known name. */
export function checkUnknownKeys(server: Server, report: Report): void {
  const known = [...declared(server).keys()];
  for (const { key, where } of server.unknownKeys()) {
    const prosody = PROSODY_ONLY[key];
    if (prosody !== undefined) {
      report.warn(`option '${key}' (${where}) is Prosody's, not this server's: ${prosody}`);
      continue;
    }
    const near = nearest(key, known);
    report.warn(`unknown option '${key}' (${where}): ${near ? `did you mean '${near}'?` : 'misspelt, or its module is not installed'}`);
  }
}

/** The known name closest to `name` (edit distance at most 2, or 3 for long names), if any. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const limit = name.length >= 10 ? 3 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Damerau-Levenshtein distance (optimal string alignment: a swap of neighbours counts 1). */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
