/**
 * @module cluster/owned-addresses
 * Addresses owned by one node at a time: the rooms of a muc component, the whole service of a
 * pubsub component (cluster_owned_components). Each address (the bare JID a stanza is for; the
 * component's own name for the component itself) has a lease in Redis, `<prefix>owner:<address>`
 * = the owning node's name, expiring after cluster_node_timeout and renewed by its owner's
 * heartbeat (one script for every address it owns, one round trip per beat).
 *
 * A route gate on each such component (ServerApi.setRouteGate) decides per stanza, after
 * `pre-*` ran on the sender's node: the address is this node's (handled here as on one node),
 * another node's (the stanza, with its stamped `from`, goes unchanged on that node's channel,
 * op `route`, and is routed there with `routeHere`: no second gate), or unknown (held in
 * arrival order while one script takes the lease when free or reads its holder; stanzas for
 * that address that arrive meanwhile queue behind it, so none overtakes another). Owners are
 * cached in memory: the stanza path costs one map lookup and never waits on Redis once known.
 *
 * Failover: a dead node's leases expire within cluster_node_timeout; the next stanza for the
 * address on any node takes it, and `address-owned` tells the component there to read the
 * room (or service) from storage again. A clean stop deletes this node's leases at once.
 * Sessions of a dead node are `session-lost` on every owned component here, so the rooms this
 * node owns let their occupants leave (XEP-0045 §7.14).
 */
import { parseElement, serialize, type Element, type ModuleApi, type RouteGate, type Session } from '../../core/api.js';
import type { NodeMessage } from './records.js';
import type { ClusterNode } from './cluster-node.js';

/** The lease's holder; taken for this node (PX ttl) when nobody holds it. One round trip. */
const CLAIM = "local v = redis.call('get', KEYS[1]) if v then return v end redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return ARGV[1]";
/** Renew each lease held by ARGV[1] (or free: a Redis that lost its data); 0 where another node holds it. */
const RENEW = "local r = {} for i, k in ipairs(KEYS) do local v = redis.call('get', k) "
  + "if v == ARGV[1] then redis.call('pexpire', k, ARGV[2]) r[i] = 1 "
  + "elseif not v then redis.call('set', k, ARGV[1], 'PX', ARGV[2]) r[i] = 1 else r[i] = 0 end end return r";
/** Delete each lease ARGV[1] holds. */
const RELEASE = "for _, k in ipairs(KEYS) do if redis.call('get', k) == ARGV[1] then redis.call('del', k) end end return 0";

/** Most times a stanza is passed on because its address changed owner on the way. */
const MAX_HOPS = 3;
/** Most owners cached (the oldest entry goes first beyond it; it is looked up again when needed). */
const MAX_CACHED = 100_000;

export class OwnedAddresses {
  readonly #node: ClusterNode;
  readonly #module: ModuleApi;
  /** The component hosts whose addresses are owned (gated here). */
  readonly #hosts = new Set<string>();
  /** Known owners by address (this node's name for its own). */
  readonly #owners = new Map<string, string>();
  /** Addresses this node holds the lease of, with their component host. */
  readonly #mine = new Map<string, string>();
  /** Stanzas waiting, in arrival order, while their address's owner is looked up. */
  readonly #pending = new Map<string, { host: string; stanzas: { el: Element; hops: number }[] }>();
  /**
   * When this node's leases were last renewed. Once a whole timeout has passed without a
   * renewal (Redis unreachable), another node may hold them: this node's own addresses are
   * looked up again before it handles one more stanza for them (no two owners of a room).
   */
  #renewedAt = Date.now();

  constructor(node: ClusterNode, module: ModuleApi) {
    this.#node = node;
    this.#module = module;
  }

  /** Gate every component whose module is in `modules` (and that this server serves). */
  install(modules: ReadonlySet<string>): void {
    const server = this.#module.server;
    for (const host of server.componentNames) {
      if (![...modules].some((m) => server.moduleEnabled(m, host))) continue;
      this.#hosts.add(host);
      const gate: RouteGate = (stanza, address) => this.#take(host, address, stanza, 0);
      server.setRouteGate(host, gate);
    }
  }

  /** Remove the gates (the module unloads). */
  uninstall(): void {
    for (const host of this.#hosts) this.#module.server.setRouteGate(host, undefined);
    this.#hosts.clear();
  }

  /** Whether the stanza is taken (held or forwarded); false: handle it here now. */
  #take(host: string, address: string, el: Element, hops: number): boolean {
    const pending = this.#pending.get(address);
    if (pending !== undefined) {
      pending.stanzas.push({ el, hops });
      return true;
    }
    let owner = this.#owners.get(address);
    if (owner === this.#node.name) {
      if (Date.now() - this.#renewedAt < this.#node.timeoutMs) return false;
      this.#owners.delete(address); // not renewed for a timeout: ask Redis again
      owner = undefined;
    }
    if (owner !== undefined) {
      this.#forward(owner, host, address, el, hops);
      return true;
    }
    if (!this.#node.link.ready) {
      this.#node.bounce(el);
      return true;
    }
    this.#pending.set(address, { host, stanzas: [{ el, hops }] });
    void this.#resolve(host, address);
    return true;
  }

  /** Take the lease or learn its holder, then let the held stanzas go, in order. */
  async #resolve(host: string, address: string): Promise<void> {
    const node = this.#node;
    let owner: string | undefined;
    try {
      owner = await node.link.cmd.eval(CLAIM, 1, node.keys.owner(address), node.name, node.timeoutMs) as string;
    } catch (err) {
      node.log.debug({ address, reason: (err as Error).message }, 'owner of an address not found (Redis unavailable?)');
    }
    const held = this.#pending.get(address)?.stanzas ?? [];
    this.#pending.delete(address);
    if (owner === undefined) {
      for (const { el } of held) node.bounce(el);
      return;
    }
    this.#cache(address, owner);
    if (owner === node.name) {
      this.#own(host, address);
      for (const { el } of held) this.#module.server.routeHere(el);
    } else {
      // another node took it while this one could not renew: it is that node's now
      if (this.#mine.delete(address)) node.log.warn({ address, owner }, 'another cluster node took over an address this node owned');
      for (const { el, hops } of held) this.#forward(owner, host, address, el, hops);
    }
  }

  #cache(address: string, owner: string): void {
    this.#owners.delete(address);
    this.#owners.set(address, owner);
    if (this.#owners.size > MAX_CACHED) this.#owners.delete(this.#owners.keys().next().value!);
  }

  /** This node holds the lease now: the component drops what it kept for the address. */
  #own(host: string, address: string): void {
    if (this.#mine.has(address)) return;
    this.#mine.set(address, host);
    try {
      this.#module.server.hostEvents(host)?.fire('address-owned', { address });
    } catch (err) {
      this.#node.log.error({ err, address }, 'an address-owned handler failed');
    }
  }

  /** Hand the stanza to the owning node (bounced when that node does not listen: it died). */
  #forward(owner: string, host: string, address: string, el: Element, hops: number): void {
    const node = this.#node;
    if (hops >= MAX_HOPS || !node.link.ready) {
      node.bounce(el);
      return;
    }
    const message: NodeMessage = { op: 'route', host, address, xml: serialize(el), hops: hops + 1 };
    node.link.cmd.publish(node.keys.channel(owner), JSON.stringify(message)).then(
      (receivers) => {
        if (receivers > 0) return;
        // Nobody listens: the owner died. Its lease may have run out already (then this node
        // takes it); while it has not, the stanza goes round at most MAX_HOPS times, then bounces.
        this.forgetNode(owner);
        if (!this.#take(host, address, el, hops + 1)) this.#module.server.routeHere(el);
      },
      () => { node.bounce(el); },
    );
  }

  /** A `route` message from another node: ours, handled here; otherwise gated again. */
  routed(m: Extract<NodeMessage, { op: 'route' }>): void {
    if (!this.#hosts.has(m.host)) return;
    const el = parseElement(m.xml);
    if (el === undefined) return;
    if (this.#mine.has(m.address)) {
      this.#module.server.routeHere(el);
      return;
    }
    // the sender took this node for the owner: one of the two caches is stale, so Redis decides
    this.#owners.delete(m.address);
    if (!this.#take(m.host, m.address, el, m.hops)) this.#module.server.routeHere(el);
  }

  /** Forget what is cached about `node`'s addresses (it stopped, died or does not listen). */
  forgetNode(node: string): void {
    for (const [address, owner] of this.#owners) if (owner === node) this.#owners.delete(address);
  }

  /**
   * `node` died: the cache forgets its addresses, and each gated component here hears that
   * its sessions are lost (the rooms this node owns remove those occupants).
   */
  nodeLost(node: string, sessions: readonly Session[]): void {
    this.forgetNode(node);
    for (const host of this.#hosts) {
      const bus = this.#module.server.hostEvents(host);
      for (const session of sessions) {
        try {
          bus?.fire('session-lost', { session, reason: `cluster node ${node} stopped answering` });
        } catch (err) {
          this.#node.log.error({ err, host, jid: session.fullJid }, 'a session-lost handler failed');
        }
      }
    }
  }

  /** Heartbeat: renew every lease this node holds, in one round trip; drop the ones lost. */
  async renew(): Promise<void> {
    const started = Date.now();
    if (this.#mine.size === 0) {
      this.#renewedAt = started;
      return;
    }
    const node = this.#node;
    const addresses = [...this.#mine.keys()];
    const kept = await node.link.cmd.eval(RENEW, addresses.length, ...addresses.map((a) => node.keys.owner(a)), node.name, node.timeoutMs) as number[];
    addresses.forEach((address, i) => {
      if (kept[i] === 1) return;
      node.log.warn({ address }, 'another cluster node took over an address this node owned');
      this.#mine.delete(address);
      this.#owners.delete(address);
    });
    this.#renewedAt = started;
  }

  /** A clean stop: every lease this node holds goes at once (others take them without waiting). */
  async release(): Promise<void> {
    const addresses = [...this.#mine.keys()];
    this.#mine.clear();
    this.#owners.clear();
    if (addresses.length === 0 || !this.#node.link.ready) return;
    const node = this.#node;
    await node.link.cmd.eval(RELEASE, addresses.length, ...addresses.map((a) => node.keys.owner(a)), node.name);
  }
}
