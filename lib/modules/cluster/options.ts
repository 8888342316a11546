/**
 * @module cluster/options
 * The options of the cluster module: where Redis is, this node's name, how soon a silent
 * node counts as dead, and which per-session module flags the other nodes need.
 */
import { hostname } from 'node:os';
import { option, type OptionValues } from '../../core/api.js';

/** This machine's name and this process's id: unique per live process on one machine. */
export function defaultNodeName(): string {
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80)}-${process.pid}`;
}

export const CLUSTER_OPTIONS = {
  cluster_redis_url: option.string({
    default: '', scope: 'global',
    doc: "Required with the cluster module: the Redis server every node shares (redis://[user:password@]host:port[/db], rediss:// for TLS). Live sessions, their presence and the stanzas between nodes go through it; accounts, rosters and archives stay in the shared storage.",
  }),
  cluster_node_name: option.string({
    default: '', scope: 'global', pattern: /^$|^[A-Za-z0-9._-]{1,100}$/, patternText: 'of letters, digits, ".", "_", "-" (at most 100), or empty',
    doc: "This node's name, unique in the cluster; empty = the host name and process id. A second live node with the same name refuses to start (and a node restarted under the name of one that died must wait cluster_node_timeout).",
  }),
  cluster_node_timeout: option.number({
    default: 10, min: 0.3, max: 3600, scope: 'global',
    doc: "Seconds without a heartbeat after which a node counts as dead (it refreshes its heartbeat every third of it): one surviving node then removes the dead node's sessions and tells their contacts they are unavailable.",
  }),
  cluster_key_prefix: option.string({
    default: 'xmpp-cluster:', scope: 'global',
    doc: 'Prefix of every Redis key and channel the cluster uses (several clusters can share one Redis with different prefixes).',
  }),
  cluster_shared_session_data: option.set({
    default: new Set(['carbons', 'lastactivity.idleSince', 'blocklist.interested']), scope: 'global',
    doc: "The session.data keys of local sessions that other nodes read (Message Carbons' flag, XEP-0319 idle time, XEP-0191 block-list pushes); published with the session's presence and priority.",
  }),
  cluster_owned_components: option.set({
    default: new Set(['muc', 'pubsub']), scope: 'global',
    doc: "Components (by module) whose addresses one node handles at a time: each room of a muc component (room@host and its occupants room@host/nick), and the component's own name (the whole service of a pubsub component), is handled by the node holding its lease in Redis; other nodes forward its stanzas there. When the owner dies, the next stanza takes the lease after cluster_node_timeout and the room is loaded from storage.",
  }),
};

export type ClusterOptions = OptionValues<typeof CLUSTER_OPTIONS>;
