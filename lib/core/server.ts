/**
 * @module server
 * The Server: owns the config, hosts, module manager, storage and the lifecycle
 * (start, graceful stop). No global state: many servers can run in one process.
 */
import { resolve } from 'node:path';
import { CertificateStore } from './certificates.js';
import { Config, CORE_OPTIONS, type CoreOptions, type RawConfig } from './config.js';
import { ServerError } from './errors.js';
import type { EventBus } from './events.js';
import { Host } from './host.js';
import type { ItemRecord } from './items.js';
import { createLogger, type Logger } from './log.js';
import { resolveSinkFiles } from './log-sinks.js';
import type { ModuleDefinition } from './module-api.js';
import { ModuleManager } from './module-manager.js';
import type { ServerApi } from './server-api.js';
import { LocalRouter, type RouteGate, type Router } from './router.js';
import type { Session } from './session-view.js';
import { LocalSessionRegistry } from './sessions.js';
import type { Element } from './xml.js';
import { Accounts } from './storage/accounts.js';
import { openStorage } from './storage/index.js';
import { WriteQueue } from './write-queue.js';
import { Archives, type Archive } from './archives.js';
import type { ServerControl } from './admin-api.js';
import { Control } from './server-control.js';
import type { StorageDriver } from './storage/store.js';
import { TimedStorage } from './storage/timed.js';
import { ServerStats } from './stats.js';
import { MemoryRelease } from './memory-release.js';

export interface ServerOptions {
  /** Module definitions available by name (the built-ins, plus any the caller adds). */
  readonly modules?: readonly ModuleDefinition[];
  /** A logger to use instead of one built from log_level. */
  readonly logger?: Logger;
  /** A storage driver to use instead of the configured one (tests). */
  readonly storage?: StorageDriver;
}

export type ServerState = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

export class Server implements ServerApi {
  readonly log: Logger;
  readonly events: EventBus;
  readonly modules: ModuleManager;
  readonly core: CoreOptions;
  /** Client sessions. */
  readonly sessions: LocalSessionRegistry;
  /** The stanza router (replaceable for a cluster). */
  readonly router: Router;
  readonly #router: LocalRouter;
  /** Each VirtualHost's certificate and key, read on first use (see ServerApi.certificates). */
  readonly certificates: CertificateStore;
  /** Batched storage writes (see ServerApi.deferWrite). */
  readonly writes: WriteQueue;
  /** Archives for modules (ModuleApi.openArchive). */
  readonly archives: Archives;
  /** Module and config reloads, shutdown (see ServerApi.control). */
  readonly control: ServerControl;
  #config: Config;
  /** The core's counters (see ServerApi.stats). */
  readonly stats = new ServerStats();
  readonly #global: Host;
  readonly #hosts = new Map<string, Host>();
  /** One collection after many sessions closed (memory-release.ts). */
  readonly #release: MemoryRelease;
  #storage: StorageDriver | undefined;
  #accounts: Accounts | undefined;
  #state: ServerState = 'new';
  #warned = new Set<string>();

  /** @throws XS_ERR_CONFIG_INVALID, XS_ERR_OPTION_INVALID for the core's own options */
  constructor(config: Config | RawConfig, options: ServerOptions = {}) {
    this.#config = config instanceof Config ? config : new Config(config);
    this.core = this.config.options('*', CORE_OPTIONS, 'core');
    const base = this.config.file ? resolve(this.config.file, '..') : process.cwd();
    this.log = options.logger ?? createLogger({ level: this.core.log_level, sinks: this.core.log && resolveSinkFiles(this.core.log, base) });
    if (options.storage !== undefined) this.#storage = new TimedStorage(options.storage, this.stats);
    this.writes = new WriteQueue(() => this.storage, this.log);
    this.archives = new Archives(() => this.storage, this.writes);
    this.#global = new Host('*');
    this.events = this.#global.events;
    this.certificates = new CertificateStore(this.config);
    for (const name of this.config.servedNames()) this.#hosts.set(name, new Host(name));
    this.#release = new MemoryRelease({
      threshold: this.core.gc_after_sessions_closed,
      quietMs: this.core.gc_quiet_delay * 1000,
      openSessions: () => this.sessions.count,
      collected: ({ closed, ms }) => this.log.info({ closed, ms: Math.round(ms * 10) / 10 }, 'garbage collected after many sessions closed'),
    });
    this.sessions = new LocalSessionRegistry(this, () => this.#release.sessionClosed());
    this.router = this.#router = new LocalRouter({
      log: this.log,
      isLocalHost: (name) => this.#hosts.has(name), // VirtualHosts and components
      hostEvents: (name) => this.#hosts.get(name)?.events,
      session: (full) => this.sessions.get(full),
    });
    const current = (): Config => this.#config;
    this.modules = new ModuleManager({
      get config() { return current(); },
      log: this.log,
      server: this,
      global: this.#global,
      host: (name) => this.host(name),
    });
    for (const def of options.modules ?? []) this.modules.register(def);
    this.control = new Control(this);
  }

  /** The current config (replaced by a config reload). */
  get config(): Config {
    return this.#config;
  }

  /** @internal (config-reload.ts) put `next` in place of the current config. */
  replaceConfig(next: Config): void {
    this.#config = next;
    this.sessions.resetSettings();
  }

  get state(): ServerState {
    return this.#state;
  }

  get stopping(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped';
  }

  get hostNames(): readonly string[] {
    return this.config.hostNames();
  }

  get componentNames(): readonly string[] {
    return this.config.componentNames();
  }

  isLocalHost(name: string): boolean {
    return this.config.hosts.has(name);
  }

  isComponent(name: string): boolean {
    return this.config.components.has(name);
  }

  servesHost(name: string): boolean {
    return this.#hosts.has(name);
  }

  /** @throws XS_ERR_HOST_UNKNOWN */
  host(name: string): Host {
    const host = this.#hosts.get(name);
    if (!host) throw new ServerError('XS_ERR_HOST_UNKNOWN', { host: name });
    return host;
  }

  /** Items of a kind provided on the global pseudo-host '*'. */
  globalItems(kind: string): readonly ItemRecord[] {
    return this.#global.items.get(kind);
  }

  hostEvents(name: string): EventBus | undefined {
    return this.#hosts.get(name)?.events;
  }

  /** The storage driver, opened on first use (sqlite under data_path by default), timed into `stats.storage`. */
  get storage(): StorageDriver {
    this.#storage ??= new TimedStorage(openStorage(this.core.storage, {
      dataPath: this.dataPath, sql: this.core.sql, poolSize: this.core.sql_pool_size, queryTimeoutMs: this.core.sql_query_timeout * 1000,
    }), this.stats);
    return this.#storage;
  }

  deferWrite(write: () => void): void {
    this.writes.defer(write);
  }

  flushWrites(): void {
    this.writes.flush();
  }

  whenStored(): Promise<void> {
    this.writes.flush();
    return this.archives.stored();
  }

  archive(host: string, store: string): Archive {
    return this.archives.open(host, store);
  }

  moduleEnabled(name: string, host: string): boolean {
    return this.modules.isEnabled(name, host);
  }

  /** Route a stanza (see ServerApi.route). */
  route(stanza: Element, origin?: Session): void {
    this.router.route(stanza, origin);
  }

  /** Route a stanza another node gated for this one (see ServerApi.routeHere). */
  routeHere(stanza: Element): void {
    this.#router.routeHere(stanza);
  }

  /** Install or remove a host's route gate (see ServerApi.setRouteGate). */
  setRouteGate(host: string, gate: RouteGate | undefined): void {
    this.#router.setGate(host, gate);
  }

  get accounts(): Accounts {
    this.#accounts ??= new Accounts(this.storage, {
      iterations: this.core.scram_iterations,
      // Every deletion path (in-band, admin tools, the command line) is announced on the host.
      deleted: (host, username) => {
        this.archives.purgeUser(host, username); // rows still on their way to storage go too
        this.#hosts.get(host)?.events.fire('user-deleted', { username, host });
      },
    });
    return this.#accounts;
  }

  /** data_path, resolved against the config file's folder (or the working directory). */
  get dataPath(): string {
    const base = this.config.file ? resolve(this.config.file, '..') : process.cwd();
    return resolve(base, this.core.data_path);
  }

  /** Add a module definition before start (third-party modules built in code). */
  registerModule(def: ModuleDefinition): void {
    if (this.#state !== 'new') throw new ServerError('XS_ERR_ALREADY_STARTED', { action: 'register a module' });
    this.modules.register(def);
  }

  /**
   * Resolve modules, validate every option, load every module on every host, fire server-started.
   * On failure everything loaded is unloaded again and the error is rethrown.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new ServerError('XS_ERR_ALREADY_STARTED', { action: 'start the server' });
    this.#state = 'starting';
    try {
      const pluginBase = this.config.file ? resolve(this.config.file, '..') : process.cwd();
      await this.modules.resolveThirdParty(this.core.plugin_paths.map((p) => resolve(pluginBase, p)));
      for (const host of this.config.servedNames()) this.modules.plan(host);
      this.#warnUnknownKeys();
      await this.modules.loadAll();
      this.storage.startBackgroundWork?.({
        fallback: this.archives.direct,
        commitMs: this.core.archive_commit_interval * 1000,
        maxBatch: this.core.archive_commit_max_rows,
        onError: (message) => { this.log.error({ reason: message }, 'storage background work'); },
      });
      this.#state = 'started';
      this.events.fire('server-started', { server: this });
      this.log.info({ hosts: this.hostNames }, 'server started');
    } catch (err) {
      this.#state = 'stopping';
      await this.modules.unloadAll();
      await this.#closeStorage();
      this.#state = 'stopped';
      throw err;
    }
  }

  /** Fire server-stopping, unload every module (they close their sessions), close storage. */
  async stop(reason = 'shutdown'): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#state = 'stopping';
    this.#release.stop();
    this.log.info({ reason }, 'server stopping');
    this.events.fire('server-stopping', { server: this, reason });
    await this.modules.unloadAll();
    this.events.fire('server-stopped', { server: this, reason });
    await this.#closeStorage();
    this.#state = 'stopped';
    this.log.info('server stopped');
  }

  async #closeStorage(): Promise<void> {
    if (this.#storage === undefined) return;
    this.writes.flush();
    try {
      await this.#storage.stopBackgroundWork?.(); // the worker writes what it holds first
    } catch (err) {
      this.log.error({ err }, 'storage background work did not stop cleanly');
    }
    this.writes.flush(); // anything that fell back to the event loop meanwhile
    this.#storage.close();
  }

  /** Config keys that neither the core nor any registered module declares. */
  unknownKeys(): { key: string; where: string }[] {
    const known = new Set<string>(Object.keys(CORE_OPTIONS));
    for (const def of this.modules.definitions()) for (const key of Object.keys(def.options ?? {})) known.add(key);
    return this.config.keys().filter(({ key }) => !known.has(key));
  }

  /** Warn once about each unknown config key (a typo, or a module that is not installed). */
  #warnUnknownKeys(): void {
    for (const { key, where } of this.unknownKeys()) {
      if (this.#warned.has(key)) continue;
      this.#warned.add(key);
      this.log.warn({ option: key, where }, 'unknown config option (misspelt, or its module is not installed)');
    }
  }
}
