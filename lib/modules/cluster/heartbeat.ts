/**
 * @module cluster/heartbeat
 * Liveness: every third of cluster_node_timeout a node refreshes its heartbeat key (which
 * expires after the timeout) and looks at the others'. A node whose key has been missing for
 * a whole timeout (counted by this node's clock, from when it last saw the key, so a Redis
 * restart that emptied every key is no death sentence) is dead: every node forgets its
 * sessions, and the one that takes the node's reap lock in Redis (SET NX) also removes its
 * records there and tells each session's contacts it is unavailable (`session-lost`, which
 * the presence module answers as for a session that ends, RFC 6121 §4.5.2). The node holding
 * a second lock for a while also sweeps expired stored stream management sessions. Each beat
 * also renews the leases of the addresses this node owns (owned-addresses.ts), and every node
 * tells its owned components that a dead node's sessions are lost (their rooms drop them).
 */
import type { ModuleApi } from '../../core/api.js';
import type { ClusterNode } from './cluster-node.js';
import { RemoteSession } from './remote-session.js';
import { parseMessage, type RegistryMessage, type SessionRecord } from './records.js';

export class Heartbeat {
  readonly #node: ClusterNode;
  readonly #module: ModuleApi;
  /** When each other node's heartbeat key was last seen (or the node first noticed). */
  readonly #lastSeen = new Map<string, number>();
  #running = false;

  constructor(node: ClusterNode, module: ModuleApi) {
    this.#node = node;
    this.#module = module;
  }

  /** Start beating (a module timer: cancelled when the module unloads). */
  start(): void {
    this.#module.setInterval(Math.max(100, Math.round(this.#node.timeoutMs / 3)), () => { void this.beat(); });
  }

  /** After a reconnection every node gets a full timeout again to show up. */
  forgive(): void {
    const now = Date.now();
    for (const node of this.#lastSeen.keys()) this.#lastSeen.set(node, now);
  }

  /** One heartbeat: refresh ours, publish what changed unnoticed, look for dead nodes. */
  async beat(): Promise<void> {
    const node = this.#node;
    if (this.#running || !node.link.ready) return;
    this.#running = true;
    try {
      await node.link.cmd.set(node.keys.alive(node.name), node.instance, 'PX', node.timeoutMs);
      // not listed (Redis lost its data, or others took this node for dead): publish everything again
      if (await node.link.cmd.sadd(node.keys.nodes, node.name) === 1) await node.sync();
      node.local.sweep();
      await node.owned.renew();
      const known = new Set([...await node.link.cmd.smembers(node.keys.nodes), ...node.directory.nodes(), ...node.suspects]);
      known.delete(node.name);
      const now = Date.now();
      for (const other of known) {
        if (await node.link.cmd.exists(node.keys.alive(other)) === 1) {
          this.#lastSeen.set(other, now);
          if (node.suspects.has(other)) await node.reloadNode(other); // alive after all
          continue;
        }
        const seen = this.#lastSeen.get(other);
        if (seen === undefined) this.#lastSeen.set(other, now);
        else if (now - seen >= node.timeoutMs) await this.#dead(other);
      }
      for (const other of this.#lastSeen.keys()) if (!known.has(other)) this.#lastSeen.delete(other);
      await this.#sweep();
    } catch (err) {
      node.log.debug({ reason: (err as Error).message }, 'heartbeat failed (Redis unavailable?)');
    } finally {
      this.#running = false;
    }
  }

  /**
   * Stored stream management sessions whose time ran out while no node held them (their node
   * was drained and did not come back) end on one node at a time: the one holding the lock.
   */
  async #sweep(): Promise<void> {
    const node = this.#node;
    if (await node.link.cmd.set(node.keys.sweepLock, node.name, 'PX', node.timeoutMs, 'NX') !== 'OK') return;
    for (const host of this.#module.server.hostNames) {
      if (!this.#module.server.moduleEnabled('smacks', host)) continue;
      try {
        this.#module.server.hostEvents(host)?.fire('smacks-sweep', {});
      } catch (err) {
        node.log.error({ err, host }, 'smacks-sweep failed');
      }
    }
  }

  /** `other` missed its heartbeat for a whole timeout. */
  async #dead(other: string): Promise<void> {
    const node = this.#node;
    this.#lastSeen.delete(other);
    const lost = node.lostNode(other);
    const locked = await node.link.cmd.set(node.keys.reapLock(other), node.name, 'PX', node.timeoutMs * 3, 'NX');
    if (locked !== 'OK') return; // another node speaks for the dead one
    node.log.warn({ node: other, sessions: lost.length }, 'cluster node missed its heartbeat: its sessions are gone');
    // records only Redis still had (this node never got them) count too
    const stored = await node.link.cmd.hgetall(node.keys.sessions(other));
    const have = new Set(lost.map((s) => s.fullJid));
    for (const text of Object.values(stored)) {
      const record = parseMessage<SessionRecord>(text);
      if (record !== undefined && !have.has(record.full)) {
        const s = new RemoteSession(other, record, node);
        s.gone();
        lost.push(s);
      }
    }
    await node.link.cmd.multi()
      .del(node.keys.sessions(other))
      .srem(node.keys.nodes, other)
      .publish(node.keys.registry, JSON.stringify({ node: other, op: 'gone', dead: true } satisfies RegistryMessage))
      .exec();
    for (const session of lost) {
      try {
        this.#module.server.hostEvents(session.host)?.fire('session-lost', { session, reason: `cluster node ${other} stopped answering` });
      } catch (err) {
        node.log.error({ err, jid: session.fullJid }, 'a session-lost handler failed');
      }
    }
  }
}
