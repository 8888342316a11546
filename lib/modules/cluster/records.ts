/**
 * @module cluster/records
 * What one node publishes about each of its bound sessions (a `SessionRecord`), the Redis keys
 * and channels the nodes share, and the messages that travel on them. One place for the wire
 * format between nodes: JSON, with stanzas as serialised XML.
 */
import { serialize, type Session } from '../../core/api.js';

/** A bound session as the other nodes know it. */
export interface SessionRecord {
  /** Normalised full JID (the key). */
  readonly full: string;
  readonly host: string;
  readonly username: string;
  readonly resource: string;
  /** The session's id on its node (logs). */
  readonly id: string;
  readonly connectedAt: number;
  readonly priority: number;
  /** The last available presence, serialised; absent while the session has sent none. */
  readonly presence?: string;
  /** The client requested the roster (RFC 6121 §2.1.6: roster pushes go to it). */
  readonly interested: boolean;
  /** The hibernating flag of stream management (XEP-0198 §5). */
  readonly hibernating: boolean;
  /** The replicated `session.data` keys (cluster_shared_session_data) that are set. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** Messages on the registry channel: every node applies every other node's changes. */
export type RegistryMessage =
  | { readonly node: string; readonly op: 'set'; readonly record: SessionRecord }
  | { readonly node: string; readonly op: 'del'; readonly full: string }
  /** The node's complete list now (after a reconnection): replaces what others held of it. */
  | { readonly node: string; readonly op: 'sync'; readonly records: readonly SessionRecord[] }
  /** The node is gone (stopped cleanly, or reaped as `dead`): drop its sessions. */
  | { readonly node: string; readonly op: 'gone'; readonly dead?: boolean }
  /** A user's stored data changed on `node` (stored-data-changed): caches elsewhere drop their copy. */
  | { readonly node: string; readonly op: 'changed'; readonly host: string; readonly store: string; readonly user: string }
  /** A `<resume/>` on `node` names a token it does not hold: whoever holds it stores it (XEP-0198 §5). */
  | { readonly node: string; readonly op: 'release'; readonly id: string; readonly host: string; readonly username: string; readonly token: string };

/** Messages on a node's own channel. */
export type NodeMessage =
  /** Write this stanza to the local session `to` (routing already ran on the sender's node). */
  | { readonly op: 'send'; readonly to: string; readonly xml: string }
  /** Close the local session `to` (a bind of the same full JID elsewhere won: conflict). */
  | { readonly op: 'close'; readonly to: string; readonly condition?: string; readonly text?: string }
  /** The answer to a release request: whether this node held the session (and stored it). */
  | { readonly op: 'released'; readonly id: string; readonly held: boolean }
  /**
   * Route this stanza here as arriving (owned-addresses.ts): `address` on component `host` is
   * this node's; `hops` counts the nodes it went through because an owner had changed.
   */
  | { readonly op: 'route'; readonly host: string; readonly address: string; readonly xml: string; readonly hops: number };

/** Redis key and channel names under one prefix. */
export class ClusterKeys {
  readonly registry: string;
  readonly nodes: string;
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
    this.registry = `${prefix}registry`;
    this.nodes = `${prefix}nodes`;
  }

  /** The node's heartbeat key: its instance id, expiring after cluster_node_timeout. */
  alive(node: string): string { return `${this.#prefix}alive:${node}`; }
  /** The node's sessions: a hash of full JID to SessionRecord JSON. */
  sessions(node: string): string { return `${this.#prefix}sessions:${node}`; }
  /** The channel of stanzas and commands for the node. */
  channel(node: string): string { return `${this.#prefix}node:${node}`; }
  /** Held by the node that sweeps expired stored stream management sessions, for a while. */
  get sweepLock(): string { return `${this.#prefix}smacks-sweep`; }
  /** Held by the one node that cleans up after a dead node. */
  reapLock(node: string): string { return `${this.#prefix}reap:${node}`; }
  /** The lease of an owned address (a room's bare JID): the owning node's name, expiring after cluster_node_timeout. */
  owner(address: string): string { return `${this.#prefix}owner:${address}`; }
  /** Held by the one node that takes over the stream management sessions a stopped node stored. */
  adoptLock(node: string): string { return `${this.#prefix}adopt:${node}`; }
}

/** The record of a local bound session; `shared` names the data keys other nodes need. */
export function recordOf(session: Session, shared: ReadonlySet<string>): SessionRecord | undefined {
  const jid = session.jid;
  if (jid === undefined || jid.local === undefined || jid.resource === undefined) return undefined;
  const data: Record<string, unknown> = {};
  for (const key of shared) if (session.data[key] !== undefined) data[key] = session.data[key];
  return {
    full: jid.full,
    host: jid.domain,
    username: jid.local,
    resource: jid.resource,
    id: session.id,
    connectedAt: session.connectedAt,
    priority: session.priority,
    presence: session.presence !== undefined ? serialize(session.presence) : undefined,
    interested: session.interested,
    hibernating: session.hibernating,
    data,
  };
}

/** Parse a JSON message, or undefined when it is not an object (a foreign publisher). */
export function parseMessage<T>(text: string): T | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? v as T : undefined;
  } catch {
    return undefined;
  }
}
