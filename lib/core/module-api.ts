/**
 * @module module-api
 * What a module is (`defineModule`) and what it receives (`ModuleApi`): hooks typed by the
 * declared events, items and services, timers, storage and a child logger, all bound to one
 * (host, module) pair. Everything registered through it is recorded and removed when the
 * module unloads. `ModuleInstance` is the core's implementation; modules see the interface.
 */
import type { EventBus, EventName, Handler, PayloadOf } from './events.js';
import type { ItemOf, ItemRecord, ItemRegistry } from './items.js';
import type { Logger } from './log.js';
import type { OptionSpecs, OptionValues } from './options.js';
import type { ServerApi } from './server-api.js';
import type { Archive } from './archives.js';

/**
 * A module: its name is the string operators put in modules_enabled. A global module's
 * `load()` runs once (host '*'); what it returns is handed to `addHost()` for every host that
 * enables the module, and to its `unload()`: the one place a global module keeps its state.
 */
export interface ModuleDefinition<S extends OptionSpecs = OptionSpecs, G = unknown> {
  readonly name: string;
  /** One instance for the whole server; `addHost` then runs for every host that enables it. */
  readonly global?: boolean;
  /** Modules loaded first on the same host (a disabled or cyclic dependency refuses the start). */
  readonly depends?: readonly string[];
  /** Typed option specs; values are validated before load and exposed as `module.options`. */
  readonly options?: S;
  readonly description?: string;
  /**
   * Reloading it ends client connections (a transport, the HTTP server under one): a config
   * reload never reloads it, and reports its changed options as needing a restart instead.
   */
  readonly carriesConnections?: boolean;
  /**
   * Events this module fires or answers beyond the core's, as names or prefixes ending in
   * `*` ('my-module/*'). Hooking a name nobody declares logs a warning once (a typo never
   * fires); the types come from `declare module 'xmpp-server-core/api' { interface Events }`.
   */
  readonly events?: readonly string[];
  /** Runs once per host, or once with host '*' for a global module (its result goes to addHost). */
  load?(module: ModuleApi<OptionValues<S>>): G | Promise<G>;
  /** Global modules: runs for each host that enables the module, with what load() returned. */
  addHost?(module: ModuleApi<OptionValues<S>>, global: G): void | Promise<void>;
  /** Runs before the module's registrations are removed (`global`: what load() returned). */
  unload?(module: ModuleApi<OptionValues<S>>, global: G): void | Promise<void>;
}

/**
 * Declare a module. Returns its argument unchanged; it exists so TypeScript infers the
 * type of `module.options` from the option specs (and a global module's state from load()).
 * @example
 * export default defineModule({
 *   name: 'hello',
 *   options: { hello_text: option.string({ default: 'hi' }) },
 *   load(module) { module.hook('resource-bind', () => module.log.info(module.options.hello_text)); },
 * });
 */
export function defineModule<S extends OptionSpecs = Record<never, never>, G = undefined>(definition: ModuleDefinition<S, G>): ModuleDefinition<S, G> {
  return definition;
}

/** A timer a module started; cancelled automatically on unload. */
export interface Timer {
  cancel(): void;
}

/** A key-value store bound to the module's host: one JSON value per user. */
export interface KeyValueStore<T = unknown> {
  get(user: string): T | undefined;
  set(user: string, value: T | undefined): void;
  users(): string[];
}

/** A map store bound to the module's host: one value per user and key (a roster item per contact). */
export interface MapStore<T = unknown> {
  get(user: string, key: string): T | undefined;
  /** Set one key, or delete it when `value` is undefined. */
  set(user: string, key: string, value: T | undefined): void;
  /** Every key of the user with its value. */
  all(user: string): Record<string, T>;
  count(user: string): number;
}

/** A list store bound to the module's host: items appended per user. */
export interface ListStore<T = unknown> {
  append(user: string, value: T): number;
  /** Items in append order: at most `limit`, only those after `afterId` when given (paging). */
  items(user: string, limit?: number, afterId?: number): { id: number; value: T; when: number }[];
  /** How many items the user has and how many bytes they take, without reading them. */
  stats(user: string): { count: number; bytes: number };
  remove(user: string, ids?: readonly number[]): number;
}

/** What a module receives in load/addHost/unload, bound to its host ('*' for a global module's own). */
export interface ModuleApi<O = Record<string, unknown>> {
  readonly name: string;
  /** The VirtualHost, or '*' for a global module's own instance. */
  readonly host: string;
  readonly options: Readonly<O>;
  readonly log: Logger;
  readonly server: ServerApi;
  /** Whether this is a global module's own instance (host '*'). */
  readonly isGlobal: boolean;
  /** Hook a declared event on this module's host (the global bus for host '*'); higher priority runs first. */
  hook<E extends EventName>(event: E, handler: Handler<PayloadOf<E>>, priority?: number): void;
  /** Hook a declared event on the server-wide bus. */
  hookGlobal<E extends EventName>(event: E, handler: Handler<PayloadOf<E>>, priority?: number): void;
  /** Remove a handler this module hooked. */
  unhook<E extends EventName>(event: E, handler: Handler<PayloadOf<E>>): void;
  /** Fire an event on this module's host; returns the first non-undefined handler result. */
  fire<E extends EventName>(event: E, payload: PayloadOf<E>): unknown;
  /** Fire an event on the server-wide bus. */
  fireGlobal<E extends EventName>(event: E, payload: PayloadOf<E>): unknown;
  /** Provide a typed item (an http app, a service) on this module's host. Removed on unload. */
  provides<K extends string>(kind: K, item: ItemOf<K>): ItemRecord<ItemOf<K>>;
  /** Withdraw an item this module provided. */
  unprovide(record: ItemRecord): void;
  /** Consume items of a kind on this host: `added` for each present and new one, `removed` when one goes. */
  handleItems<K extends string>(kind: K, added: (record: ItemRecord<ItemOf<K>>) => void, removed?: (record: ItemRecord<ItemOf<K>>) => void): void;
  /** Items of a kind currently provided on this module's host. */
  items<K extends string>(kind: K): readonly ItemRecord<ItemOf<K>>[];
  /**
   * The service of a kind on this host: the first item provided under that name (a module
   * shares a service by `provides('rosters', manager)`; its type is declared in `Items`).
   */
  service<K extends string>(kind: K): ItemOf<K> | undefined;
  /**
   * {@link service} for a module that depends on the provider (`depends`): the service, or an
   * Error naming the kind when nothing provides it (a bug, answered as internal-server-error).
   */
  requireService<K extends string>(kind: K): ItemOf<K>;
  /** Run `fn` once after `ms`; cancelled on unload. Timers never keep the process alive. */
  setTimer(ms: number, fn: () => void): Timer;
  /** Run `fn` every `ms`; cancelled on unload. */
  setInterval(ms: number, fn: () => void): Timer;
  /** Run `fn` when the module unloads (close a listener, say), after its own `unload`. */
  onUnload(fn: () => void | Promise<void>): void;
  /** A key-value store on this module's host. */
  openStore<T = unknown>(store: string): KeyValueStore<T>;
  /** A map store on this module's host. */
  openMap<T = unknown>(store: string): MapStore<T>;
  /** A list store on this module's host. */
  openList<T = unknown>(store: string): ListStore<T>;
  /** An archive store on this module's host (ordered stanza logs; writes are batched). */
  openArchive(store: string): Archive;
}

/** Everything the manager hands an API object (internal wiring). */
export interface ModuleContext {
  readonly name: string;
  readonly host: string;
  readonly options: unknown;
  readonly log: Logger;
  readonly server: ServerApi;
  readonly events: EventBus;
  readonly globalEvents: EventBus;
  readonly items: ItemRegistry;
  /** Called for each hook, so names nobody declares can be reported. */
  readonly checkEvent?: (event: string, module: string) => void;
}

/** The core's implementation of ModuleApi (modules only see the interface). */
export class ModuleInstance<O = Record<string, unknown>> implements ModuleApi<O> {
  readonly name: string;
  readonly host: string;
  readonly options: Readonly<O>;
  readonly log: Logger;
  readonly server: ServerApi;
  readonly #ctx: ModuleContext;
  #hooks: { bus: EventBus; event: string; handler: Handler }[] = [];
  #items: { registry: ItemRegistry; record: ItemRecord }[] = [];
  #timers = new Set<NodeJS.Timeout>();
  #cleanups: (() => void | Promise<void>)[] = [];
  #disposed = false;

  constructor(ctx: ModuleContext) {
    this.#ctx = ctx;
    this.name = ctx.name;
    this.host = ctx.host;
    this.options = ctx.options as Readonly<O>;
    this.log = ctx.log;
    this.server = ctx.server;
  }

  get isGlobal(): boolean {
    return this.host === '*';
  }

  hook<E extends EventName>(event: E, handler: Handler<PayloadOf<E>>, priority = 0): void {
    this.#hookOn(this.#ctx.events, event, handler as Handler, priority);
  }

  hookGlobal<E extends EventName>(event: E, handler: Handler<PayloadOf<E>>, priority = 0): void {
    this.#hookOn(this.#ctx.globalEvents, event, handler as Handler, priority);
  }

  unhook<E extends EventName>(event: E, handler: Handler<PayloadOf<E>>): void {
    for (const h of this.#hooks.filter((x) => x.event === event && x.handler === handler)) h.bus.off(event, handler);
    this.#hooks = this.#hooks.filter((x) => !(x.event === event && x.handler === handler));
  }

  fire<E extends EventName>(event: E, payload: PayloadOf<E>): unknown {
    return this.#ctx.events.fire(event, payload);
  }

  fireGlobal<E extends EventName>(event: E, payload: PayloadOf<E>): unknown {
    return this.#ctx.globalEvents.fire(event, payload);
  }

  provides<K extends string>(kind: K, item: ItemOf<K>): ItemRecord<ItemOf<K>> {
    const record = this.#ctx.items.add(kind, item, this.name);
    this.#items.push({ registry: this.#ctx.items, record });
    return record as ItemRecord<ItemOf<K>>;
  }

  unprovide(record: ItemRecord): void {
    this.#ctx.items.remove(record);
    this.#items = this.#items.filter((i) => i.record !== record);
  }

  handleItems<K extends string>(kind: K, added: (record: ItemRecord<ItemOf<K>>) => void, removed?: (record: ItemRecord<ItemOf<K>>) => void): void {
    this.#hookOn(this.#ctx.events, `item-added/${kind}`, (e) => { added((e as { record: ItemRecord<ItemOf<K>> }).record); }, 0);
    if (removed) this.#hookOn(this.#ctx.events, `item-removed/${kind}`, (e) => { removed((e as { record: ItemRecord<ItemOf<K>> }).record); }, 0);
    for (const record of this.#ctx.items.get(kind)) added(record as ItemRecord<ItemOf<K>>);
  }

  items<K extends string>(kind: K): readonly ItemRecord<ItemOf<K>>[] {
    return this.#ctx.items.get(kind) as readonly ItemRecord<ItemOf<K>>[];
  }

  service<K extends string>(kind: K): ItemOf<K> | undefined {
    return (this.#ctx.items.get(kind)[0] as ItemRecord<ItemOf<K>> | undefined)?.item;
  }

  requireService<K extends string>(kind: K): ItemOf<K> {
    const found = this.service(kind);
    if (found === undefined) throw new Error(`the ${kind} service is not available on ${this.host}`);
    return found;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const t = setTimeout(() => { this.#timers.delete(t); fn(); }, ms);
    t.unref();
    this.#timers.add(t);
    return { cancel: () => { clearTimeout(t); this.#timers.delete(t); } };
  }

  setInterval(ms: number, fn: () => void): Timer {
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.add(t);
    return { cancel: () => { clearInterval(t); this.#timers.delete(t); } };
  }

  onUnload(fn: () => void | Promise<void>): void {
    this.#cleanups.push(fn);
  }

  openStore<T = unknown>(store: string): KeyValueStore<T> {
    const driver = this.server.storage;
    const host = this.host;
    return {
      get: (user) => driver.get(host, store, user) as T | undefined,
      set: (user, value) => driver.set(host, store, user, value),
      users: () => driver.users(host, store),
    };
  }

  openMap<T = unknown>(store: string): MapStore<T> {
    const driver = this.server.storage;
    const host = this.host;
    return {
      get: (user, key) => driver.mapGet(host, store, user, key) as T | undefined,
      set: (user, key, value) => driver.mapSet(host, store, user, key, value),
      all: (user) => driver.mapAll(host, store, user) as Record<string, T>,
      count: (user) => driver.mapCount(host, store, user),
    };
  }

  openList<T = unknown>(store: string): ListStore<T> {
    const driver = this.server.storage;
    const host = this.host;
    return {
      append: (user, value) => driver.append(host, store, user, value),
      items: (user, limit, afterId) => driver.items(host, store, user, limit, afterId) as { id: number; value: T; when: number }[],
      stats: (user) => driver.listStats(host, store, user),
      remove: (user, ids) => driver.remove(host, store, user, ids),
    };
  }

  openArchive(store: string): Archive {
    return this.server.archive(this.host, store);
  }

  /** Counts of what this instance has registered (for tests and introspection). */
  get registrations(): { hooks: number; items: number; timers: number } {
    return { hooks: this.#hooks.length, items: this.#items.length, timers: this.#timers.size };
  }

  #hookOn(bus: EventBus, event: string, handler: Handler, priority: number): void {
    if (this.#disposed) throw new Error(`module '${this.name}' on '${this.host}' is unloaded; it cannot hook '${event}'`);
    this.#ctx.checkEvent?.(event, this.name);
    bus.on(event, handler, priority);
    if (!this.#hooks.some((h) => h.bus === bus && h.event === event && h.handler === handler)) this.#hooks.push({ bus, event, handler });
  }

  /** Remove every hook, item and timer this instance registered, then run onUnload callbacks. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of this.#timers) { clearTimeout(t); clearInterval(t); }
    this.#timers.clear();
    for (const { registry, record } of this.#items.reverse()) registry.remove(record);
    this.#items = [];
    for (const { bus, event, handler } of this.#hooks) bus.off(event, handler);
    this.#hooks = [];
    for (const fn of this.#cleanups.reverse()) await fn();
    this.#cleanups = [];
  }
}
