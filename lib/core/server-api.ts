/**
 * @module server-api
 * What a module sees of the server (`module.server`): hosts, buses, storage, accounts and the
 * server's lifecycle. Later issues grow it (sessions, routing); modules never see Server itself.
 */
import type { EventBus } from './events.js';
import type { Logger } from './log.js';
import type { StorageDriver } from './storage/store.js';
import type { Archive } from './archives.js';
import type { Accounts } from './storage/accounts.js';
import type { Config } from './config.js';
import type { Element } from './xml.js';
import type { Session } from './session-view.js';
import type { RouteGate } from './router.js';
import type { SessionRegistry } from './sessions.js';
import type { Certificates } from './certificates.js';
import type { ServerControl } from './admin-api.js';
import type { ServerStats } from './stats.js';

export interface ServerApi {
  /** VirtualHost names, in config order (the hosts users log in to). */
  readonly hostNames: readonly string[];
  /** Whether `name` is a VirtualHost. */
  isLocalHost(name: string): boolean;
  /** Component names, in config order (hosts served by one module: muc, pubsub, upload). */
  readonly componentNames: readonly string[];
  /** Whether `name` is a component. */
  isComponent(name: string): boolean;
  /** Whether stanzas to `name` stay here: a VirtualHost or a component. */
  servesHost(name: string): boolean;
  /** The server-wide event bus. */
  readonly events: EventBus;
  /** A host's event bus (undefined for a name that is neither a VirtualHost nor a component). */
  hostEvents(host: string): EventBus | undefined;
  readonly log: Logger;
  readonly storage: StorageDriver;
  /** `data_path`, resolved (against the config file's folder): where modules keep their files. */
  readonly dataPath: string;
  /**
   * Run a storage write with this turn's batch (one transaction per turn of the event loop, at
   * setImmediate or at the next `flushWrites`): for writes on the per-stanza path.
   */
  deferWrite(write: () => void): void;
  /**
   * Write every deferred write now. Call it before telling a client its stanza was received
   * (a stream management ack) and before reading what a deferred write stored.
   */
  flushWrites(): void;
  /**
   * Resolves once every deferred write and every archived item so far is in storage (archive
   * rows may be written by a worker thread): what stream management acks and archive reads wait for.
   */
  whenStored(): Promise<void>;
  /** A store's archive on a host (modules use `module.openArchive(store)`). */
  archive(host: string, store: string): Archive;
  readonly accounts: Accounts;
  /** The current config (a new object after a config reload: read it when needed, do not keep it). */
  readonly config: Config;
  /** Module and config reloads, shutdown: for administration modules (admin-api.ts). */
  readonly control: ServerControl;
  /**
   * Each VirtualHost's certificate and key (the `certificate`/`key` options), read once and
   * shared by every module that terminates TLS: by host, by SNI name, for channel binding.
   */
  readonly certificates: Certificates;
  /** True from the start of stop() on. */
  readonly stopping: boolean;
  /** Client sessions. */
  readonly sessions: SessionRegistry;
  /**
   * The core's own counters, where it fires no event: stanzas to and from clients by kind,
   * send-buffer back-pressure by transport, WebSocket close codes both ways, storage latency
   * by operation. Plain numbers that only grow; read them when reporting (http_openmetrics).
   */
  readonly stats: ServerStats;
  /**
   * Route a stanza (RFC 6120 §8): `origin` is the local session that sent it; omit it for
   * stanzas the server generates. Fires pre-<name>/<kind>, iq-request/<kind>, iq-<type>/<kind>/<ns>:<child>,
   * <name>/<kind>, then delivers to a full JID or bounces.
   */
  route(stanza: Element, origin?: Session): void;
  /**
   * Route a stanza that arrives from another node of a cluster, already gated for this one
   * (see `setRouteGate`): the destination's events as for `route` without an origin, no
   * `pre-*` (the sender's node ran them), and no gate (it would send it on again).
   */
  routeHere(stanza: Element): void;
  /**
   * Give `host` (a VirtualHost or component) a gate, or remove it with undefined: every stanza
   * routed to the host passes it after `pre-*` and before the host's events; the gate takes it
   * (returns true: it handles or forwards it) or leaves it here (false). For a cluster module
   * that hands a room's stanzas to the one node owning the room. One gate per host.
   */
  setRouteGate(host: string, gate: RouteGate | undefined): void;
  /**
   * Whether module `name` runs on `host` by the configuration (autoload, modules_enabled,
   * modules_disabled; '*' asks about the global list, Prosody's rule for host-agnostic routes).
   */
  moduleEnabled(name: string, host: string): boolean;
}

/** A socket a module listens on; modules append theirs to the global `listeners` event's list. */
export interface ListenerInfo {
  /** The service: 'c2s', 'c2s_direct_tls', 'http', 'https', ... */
  readonly service: string;
  readonly address: string;
  readonly port: number;
}

/** `server-started`, `server-stopping`, `server-stopped` (global bus). */
export interface ServerLifecycleEvent {
  readonly server: ServerApi;
  /** Why the server stops (stopping and stopped only). */
  readonly reason?: string;
}

/** `user-deleted` (host bus): an account was deleted and its stored data purged (Prosody's name). */
export interface UserDeletedEvent {
  readonly username: string;
  readonly host: string;
}

/**
 * `user-registering` (host bus), fired by registration modules before they create an account
 * (Prosody's name and shape): a handler refuses by setting `allowed` to false, and may say why
 * with `error` (default: modify/not-acceptable).
 */
export interface UserRegisteringEvent {
  readonly username: string;
  readonly host: string;
  /** The address the request came from, when it came over the network. */
  readonly ip?: string;
  /** The session asking, for in-band registration (an invite it presented, say). */
  readonly session?: Session;
  allowed: boolean;
  error?: { type: 'auth' | 'cancel' | 'modify' | 'wait'; condition: string; text?: string };
}

/**
 * `registration-permitted` (host bus), asked by in-band registration when `allow_registration`
 * is off: a handler returning true lets this session register all the same (it presented an
 * invitation token, say). `stanza` is the registration request when there is one (a token may
 * ride in it). The `user-registering` event still runs for the account it creates.
 */
export interface RegistrationPermittedQuery {
  readonly host: string;
  readonly session: Session;
  readonly stanza?: Element;
}

declare module './api.js' {
  interface Events {
    /** Host bus: may this session register in-band although allow_registration is off? (see RegistrationPermittedQuery) */
    'registration-permitted': RegistrationPermittedQuery;
    /** Host bus: an account is gone (see UserDeletedEvent). */
    'user-deleted': UserDeletedEvent;
    /** Host bus: an account is about to be created; handlers may refuse it (see UserRegisteringEvent). */
    'user-registering': UserRegisteringEvent;
    /** Global: every listening module pushes its sockets onto `list` (and returns nothing). */
    listeners: { list: ListenerInfo[] };
    /** Global: every module loaded. */
    'server-started': ServerLifecycleEvent;
    /** Global: stop() began; modules are still loaded (close sessions here, say goodbye). */
    'server-stopping': ServerLifecycleEvent;
    /** Global: every module unloaded, storage about to close. */
    'server-stopped': ServerLifecycleEvent;
  }
}
