/**
 * @module cluster/cluster-node
 * One node of the cluster: publishes its bound sessions, keeps the other nodes' sessions in
 * the directory the session registry consults, carries stanzas between nodes, and rebuilds
 * all of that after Redis comes back.
 *
 * Where a stanza is processed: entirely on the node where it was routed (the sender's node,
 * or the node that generated it). Routing, `pre-*` and destination events (archive, carbons,
 * offline storage, blocking, privacy) run there, once; a `RemoteSession.send` then hands the
 * finished element to the node that holds the connection, which only writes it to its client
 * (`session.send`: stream management counts and queues it there).
 */
import { randomBytes } from 'node:crypto';
import { errorReply, parseElement, serialize, type CloseReason, type Element, type ModuleApi, type Session } from '../../core/api.js';
import { ClusterDirectory } from './directory.js';
import { LocalSessions } from './local-sessions.js';
import { OwnedAddresses } from './owned-addresses.js';
import { ClusterKeys, parseMessage, type NodeMessage, type RegistryMessage, type SessionRecord } from './records.js';
import { RedisLink } from './redis-link.js';
import { RemoteSession, type RemoteLink } from './remote-session.js';
import { Resumption } from './resumption.js';
import type { ClusterOptions } from './options.js';

export class ClusterNode implements RemoteLink {
  readonly name: string;
  /** Random per process: tells this process's heartbeat from an earlier one under the same name. */
  readonly instance = randomBytes(9).toString('base64url');
  readonly keys: ClusterKeys;
  readonly directory: ClusterDirectory;
  readonly local: LocalSessions;
  readonly link: RedisLink;
  /** XEP-0198 resumption of sessions other nodes hold. */
  readonly resumption: Resumption;
  /** Rooms and services one node handles at a time (leases in Redis). */
  readonly owned: OwnedAddresses;
  readonly log: ModuleApi['log'];
  readonly timeoutMs: number;
  readonly #module: ModuleApi;
  /** Local sessions by full JID (the targets of forwarded stanzas). */
  readonly #sessions = new Map<string, Session>();
  /** Set when the node reconnected: its sessions are published again in one batch. */
  #syncing: Promise<void> | undefined;

  constructor(module: ModuleApi, options: ClusterOptions, name: string) {
    this.#module = module;
    this.name = name;
    this.log = module.log;
    this.timeoutMs = Math.round(options.cluster_node_timeout * 1000);
    this.keys = new ClusterKeys(options.cluster_key_prefix);
    this.directory = new ClusterDirectory(this);
    this.local = new LocalSessions(options.cluster_shared_session_data, {
      set: (record) => { this.#publish(record.full, record); },
      del: (full) => { this.#publish(full, undefined); },
    });
    this.link = new RedisLink(options.cluster_redis_url, [this.keys.registry, this.keys.channel(name)], module.log, {
      message: (channel, text) => { this.#received(channel, text); },
      reconnected: () => { void this.sync(); },
      resubscribed: () => { void this.loadOthers(); },
    });
    this.resumption = new Resumption(name, this.keys, this.link, module, this.timeoutMs);
    this.owned = new OwnedAddresses(this, module);
  }

  /**
   * Connect, claim the node name (refused while a live node holds it), publish, load the others.
   * @throws Error naming the reason
   */
  async start(): Promise<void> {
    await this.link.start();
    let claimed: string | null;
    try {
      claimed = await this.link.cmd.set(this.keys.alive(this.name), this.instance, 'PX', this.timeoutMs, 'NX');
    } catch (err) {
      await this.link.close();
      throw err;
    }
    if (claimed !== 'OK') {
      await this.link.close();
      throw new Error(`cluster_node_name '${this.name}' is in use by a live node (names must be unique; a node restarted under the name of one that died waits cluster_node_timeout first)`);
    }
    await this.sync();
    await this.loadOthers();
  }

  // ---- local sessions ------------------------------------------------------------------------

  bound(session: Session): void {
    if (session instanceof RemoteSession || session.fullJid === undefined) return;
    this.#sessions.set(session.fullJid, session);
    this.local.bound(session);
  }

  unbound(session: Session): void {
    if (session instanceof RemoteSession || session.fullJid === undefined) return;
    if (this.#sessions.get(session.fullJid) === session) this.#sessions.delete(session.fullJid);
    this.local.unbound(session);
  }

  /** Write one session's record (or its removal) to Redis and tell the other nodes. */
  #publish(full: string, record: SessionRecord | undefined): void {
    if (!this.link.ready) return; // the sync on reconnection carries it
    const message: RegistryMessage = record !== undefined ? { node: this.name, op: 'set', record } : { node: this.name, op: 'del', full };
    const multi = this.link.cmd.multi();
    if (record !== undefined) multi.hset(this.keys.sessions(this.name), full, JSON.stringify(record));
    else multi.hdel(this.keys.sessions(this.name), full);
    multi.publish(this.keys.registry, JSON.stringify(message));
    multi.exec().catch((err: Error) => { this.log.debug({ reason: err.message }, 'session record not published (sent again on reconnection)'); });
  }

  /** Publish every local session again, replacing what Redis and the other nodes held of this node. */
  sync(): Promise<void> {
    this.#syncing ??= (async () => {
      try {
        const records = this.local.records();
        const key = this.keys.sessions(this.name);
        const multi = this.link.cmd.multi();
        multi.set(this.keys.alive(this.name), this.instance, 'PX', this.timeoutMs);
        multi.del(key);
        for (const r of records) multi.hset(key, r.full, JSON.stringify(r));
        multi.sadd(this.keys.nodes, this.name);
        multi.publish(this.keys.registry, JSON.stringify({ node: this.name, op: 'sync', records } satisfies RegistryMessage));
        await multi.exec();
      } catch (err) {
        this.log.warn({ reason: (err as Error).message }, 'could not publish this node\'s sessions; trying again when Redis is back');
      } finally {
        this.#syncing = undefined;
      }
    })();
    return this.#syncing;
  }

  /** Read every other node's sessions from Redis (at start, and after the subscriber missed messages). */
  async loadOthers(): Promise<void> {
    try {
      const nodes = await this.link.cmd.smembers(this.keys.nodes);
      for (const node of nodes) {
        if (node === this.name) continue;
        const hash = await this.link.cmd.hgetall(this.keys.sessions(node));
        const records = Object.values(hash).map((text) => parseMessage<SessionRecord>(text)).filter((r): r is SessionRecord => r !== undefined);
        this.directory.replaceNode(node, records);
      }
    } catch (err) {
      this.log.warn({ reason: (err as Error).message }, 'could not read the other nodes\' sessions; trying again when Redis is back');
    }
  }

  // ---- caches of stored data ------------------------------------------------------------------

  /** A module here wrote a user's data (stored-data-changed): the other nodes' caches drop their copy. */
  changedHere(host: string, store: string, user: string): void {
    if (!this.link.ready) return; // a cache elsewhere may stay stale until the user's sessions there end
    const message: RegistryMessage = { node: this.name, op: 'changed', host, store, user };
    this.link.cmd.publish(this.keys.registry, JSON.stringify(message)).catch(() => undefined);
  }

  #changedElsewhere(host: string, store: string, user: string): void {
    try {
      this.#module.server.hostEvents(host)?.fire('stored-data-changed', { store, user, remote: true });
    } catch (err) {
      this.log.error({ err, store }, 'a stored-data-changed handler failed');
    }
  }

  // ---- between nodes -------------------------------------------------------------------------

  /** RemoteLink: hand a stanza to the node holding `full`; bounced when that cannot happen now. */
  forward(node: string, full: string, el: Element): boolean {
    if (!this.link.ready) {
      this.bounce(el);
      return false;
    }
    const message: NodeMessage = { op: 'send', to: full, xml: serialize(el) };
    this.link.cmd.publish(this.keys.channel(node), JSON.stringify(message)).then(
      (receivers) => { if (receivers === 0) this.#unreachable(node, el); },
      () => { this.bounce(el); },
    );
    return true;
  }

  /** Nodes whose sessions this node forgot because nothing listened on their channel. */
  readonly suspects = new Set<string>();
  /** The sessions of each suspect, kept so that they can be reported lost if it turns out dead. */
  readonly #setAside = new Map<string, RemoteSession[]>();

  /**
   * `node` is dead: forget its sessions (and the ones set aside) and return them all, once.
   * The owned components here hear of them (`session-lost`: their rooms let them leave).
   */
  lostNode(node: string): RemoteSession[] {
    const lost = [...this.directory.dropNode(node), ...this.#setAside.get(node) ?? []];
    this.#setAside.delete(node);
    this.suspects.delete(node);
    this.owned.nodeLost(node, lost);
    return lost;
  }

  /**
   * Nothing listens on `node`'s channel: it died (its heartbeat has not run out yet) or lost
   * Redis. Its sessions are forgotten here until its heartbeat shows it alive (reloadNode),
   * so routing stops choosing them; a message meant for one is handled as for a resource that
   * is gone (RFC 6121 §8.5.3.2.1: another resource or offline storage). It keeps the stanza-id
   * it was archived with, so it is not archived twice.
   */
  #unreachable(node: string, el: Element): void {
    this.owned.forgetNode(node);
    const dropped = this.directory.dropNode(node);
    if (dropped.length > 0) {
      this.suspects.add(node);
      this.#setAside.set(node, [...this.#setAside.get(node) ?? [], ...dropped]);
      this.log.warn({ node }, 'nothing listens on a cluster node\'s channel: its sessions are set aside until its heartbeat is seen');
    }
    if (el.name === 'message' && el.attrs.type !== 'error') this.#module.server.route(el);
    else this.bounce(el);
  }

  /**
   * A node stopped cleanly (a drain): its resumable sessions are in the shared storage (stream
   * management stored them before it left). One surviving node takes them over at once, as
   * hibernating sessions (`smacks-adopt`), so that stanzas for them queue there and their
   * presence stays; a client's `<resume/>` on any node then finds them (XEP-0198 §5).
   */
  async #adoptFrom(node: string): Promise<void> {
    try {
      if (await this.link.cmd.set(this.keys.adoptLock(node), this.name, 'PX', this.timeoutMs, 'NX') !== 'OK') return;
    } catch {
      return; // Redis is away: a resume still takes them from storage, and the sweep ends the rest
    }
    for (const host of this.#module.server.hostNames) {
      if (!this.#module.server.moduleEnabled('smacks', host)) continue;
      try {
        const n = this.#module.server.hostEvents(host)?.fire('smacks-adopt', {});
        if (typeof n === 'number' && n > 0) this.log.info({ node, host, sessions: n }, 'took over the resumable sessions of a stopped cluster node');
      } catch (err) {
        this.log.error({ err, host }, 'smacks-adopt failed');
      }
    }
  }

  /** Read one node's sessions from Redis again (a suspect whose heartbeat is seen). */
  async reloadNode(node: string): Promise<void> {
    this.suspects.delete(node);
    this.#setAside.delete(node);
    const hash = await this.link.cmd.hgetall(this.keys.sessions(node));
    const records = Object.values(hash).map((text) => parseMessage<SessionRecord>(text)).filter((r): r is SessionRecord => r !== undefined);
    this.directory.replaceNode(node, records);
  }

  /** RemoteLink: ask the node to close its session (a bind of the same JID here replaced it). */
  close(node: string, full: string, reason: CloseReason | undefined): void {
    const message: NodeMessage = { op: 'close', to: full, condition: reason?.condition, text: reason?.text };
    this.link.cmd.publish(this.keys.channel(node), JSON.stringify(message)).catch(() => undefined);
  }

  settings(host: string): Session['settings'] {
    return this.#module.server.sessions.settings(host);
  }

  /**
   * A stanza for a session on a node that cannot be reached now: answered with an error
   * (RFC 6120 §8.3.3.16 remote-server-timeout, type wait: try again later), never dropped in
   * silence. Errors, iq results and presence are not answered (RFC 6120 §8.3.1, RFC 6121 §8.5.3.2.2).
   */
  bounce(el: Element): void {
    const type = el.attrs.type as string | undefined;
    if (type === 'error' || el.name === 'presence' || (el.name === 'iq' && type !== 'get' && type !== 'set') || !el.attrs.from) {
      this.log.debug({ name: el.name, to: el.attrs.to }, 'stanza for an unreachable cluster node not delivered');
      return;
    }
    this.#module.server.route(errorReply(el, 'wait', 'remote-server-timeout', 'The cluster node serving this address cannot be reached; try again later'));
  }

  #received(channel: string, text: string): void {
    if (channel === this.keys.registry) {
      const m = parseMessage<RegistryMessage>(text);
      if (m === undefined || m.node === this.name) return;
      if (m.op === 'set') this.directory.set(m.node, m.record);
      else if (m.op === 'del') this.directory.delete(m.node, m.full);
      else if (m.op === 'sync') this.directory.replaceNode(m.node, m.records);
      else if (m.op === 'gone') {
        // reaped as dead: its sessions are lost here too (another node saw it first)
        if (m.dead === true) this.lostNode(m.node);
        else {
          this.directory.dropNode(m.node);
          this.owned.forgetNode(m.node);
        }
        void this.#adoptFrom(m.node);
      }
      else if (m.op === 'release') this.resumption.requested(m);
      else if (m.op === 'changed') this.#changedElsewhere(m.host, m.store, m.user);
      return;
    }
    const m = parseMessage<NodeMessage>(text);
    if (m === undefined) return;
    if (m.op === 'released') {
      this.resumption.answered(m);
      return;
    }
    if (m.op === 'route') {
      this.owned.routed(m);
      return;
    }
    const session = this.#sessions.get(m.to);
    if (m.op === 'close') {
      session?.close({ condition: m.condition, text: m.text });
      return;
    }
    const el = parseElement(m.xml);
    if (el === undefined) return;
    if (session !== undefined && session.bound) {
      session.send(el);
      return;
    }
    // The session unbound while the stanza travelled: as for a resource that is gone
    // (RFC 6121 §8.5.3.2.1), a message is routed again (to the bare JID), a request answered.
    if (el.name === 'message' && el.attrs.type !== 'error') this.#module.server.route(el);
    else if (el.name === 'iq' && (el.attrs.type === 'get' || el.attrs.type === 'set')) this.#module.server.route(errorReply(el, 'cancel', 'service-unavailable'));
  }

  // ---- stop ----------------------------------------------------------------------------------

  /** A clean stop: this node's records go at once, and the others forget its sessions. */
  async stop(): Promise<void> {
    this.local.clear();
    this.directory.clear();
    this.resumption.clear();
    if (this.link.ready) {
      try {
        await this.owned.release();
        await this.link.cmd.multi()
          .del(this.keys.sessions(this.name))
          .srem(this.keys.nodes, this.name)
          .publish(this.keys.registry, JSON.stringify({ node: this.name, op: 'gone' } satisfies RegistryMessage))
          .eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, this.keys.alive(this.name), this.instance)
          .exec();
      } catch (err) {
        this.log.warn({ reason: (err as Error).message }, 'could not remove this node\'s records from Redis');
      }
    }
    await this.link.close();
  }
}
