/**
 * @module cluster
 * Several server processes ("nodes") behind one load balancer act as one service: storage is
 * shared (SQLite file or PostgreSQL), live state and traffic between nodes go through Redis.
 * Each node publishes its bound sessions (JID, priority, presence, roster interest, shared
 * session data) and keeps the other nodes' in memory; the session registry includes them as
 * `RemoteSession`s, so routing and modules reach every resource of an account on any node.
 * Stanzas are processed where they are routed and handed to the holding node for writing
 * (cluster-node.ts). Heartbeats find dead nodes (heartbeat.ts); after a Redis restart each
 * node publishes its sessions again. Rooms and pubsub services are handled by one node at a
 * time (owned-addresses.ts: leases in Redis, stanzas forwarded to the owner). Options: options.ts.
 *
 * Components do not load global modules, so the cluster reaches them from here: a route gate
 * on each component host whose module is in cluster_owned_components (ServerApi.setRouteGate),
 * installed at load for the components the configuration names.
 */
import { defineModule, ServerError, type Session } from '../../core/api.js';
import { ClusterNode } from './cluster-node.js';
import { Heartbeat } from './heartbeat.js';
import { CLUSTER_OPTIONS, defaultNodeName } from './options.js';

/** What load() hands to addHost() and unload(). */
interface ClusterState {
  readonly node: ClusterNode;
}

export default defineModule({
  name: 'cluster',
  global: true,
  description: 'Several nodes as one service: a session registry and stanza routing shared through Redis.',
  options: CLUSTER_OPTIONS,
  async load(module): Promise<ClusterState> {
    const o = module.options;
    if (!/^rediss?:\/\/./.test(o.cluster_redis_url)) {
      throw new ServerError('XS_ERR_OPTION_INVALID', {
        option: 'cluster_redis_url', module: 'cluster', host: '*',
        expected: 'a redis:// or rediss:// URL (required when the cluster module is enabled)',
        got: o.cluster_redis_url === '' ? '(unset)' : JSON.stringify(o.cluster_redis_url),
      });
    }
    const name = o.cluster_node_name || defaultNodeName();
    const node = new ClusterNode(module, o, name);
    try {
      await node.start();
    } catch (err) {
      throw new ServerError('XS_ERR_MODULE_LOAD', { module: 'cluster', host: '*', reason: (err as Error).message });
    }
    const heartbeat = new Heartbeat(node, module);
    node.link.cmd.on('ready', () => { heartbeat.forgive(); });
    heartbeat.start();
    node.owned.install(o.cluster_owned_components);
    module.server.sessions.setRemoteDirectory(node.directory);
    module.log.info({ node: name, redis: o.cluster_redis_url.replace(/\/\/[^@/]*@/, '//***@') }, 'cluster node started');
    return { node };
  },
  addHost(module, { node }) {
    module.hook('resource-bind', ({ session }: { session: Session }) => { node.bound(session); });
    module.hook('resource-unbind', ({ session }: { session: Session }) => { node.unbound(session); });
    // caches of stored data (rosters, block lists) on the other nodes follow a write here
    module.hook('stored-data-changed', ({ store, user, remote }) => { if (!remote) node.changedHere(module.host, store, user); });
    // XEP-0198 §5: a <resume/> here for a session another node holds (smacks asks, the holder stores it)
    module.hook('smacks-resume-elsewhere', ({ session, token }) =>
      session.username !== undefined ? node.resumption.ask(module.host, session.username, token) : undefined);
  },
  async unload(module, state: ClusterState | undefined) {
    if (state === undefined) return; // load() failed: nothing started
    module.server.sessions.setRemoteDirectory(undefined);
    state.node.owned.uninstall();
    await state.node.stop();
  },
});
