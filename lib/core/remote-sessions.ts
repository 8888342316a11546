/**
 * @module remote-sessions
 * Sessions bound on other nodes of a cluster, as the session registry sees them. A cluster
 * module installs one `RemoteDirectory` (`server.sessions.setRemoteDirectory`); from then on
 * `get`, `ofUser`, `available` and `countOf` include the sessions it lists, so routing and
 * every module reach them through the ordinary `Session` view (their `send` forwards to the
 * node that holds the connection). Without a directory the registry does no extra work.
 * Also the two events a cluster needs from modules: a session lost with its node, and a
 * user's stored data changed (so that caches on other nodes follow).
 */
import type { Session } from './session-view.js';

/**
 * What a cluster knows of the sessions other nodes hold. Lookups are synchronous: the
 * directory keeps its records in memory (the stanza path never waits on the network).
 */
export interface RemoteDirectory {
  /** The session bound on another node with this normalised full JID. */
  get(fullJid: string): Session | undefined;
  /** The account's sessions bound on other nodes (username normalised), oldest bind first. */
  ofUser(host: string, username: string): readonly Session[];
}

/**
 * `session-lost` (host bus): a session bound on another node ended without that node doing
 * the usual unbind (the node died). Handlers act for its contacts as for a session that ends
 * (presence: unavailable to subscribers, RFC 6121 §4.5.2); node-local bookkeeping that
 * `resource-unbind` handlers do for their own sessions does not apply to it.
 */
export interface SessionLostEvent {
  readonly session: Session;
  /** Why, for logs and the unavailable presence's status. */
  readonly reason: string;
}

/**
 * `stored-data-changed` (host bus): a module wrote a user's data that modules elsewhere may
 * hold in memory (a roster, a block list). The writer fires it with `remote: false` once the
 * write is committed; a cluster relays it to every other node, where it is fired with
 * `remote: true` and the modules that cache that store drop their copy (read again from the
 * shared storage). On one node nobody relays it: it costs one event per write, none per stanza.
 */
export interface StoredDataChangedEvent {
  /** The store's name ('roster', 'blocklist'). */
  readonly store: string;
  /** The user (normalised local part) whose data changed. */
  readonly user: string;
  /** True when the write happened on another node. */
  readonly remote: boolean;
}

/**
 * `address-owned` (the host bus of a component whose addresses a cluster hands to one node
 * at a time, see `ServerApi.setRouteGate`): this node has just taken over `address` (a room's
 * bare JID, or the component's own name); its stanzas are handled here from now on. Another
 * node may have handled it meanwhile, so what a module kept in memory for it is stale: drop
 * it and read the shared storage again (the muc module forgets a live room, pubsub reloads).
 * Fired before the first stanza for it is routed here.
 */
export interface AddressOwnedEvent {
  readonly address: string;
}

declare module './api.js' {
  interface Events {
    'address-owned': AddressOwnedEvent;
    'session-lost': SessionLostEvent;
    'stored-data-changed': StoredDataChangedEvent;
  }
}

/** Shared by every lookup that finds no remote session (no allocation on the stanza path). */
export const NO_SESSIONS: readonly Session[] = Object.freeze([]);
