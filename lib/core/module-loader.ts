/**
 * @module module-loader
 * Find third-party modules by name: a file in one of `plugin_paths` (`<name>.js`, `<name>.mjs`,
 * `mod_<name>.js`, `<name>/index.js`), a path, or an npm package name. The default export
 * must be a module definition (what defineModule returns).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerError } from './errors.js';
import type { ModuleDefinition } from './module-api.js';

/** Where `name` would be looked for, in order (for the not-found message). */
export function candidates(name: string, pluginPaths: readonly string[]): string[] {
  if (name.startsWith('.') || isAbsolute(name)) return [resolve(name)];
  const files = pluginPaths.flatMap((dir) => [
    join(dir, `${name}.js`), join(dir, `${name}.mjs`), join(dir, `mod_${name}.js`), join(dir, name, 'index.js'),
  ]).map((f) => resolve(f));
  return files;
}

/**
 * Import the definition of a third-party module, or return undefined when nothing is found.
 * @throws XS_ERR_MODULE_DEFINITION when something is found but is not a module definition.
 */
export async function importModule(name: string, pluginPaths: readonly string[]): Promise<ModuleDefinition | undefined> {
  for (const file of candidates(name, pluginPaths)) {
    if (existsSync(file)) return checkDefinition(name, await import(pathToFileURL(file).href));
  }
  if (/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) {
    try {
      return checkDefinition(name, await import(name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`'${name}'`)) return undefined;
      throw err;
    }
  }
  return undefined;
}

function checkDefinition(name: string, mod: unknown): ModuleDefinition {
  const def = (mod as { default?: unknown }).default ?? mod;
  if (typeof def !== 'object' || def === null || typeof (def as ModuleDefinition).name !== 'string') {
    throw new ServerError('XS_ERR_MODULE_DEFINITION', { module: name, reason: 'the default export is not a module definition (use defineModule({ name, ... }))' });
  }
  validateDefinition(def as ModuleDefinition);
  return def as ModuleDefinition;
}

/** Reject definitions the manager cannot run. @throws XS_ERR_MODULE_DEFINITION */
export function validateDefinition(def: ModuleDefinition): void {
  const fail = (reason: string): never => { throw new ServerError('XS_ERR_MODULE_DEFINITION', { module: String(def.name), reason }); };
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(def.name)) fail('name must be lower-case letters, digits, _ or -');
  for (const hook of ['load', 'addHost', 'unload'] as const) {
    if (def[hook] !== undefined && typeof def[hook] !== 'function') fail(`${hook} must be a function`);
  }
  if (def.addHost && !def.global) fail('addHost is only for global modules (set global: true)');
  if (def.depends && (!Array.isArray(def.depends) || !def.depends.every((d) => typeof d === 'string'))) fail('depends must be an array of module names');
}
