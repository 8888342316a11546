/**
 * @module sessions
 * The session registry (`server.sessions`): creates sessions for transports, indexes bound
 * ones by full JID and by account, and resolves each host's session options. Behind the
 * SessionRegistry interface so a cluster can replace it.
 */
import type { ServerApi } from './server-api.js';
import { ClientSession, type SessionContext } from './session.js';
import { DetachedTransport } from './detached-transport.js';
import type { Session, TransportSession } from './session-view.js';
import { SESSION_OPTIONS, type SessionSettings } from './session-options.js';
import type { Transport } from './transport.js';
import { NO_SESSIONS, type RemoteDirectory } from './remote-sessions.js';

/** What modules see of the registry. */
export interface SessionRegistry {
  /** The bound session with this normalised full JID (`Jid.full`). */
  get(fullJid: string): Session | undefined;
  /** The bound sessions of an account (username normalised), in bind order. */
  ofUser(host: string, username: string): Session[];
  /**
   * The account's sessions a message to its bare JID can reach: available (initial presence
   * sent) with a non-negative priority (RFC 6121 §8.5.2.1.1), in bind order.
   */
  available(host: string, username: string): Session[];
  /** How many bound sessions the account has (ofUser without building the list). */
  countOf(host: string, username: string): number;
  /**
   * The account's sessions bound on other nodes of a cluster (also in `ofUser`): empty
   * without a cluster. A module that indexes its own sessions (carbons) asks this too.
   */
  remoteOf(host: string, username: string): readonly Session[];
  /**
   * Install (or remove, with undefined) the directory of sessions on other nodes: `get`,
   * `ofUser`, `available`, `countOf` include them from then on (remote-sessions.ts).
   * @throws Error when another directory is installed already
   */
  setRemoteDirectory(directory: RemoteDirectory | undefined): void;
  /** Every live session, authenticated or not. */
  all(): Iterable<Session>;
  /** How many live sessions there are. */
  readonly count: number;
  /** The live sessions whose stream is to `host`. */
  hostSessions(host: string): Session[];
  /** The session options of a host ('*' for the global section). */
  settings(host: string): SessionSettings;
}

/** What transports use of the registry (the transport API). */
export interface TransportSessionRegistry extends SessionRegistry {
  /**
   * Whether a new connection from `ip` may start: undefined when it may, else why not
   * (c2s_max_unauthed, c2s_max_unauthed_per_ip). Transports ask before `create`.
   */
  admit(ip: string): string | undefined;
  /** A new session for a transport that just connected (the transport then feeds it). */
  create(transport: Transport): TransportSession;
  /**
   * A session with no connection, bound to `user@host/resource` and hibernating: stream
   * management restores these after a restart so that clients can resume them.
   */
  restore(host: string, username: string, resource: string, ip?: string): TransportSession;
}

/** RFC 6121 §8.5.2.1.1: a resource that gets messages to the bare JID (available, non-negative priority). */
const isAvailable = (s: Session): boolean => s.presence !== undefined && s.priority >= 0;

/** The registry for one process. */
export class LocalSessionRegistry implements TransportSessionRegistry, SessionContext {
  readonly server: ServerApi;
  readonly #all = new Set<Session>();
  readonly #byFull = new Map<string, Session>();
  /** Bound sessions by host, then username, then resource (no key built per look-up). */
  readonly #byUser = new Map<string, Map<string, Map<string, Session>>>();
  readonly #settings = new Map<string, SessionSettings>();
  /** Unauthenticated sessions, in all and per IP. */
  readonly #unauthed = new Set<Session>();
  readonly #unauthedByIp = new Map<string, number>();
  /** Sessions on other nodes (a cluster); undefined on a single node. */
  #remote: RemoteDirectory | undefined;

  readonly #onRemoved: (() => void) | undefined;

  /** @param onRemoved told each time a session is gone (the server's memory release) */
  constructor(server: ServerApi, onRemoved?: () => void) {
    this.server = server;
    this.#onRemoved = onRemoved;
  }

  admit(ip: string): string | undefined {
    const global = this.settings('*');
    if (this.#unauthed.size >= global.c2s_max_unauthed) {
      return `Too many unauthenticated connections on this server (c2s_max_unauthed = ${global.c2s_max_unauthed}); try again later`;
    }
    if ((this.#unauthedByIp.get(ip) ?? 0) >= global.c2s_max_unauthed_per_ip) {
      return `Too many unauthenticated connections from ${ip} (c2s_max_unauthed_per_ip = ${global.c2s_max_unauthed_per_ip}); try again later`;
    }
    return undefined;
  }

  create(transport: Transport): TransportSession {
    const session = new ClientSession(this, transport);
    this.#all.add(session);
    this.#unauthed.add(session);
    this.#unauthedByIp.set(transport.ip, (this.#unauthedByIp.get(transport.ip) ?? 0) + 1);
    try {
      this.server.events.fire('session-created', { session });
    } catch (err) {
      session.log.error({ err }, 'a session-created handler failed');
    }
    return session;
  }

  restore(host: string, username: string, resource: string, ip = ''): TransportSession {
    const session = new ClientSession(this, new DetachedTransport(ip));
    this.#all.add(session);
    session.restore(host, username, resource);
    return session;
  }

  /** How many sessions have not authenticated yet (all, or from one IP). */
  unauthedCount(ip?: string): number {
    return ip === undefined ? this.#unauthed.size : this.#unauthedByIp.get(ip) ?? 0;
  }

  get(fullJid: string): Session | undefined {
    const local = this.#byFull.get(fullJid);
    if (local !== undefined || this.#remote === undefined) return local;
    return this.#remote.get(fullJid);
  }

  ofUser(host: string, username: string): Session[] {
    const map = this.#byUser.get(host)?.get(username);
    const local = map ? [...map.values()] : [];
    if (this.#remote === undefined) return local;
    const remote = this.#remote.ofUser(host, username);
    return remote.length === 0 ? local : local.concat(remote);
  }

  countOf(host: string, username: string): number {
    const local = this.#byUser.get(host)?.get(username)?.size ?? 0;
    return this.#remote === undefined ? local : local + this.#remote.ofUser(host, username).length;
  }

  remoteOf(host: string, username: string): readonly Session[] {
    return this.#remote === undefined ? NO_SESSIONS : this.#remote.ofUser(host, username);
  }

  setRemoteDirectory(directory: RemoteDirectory | undefined): void {
    if (directory !== undefined && this.#remote !== undefined && this.#remote !== directory) throw new Error('a remote session directory is installed already');
    this.#remote = directory;
  }

  available(host: string, username: string): Session[] {
    if (this.#remote !== undefined) return this.ofUser(host, username).filter(isAvailable);
    // once per message to a bare JID: one array, not a copy and then a filtered copy
    const out: Session[] = [];
    const map = this.#byUser.get(host)?.get(username);
    if (map !== undefined) for (const s of map.values()) if (isAvailable(s)) out.push(s);
    return out;
  }

  all(): Iterable<Session> {
    return this.#all.values();
  }

  get count(): number {
    return this.#all.size;
  }

  hostSessions(host: string): Session[] {
    const out: Session[] = [];
    for (const s of this.#all) if (s.host === host) out.push(s);
    return out;
  }

  /** @throws XS_ERR_OPTION_INVALID when a session option is invalid for the host */
  settings(host: string): SessionSettings {
    let s = this.#settings.get(host);
    if (s === undefined) {
      s = this.server.config.options(host, SESSION_OPTIONS, 'c2s');
      this.#settings.set(host, s);
    }
    return s;
  }

  /** The config changed: sessions that start from now on read their host's options again. */
  resetSettings(): void {
    this.#settings.clear();
  }

  /** @internal (SessionContext) a session bound its resource; it replaces any holder of the JID. */
  bound(session: Session): void {
    const jid = session.jid!;
    this.#byFull.set(jid.full, session);
    let users = this.#byUser.get(jid.domain);
    if (users === undefined) this.#byUser.set(jid.domain, (users = new Map()));
    let map = users.get(jid.local!);
    if (map === undefined) users.set(jid.local!, (map = new Map()));
    map.delete(jid.resource!); // re-insert: bind order
    map.set(jid.resource!, session);
  }

  /** @internal (SessionContext) a session released its resource. */
  unbound(session: Session): void {
    const jid = session.jid!;
    if (this.#byFull.get(jid.full) === session) this.#byFull.delete(jid.full);
    const users = this.#byUser.get(jid.domain);
    const map = users?.get(jid.local!);
    if (map !== undefined && map.get(jid.resource!) === session) {
      map.delete(jid.resource!);
      if (map.size === 0) {
        users!.delete(jid.local!);
        if (users!.size === 0) this.#byUser.delete(jid.domain);
      }
    }
  }

  /** @internal (SessionContext) a session authenticated: it no longer counts as unauthenticated. */
  authenticated(session: Session): void {
    this.#forgetUnauthed(session);
  }

  /** @internal (SessionContext) a session is gone. */
  removed(session: Session): void {
    const was = this.#all.delete(session);
    this.#forgetUnauthed(session);
    if (was) this.#onRemoved?.();
  }

  #forgetUnauthed(session: Session): void {
    if (!this.#unauthed.delete(session)) return;
    const ip = session.transport.ip;
    const n = (this.#unauthedByIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.#unauthedByIp.delete(ip);
    else this.#unauthedByIp.set(ip, n);
  }
}

/**
 * The registry as a transport uses it (creating sessions for new connections).
 * @throws Error when `server.sessions` is not a transport-capable registry.
 */
export function transportSessions(server: { readonly sessions: SessionRegistry }): TransportSessionRegistry {
  const sessions = server.sessions as Partial<TransportSessionRegistry>;
  if (typeof sessions.create !== 'function' || typeof sessions.admit !== 'function') throw new Error('this server\'s session registry cannot create sessions');
  return sessions as TransportSessionRegistry;
}
