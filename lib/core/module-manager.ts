/**
 * @module module-manager
 * Which modules run on each host (Prosody's rule: autoload + global modules_enabled − global
 * modules_disabled, + host modules_enabled − host modules_disabled), in dependency order, with
 * options validated before anything runs; load, unload and reload.
 */
import { ServerError, describeValue, isServerError } from './errors.js';
import { INVALID } from './options.js';
import { ModuleInstance } from './module-api.js';
import type { ModuleDefinition } from './module-api.js';
import { CORE_EVENTS, matchesEvent } from './event-catalog.js';
import { CORE_OPTIONS, DEFAULT_MODULES, type Config } from './config.js';
import { importModule, candidates, validateDefinition } from './module-loader.js';
import type { Host } from './host.js';
import type { Logger } from './log.js';
import type { ServerApi } from './server-api.js';

/** Loaded on every host whenever they are registered (Prosody's autoload_modules). */
export const AUTOLOAD = Object.freeze(['c2s', 'bind', 'presence', 'message', 'iq', 'offline']);

export interface ManagerDeps {
  /** The current config (read on each use: a config reload replaces it). */
  readonly config: Config;
  readonly log: Logger;
  readonly server: ServerApi;
  readonly global: Host;
  host(name: string): Host;
}

/** A module's place in the plan: its definition and validated options for one host. */
interface Planned {
  readonly def: ModuleDefinition;
  readonly options: unknown;
}

export class ModuleManager {
  readonly #deps: ManagerDeps;
  readonly #registry = new Map<string, ModuleDefinition>();
  /** host -> module name -> its API instance on that host. */
  readonly #loaded = new Map<string, Map<string, ModuleInstance>>();
  /** Global modules' own instances, what their load() returned, and the hosts that use each. */
  readonly #globals = new Map<string, { api: ModuleInstance; state: unknown; hosts: Set<string> }>();
  /** Hooked event names nobody declares, reported once each. */
  readonly #undeclared = new Set<string>();

  constructor(deps: ManagerDeps) {
    this.#deps = deps;
  }

  /** Add a module definition under its name (built-in or third-party). */
  register(def: ModuleDefinition, as = def.name): void {
    validateDefinition(def);
    this.#registry.set(as, def);
  }

  definition(name: string): ModuleDefinition | undefined {
    return this.#registry.get(name);
  }

  definitions(): ModuleDefinition[] {
    return [...new Set(this.#registry.values())];
  }

  /**
   * Whether `name` runs on `host` by the configuration (Prosody's rule: autoload, global and
   * host modules_enabled, minus modules_disabled). `host` '*' asks about the global list.
   */
  isEnabled(name: string, host: string): boolean {
    if (host !== '*') return this.enabledNames(host).includes(name);
    const { config } = this.#deps;
    const enabled = Array.isArray(config.global.modules_enabled) ? config.global.modules_enabled : DEFAULT_MODULES;
    const disabled = Array.isArray(config.global.modules_disabled) ? config.global.modules_disabled : [];
    return (enabled.includes(name) || AUTOLOAD.includes(name)) && !disabled.includes(name);
  }

  /** Report (once, outside production) a hook of an event that neither the core nor a module declares. */
  #checkEvent = (event: string, module: string): void => {
    if (process.env.NODE_ENV === 'production' || this.#undeclared.has(event)) return;
    if (matchesEvent(event, CORE_EVENTS)) return;
    for (const def of this.#registry.values()) if (def.events && matchesEvent(event, def.events)) return;
    this.#undeclared.add(event);
    this.#deps.log.warn({ event, module }, 'hooking an event that no module declares (misspelt? declare it in defineModule({ events }))');
  };

  /**
   * The names of the modules enabled on `host`, before dependencies (Prosody's get_modules_for_host).
   * A component runs its own module and its section's modules_enabled, nothing global or autoloaded.
   */
  enabledNames(host: string): string[] {
    const { config } = this.#deps;
    const component = config.components.get(host);
    const list = (section: Readonly<Record<string, unknown>> | undefined, key: 'modules_enabled' | 'modules_disabled', where: string, fallback: readonly string[] = []): readonly string[] => {
      if (!section || !Object.hasOwn(section, key)) return fallback;
      const value = CORE_OPTIONS[key].parse(section[key]);
      if (value === INVALID) {
        throw new ServerError('XS_ERR_OPTION_INVALID', { option: key, module: 'core', host: where, expected: CORE_OPTIONS[key].describe, got: describeValue(section[key]) });
      }
      return value;
    };
    if (component !== undefined) {
      const own = new Set([component.module, ...list(component.options, 'modules_enabled', host)]);
      for (const name of list(component.options, 'modules_disabled', host)) if (name !== component.module) own.delete(name);
      return [...own];
    }
    const globalEnabled = list(config.global, 'modules_enabled', '*', DEFAULT_MODULES);
    const globalDisabled = new Set(list(config.global, 'modules_disabled', '*'));
    const hostSection = config.hosts.get(host);
    const hostEnabled = list(hostSection, 'modules_enabled', host);
    const hostDisabled = new Set(list(hostSection, 'modules_disabled', host));
    const out = new Set<string>();
    for (const name of AUTOLOAD) if (this.#registry.has(name) && !globalDisabled.has(name)) out.add(name);
    for (const name of globalEnabled) if (!globalDisabled.has(name)) out.add(name);
    for (const name of hostEnabled) out.add(name);
    for (const name of hostDisabled) out.delete(name);
    return [...out];
  }

  /** Whether modules_disabled (global or the host's) names `name` for `host`. */
  #isDisabled(host: string, name: string): boolean {
    const { config } = this.#deps;
    const disabled = (s: Readonly<Record<string, unknown>> | undefined): unknown[] => (s && Array.isArray(s.modules_disabled) ? s.modules_disabled : []);
    const component = config.components.get(host);
    if (component !== undefined) return disabled(component.options).includes(name);
    const hostEnabled = config.hosts.get(host)?.modules_enabled;
    if (disabled(config.hosts.get(host)).includes(name)) return true;
    return disabled(config.global).includes(name) && !(Array.isArray(hostEnabled) && hostEnabled.includes(name));
  }

  /** Import third-party modules that modules_enabled names and the registry lacks. */
  async resolveThirdParty(pluginPaths: readonly string[]): Promise<void> {
    for (const host of this.#deps.config.servedNames()) {
      for (const name of this.enabledNames(host)) {
        if (this.#registry.has(name)) continue;
        const def = await importModule(name, pluginPaths);
        if (!def) {
          const searched = ['built-in modules', ...candidates(name, pluginPaths), `package '${name}'`].join(', ');
          throw new ServerError('XS_ERR_MODULE_NOT_FOUND', { module: name, host, searched });
        }
        this.register(def, name);
        if (def.name !== name && !this.#registry.has(def.name)) this.#registry.set(def.name, def);
        this.#deps.log.info({ module: name, from: def.name }, 'third-party module found');
      }
    }
  }

  /**
   * The load order for one host: dependencies first, each module once, options validated.
   * @throws XS_ERR_MODULE_NOT_FOUND, XS_ERR_MODULE_DEPENDENCY (unknown, disabled, cycle), XS_ERR_OPTION_INVALID
   */
  plan(host: string, names = this.enabledNames(host)): { name: string; planned: Planned }[] {
    const order: { name: string; planned: Planned }[] = [];
    const done = new Set<string>();
    const visit = (name: string, path: string[], requiredBy?: string): void => {
      if (done.has(name)) return;
      if (path.includes(name)) {
        throw new ServerError('XS_ERR_MODULE_DEPENDENCY', { module: path[0]!, host, reason: `dependency cycle ${[...path, name].join(' -> ')}` });
      }
      const def = this.#registry.get(name);
      if (!def) {
        if (requiredBy) throw new ServerError('XS_ERR_MODULE_DEPENDENCY', { module: requiredBy, host, reason: `it depends on unknown module '${name}'` });
        throw new ServerError('XS_ERR_MODULE_NOT_FOUND', { module: name, host, searched: 'built-in and registered modules' });
      }
      if (requiredBy && this.#isDisabled(host, name)) {
        throw new ServerError('XS_ERR_MODULE_DEPENDENCY', { module: requiredBy, host, reason: `it depends on '${name}', which modules_disabled disables on this host` });
      }
      for (const dep of def.depends ?? []) visit(dep, [...path, name], name);
      done.add(name);
      const options = this.#deps.config.options(host, def.options ?? {}, name);
      if (def.global) this.#deps.config.options('*', def.options ?? {}, name);
      order.push({ name, planned: { def, options } });
    };
    for (const name of names) visit(name, []);
    return order;
  }

  /** Plan every host, then load them all; nothing runs until every plan is valid. */
  async loadAll(): Promise<void> {
    const plans = this.#deps.config.servedNames().map((host) => ({ host, steps: this.plan(host) }));
    for (const { host, steps } of plans) {
      for (const { name, planned } of steps) await this.#loadPlanned(host, name, planned);
    }
  }

  /** Load one module (and its dependencies) on a host. */
  async load(host: string, name: string): Promise<ModuleInstance> {
    this.#deps.host(host);
    for (const { name: n, planned } of this.plan(host, [name])) await this.#loadPlanned(host, n, planned);
    return this.#loaded.get(host)!.get(name)!;
  }

  /** The API instance of a module on a host ('*' for a global module's own), if loaded. */
  get(host: string, name: string): ModuleInstance | undefined {
    if (host === '*') return this.#globals.get(name)?.api;
    return this.#loaded.get(host)?.get(name);
  }

  /** Names of the modules loaded on a host, in load order. */
  loadedNames(host: string): string[] {
    if (host === '*') return [...this.#globals.keys()];
    return [...(this.#loaded.get(host)?.keys() ?? [])];
  }

  isLoaded(host: string, name: string): boolean {
    return this.get(host, name) !== undefined;
  }

  async #loadPlanned(host: string, name: string, { def, options }: Planned): Promise<void> {
    if (this.#loaded.get(host)?.has(name)) return;
    const log = this.#deps.log;
    try {
      if (def.global) {
        let g = this.#globals.get(name);
        if (!g) {
          const api = this.#api('*', name, this.#deps.config.options('*', def.options ?? {}, name));
          g = { api, state: undefined, hosts: new Set() };
          this.#globals.set(name, g);
          g.state = await def.load?.(api as never);
        }
        g.hosts.add(host);
        const hostApi = this.#api(host, name, options);
        this.#hostMap(host).set(name, hostApi);
        await def.addHost?.(hostApi as never, g.state);
      } else {
        const api = this.#api(host, name, options);
        this.#hostMap(host).set(name, api);
        await def.load?.(api as never);
      }
    } catch (err) {
      await this.unload(host, name).catch(() => undefined);
      await this.#dropUnusedGlobal(name);
      if (isServerError(err)) throw err;
      throw new ServerError('XS_ERR_MODULE_LOAD', { module: name, host, reason: (err as Error)?.message ?? String(err) }, { cause: err });
    }
    log.debug({ host, module: name }, 'module loaded');
  }

  /** Unload a module from a host; modules on that host that depend on it unload first. */
  async unload(host: string, name: string): Promise<string[]> {
    const unloaded: string[] = [];
    const map = this.#loaded.get(host);
    if (!map?.has(name)) return unloaded;
    for (const other of [...map.keys()].reverse()) {
      if (other !== name && map.has(other) && this.#registry.get(other)?.depends?.includes(name)) {
        unloaded.push(...(await this.unload(host, other)));
      }
    }
    const api = map.get(name)!;
    const def = this.#registry.get(name)!;
    map.delete(name);
    try {
      if (!def.global) await def.unload?.(api as never, undefined);
    } finally {
      await api.dispose();
    }
    if (def.global) {
      this.#globals.get(name)?.hosts.delete(host);
      await this.#dropUnusedGlobal(name);
    }
    unloaded.push(name);
    this.#deps.log.debug({ host, module: name }, 'module unloaded');
    return unloaded;
  }

  /** Unload then load again (re-reading options); dependents that unloaded come back too. */
  async reload(host: string, name: string): Promise<void> {
    const unloaded = await this.unload(host, name);
    const again = unloaded.length ? unloaded.reverse() : [name];
    for (const n of again) await this.load(host, n);
  }

  /** Unload everything, hosts in reverse order, modules in reverse load order. */
  async unloadAll(): Promise<void> {
    for (const host of [...this.#loaded.keys()].reverse()) {
      for (const name of [...(this.#loaded.get(host)?.keys() ?? [])].reverse()) {
        await this.unload(host, name).catch((err: unknown) => this.#deps.log.error({ err, host, module: name }, 'module unload failed'));
      }
    }
  }

  /** Unload a global module's own instance once no host uses it (also after a failed load). */
  async #dropUnusedGlobal(name: string): Promise<void> {
    const g = this.#globals.get(name);
    if (!g || g.hosts.size > 0) return;
    this.#globals.delete(name);
    try { await this.#registry.get(name)?.unload?.(g.api as never, g.state); } finally { await g.api.dispose(); }
  }

  #hostMap(host: string): Map<string, ModuleInstance> {
    let map = this.#loaded.get(host);
    if (!map) this.#loaded.set(host, (map = new Map()));
    return map;
  }

  #api(host: string, name: string, options: unknown): ModuleInstance {
    const h = host === '*' ? this.#deps.global : this.#deps.host(host);
    return new ModuleInstance({
      name, host, options,
      log: this.#deps.log.child({ host, module: name }),
      server: this.#deps.server,
      events: h.events,
      globalEvents: this.#deps.global.events,
      items: h.items,
      checkEvent: this.#checkEvent,
    });
  }
}
