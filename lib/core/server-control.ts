/**
 * @module server-control
 * The core's ServerControl (`server.control`, admin-api.ts): module reloads, config reloads and
 * shutdown for administration modules. One reload at a time: a second waits for the first.
 */
import type { ConfigReloadReport, ServerControl } from './admin-api.js';
import { loadConfigFile } from './config.js';
import { applyConfig } from './config-reload.js';
import { ServerError } from './errors.js';
import type { Server } from './server.js';

export class Control implements ServerControl {
  readonly #server: Server;
  /** The reload in progress (module or config), so that reloads never interleave. */
  #busy: Promise<unknown> = Promise.resolve();

  constructor(server: Server) {
    this.#server = server;
  }

  loadedModules(host: string): string[] {
    return this.#server.modules.loadedNames(host);
  }

  reloadModule(name: string, host?: string): Promise<string[]> {
    return this.#exclusive(() => reloadModule(this.#server, name, host));
  }

  reloadConfig(): Promise<ConfigReloadReport> {
    return this.#exclusive(async () => {
      const server = this.#server;
      const file = server.config.file;
      if (file === undefined) {
        throw new ServerError('XS_ERR_CONFIG_LOAD', { file: '(none)', reason: 'the server was started without a config file (--config), so there is nothing to read again' });
      }
      const next = await loadConfigFile(file);
      const report = await applyConfig(server, next);
      server.log.info({ applied: report.applied.length, restart: report.restart, failed: report.failed }, 'config reloaded');
      try {
        server.events.fire('config-reloaded', { config: server.config, report });
      } catch (err) {
        server.log.error({ err }, 'a config-reloaded handler failed');
      }
      return report;
    });
  }

  shutdown(reason = 'shutdown'): Promise<void> {
    return this.#server.stop(reason);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(fn, fn);
    this.#busy = run.catch(() => undefined);
    return run;
  }
}

/**
 * Reload `name` on `host`, or wherever it is loaded; a global module everywhere (so that its
 * own instance reads its global options again). Dependents unloaded with it come back.
 */
export async function reloadModule(server: Server, name: string, host?: string): Promise<string[]> {
  const { modules } = server;
  const def = modules.definition(name);
  const everywhere = host === undefined || def?.global === true;
  const hosts = everywhere ? server.config.servedNames().filter((h) => modules.isLoaded(h, name)) : [host];
  if (hosts.length === 0 || !hosts.every((h) => modules.isLoaded(h, name))) {
    throw new ServerError('XS_ERR_MODULE_NOT_FOUND', { module: name, host: host ?? '*', searched: 'the modules loaded on the server' });
  }
  const unloaded = new Map<string, string[]>();
  for (const h of hosts) unloaded.set(h, await modules.unload(h, name));
  const done: string[] = [];
  for (const [h, names] of unloaded) {
    for (const n of names.reverse()) {
      await modules.load(h, n);
      done.push(`${h}: ${n}`);
    }
  }
  server.log.info({ module: name, reloaded: done }, 'module reloaded');
  return done;
}
