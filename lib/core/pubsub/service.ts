/**
 * @module pubsub/service
 * One publish-subscribe service (XEP-0060): a JID with nodes, their items, affiliations and
 * subscriptions, persisted through PubsubStorage. The `pubsub` component runs one; `pep` runs
 * one per account. Every operation acts for a bare JID (the actor) and returns a PubsubResult;
 * notifications go out through the policy's `send`.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '../xml.js';
import type { NodeConfigFields, PubsubFailure, PubsubResult } from '../pubsub-api.js';
import { affiliation, checkAccess, checkOwner, checkPublish, failure, type AccessPolicy } from './access.js';
import { applyFields, itemLimit, meetsPreconditions, type NodeConfig } from './config.js';
import { eventMessage, publishedContent, retractContent, subscriberJids } from './notify.js';
import { xml } from '../xml.js';
import type { Affiliation, NodeRecord, PubsubStorage, StoredItem, StoredSubscription, SubscriptionState } from './storage.js';

/** What the service's owner decides (PEP or the component). */
export interface PubsubPolicy extends AccessPolicy {
  /** The service's JID: notifications come from it. */
  readonly jid: string;
  /** Whether `bare` may create nodes. */
  canCreate(bare: string): boolean;
  /** Recipients beyond explicit subscribers (PEP: resources with +notify), full JIDs. */
  implicitRecipients?(node: string, record: NodeRecord): Iterable<string>;
  /** Deliver a stanza (the server's router). */
  send(stanza: Element): void;
  /** Told after an item is published (pep-published). */
  published?(node: string, item: StoredItem, actor: string): void;
  /** Told after an item is retracted, or (id undefined) a node purged or deleted. */
  retracted?(node: string, id: string | undefined, actor: string): void;
}

/** The limits and defaults of a service (options of its module). */
export interface PubsubLimits {
  readonly defaults: NodeConfig;
  /** The largest max_items (and the meaning of 'max'). */
  readonly maxItems: number;
  readonly maxNodes: number;
  readonly maxPayloadBytes: number;
  readonly maxSubscriptions: number;
  readonly exposePublisher: boolean;
}

type Ok<T> = { readonly ok: true; readonly value: T };
const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
const notFound = (): PubsubFailure => failure('cancel', 'item-not-found');

interface LiveNode { record: NodeRecord; items?: StoredItem[] }

export class PubsubService {
  readonly #policy: PubsubPolicy;
  readonly #limits: PubsubLimits;
  readonly #storage: PubsubStorage;
  readonly #nodes = new Map<string, LiveNode>();
  #seq = 0;

  constructor(policy: PubsubPolicy, limits: PubsubLimits, storage: PubsubStorage) {
    this.#policy = policy;
    this.#limits = limits;
    this.#storage = storage;
    for (const [name, record] of Object.entries(storage.nodes())) {
      // Stored configurations gain fields added since they were written.
      this.#nodes.set(name, { record: { ...record, config: { ...limits.defaults, ...record.config } } });
    }
  }

  get jid(): string { return this.#policy.jid; }
  get limits(): PubsubLimits { return this.#limits; }
  get policy(): PubsubPolicy { return this.#policy; }

  /** Node names, in creation order. */
  nodeNames(): string[] { return [...this.#nodes.keys()]; }
  /** A node's stored record. */
  node(name: string): NodeRecord | undefined { return this.#nodes.get(name)?.record; }
  /** The affiliation of `bare` with a node. */
  affiliation(name: string, bare: string): Affiliation {
    const n = this.#nodes.get(name);
    return n ? affiliation(this.#policy, n.record, bare) : this.#policy.affiliationOf(bare) ?? 'none';
  }
  /** Whether `bare` may see the node (disco, items). */
  canSee(name: string, bare: string): boolean {
    const n = this.#nodes.get(name);
    return n !== undefined && checkAccess(this.#policy, n.record, n.record.config, bare) === undefined;
  }

  #items(name: string): StoredItem[] {
    const n = this.#nodes.get(name)!;
    if (!n.items) {
      n.items = this.#storage.items(name);
      for (const i of n.items) if (i.seq > this.#seq) this.#seq = i.seq;
    }
    return n.items;
  }

  #save(name: string, record: NodeRecord): void {
    this.#nodes.get(name)!.record = record;
    this.#storage.saveNode(name, record);
  }

  /** Create a node (XEP-0060 §8.1); `name` undefined makes an instant node (§8.1.2). */
  create(actor: string, name: string | undefined, fields?: NodeConfigFields | ReadonlyMap<string, readonly string[]>): PubsubResult<string> {
    if (!this.#policy.canCreate(actor)) return failure('auth', 'forbidden'); // §8.1.3.1
    const node = name ?? randomUUID();
    if (this.#nodes.has(node)) return failure('cancel', 'conflict'); // §8.1.3.3
    if (this.#nodes.size >= this.#limits.maxNodes) return failure('wait', 'resource-constraint', undefined, `At most ${this.#limits.maxNodes} nodes`);
    const config = fields ? applyFields(this.#limits.defaults, fields, this.#limits.maxItems) : this.#limits.defaults;
    if ('field' in config) return failure('modify', 'not-acceptable', undefined, config.text); // §8.1.3.2 (a configuration the service refuses)
    const record: NodeRecord = { config, affiliations: { [actor]: 'owner' }, subscriptions: {}, created: Date.now() };
    this.#nodes.set(node, { record, items: [] });
    this.#storage.saveNode(node, record);
    return ok(node);
  }

  /** Change a node's configuration (XEP-0060 §8.2.4). */
  configure(actor: string, name: string, fields: NodeConfigFields | ReadonlyMap<string, readonly string[]>): PubsubResult<NodeConfig> {
    const n = this.#nodes.get(name);
    if (!n) return notFound();
    const refused = checkOwner(this.#policy, n.record, actor);
    if (refused) return refused;
    const config = applyFields(n.record.config, fields, this.#limits.maxItems);
    if ('field' in config) return failure('modify', 'not-acceptable', undefined, config.text); // §8.2.5.4
    this.#save(name, { ...n.record, config });
    this.#trim(name);
    if (config.notify_config) this.#broadcast(name, xml('configuration', { node: name })); // §8.2.3.3
    return ok(config);
  }

  /** Delete a node (XEP-0060 §8.4). */
  delete(actor: string, name: string): PubsubResult<true> {
    const n = this.#nodes.get(name);
    if (!n) return notFound();
    const refused = checkOwner(this.#policy, n.record, actor);
    if (refused) return refused;
    if (n.record.config.notify_delete) this.#broadcast(name, xml('delete', { node: name })); // §8.4.2
    const ids = this.#items(name).map((i) => i.id);
    this.#storage.transaction(() => {
      this.#storage.removeItems(name, ids);
      this.#storage.saveNode(name, undefined);
    });
    this.#nodes.delete(name);
    this.#policy.retracted?.(name, undefined, actor);
    return ok(true);
  }

  /** Remove every item of a node (XEP-0060 §8.5). */
  purge(actor: string, name: string): PubsubResult<true> {
    const n = this.#nodes.get(name);
    if (!n) return notFound();
    const refused = checkOwner(this.#policy, n.record, actor);
    if (refused) return refused;
    const ids = this.#items(name).map((i) => i.id);
    this.#storage.transaction(() => this.#storage.removeItems(name, ids));
    n.items = [];
    if (n.record.config.notify_retract) this.#broadcast(name, xml('purge', { node: name })); // §8.5.2
    this.#policy.retracted?.(name, undefined, actor);
    return ok(true);
  }

  /**
   * Publish an item (XEP-0060 §7.1). `preconditions` are publish-options (§7.1.5): a node
   * created here gets them as its configuration; an existing node must match them.
   */
  publish(actor: string, publisher: string, name: string, id: string | undefined, payload: Element | undefined,
    preconditions?: NodeConfigFields | ReadonlyMap<string, readonly string[]>, autocreate = false): PubsubResult<string> {
    let n = this.#nodes.get(name);
    if (!n) {
      if (!autocreate) return notFound(); // §7.1.3.3
      const created = this.create(actor, name, preconditions);
      if (!created.ok) return created.condition === 'not-acceptable' ? failure('cancel', 'conflict', 'precondition-not-met', created.text) : created;
      n = this.#nodes.get(name)!;
    } else if (preconditions) {
      const given = preconditions instanceof Map ? [...preconditions.keys()] : Object.keys(preconditions);
      const wanted = applyFields(n.record.config, preconditions, this.#limits.maxItems);
      if (!meetsPreconditions(n.record.config, wanted, given)) return failure('cancel', 'conflict', 'precondition-not-met'); // §7.1.5
    }
    const refused = checkPublish(this.#policy, n.record, n.record.config, actor);
    if (refused) return refused;
    const config = n.record.config;
    // §7.1.3.6: a node that delivers payloads or persists items needs one
    if (!payload && (config.deliver_payloads || config.persist_items)) return failure('modify', 'bad-request', 'payload-required');
    const item: StoredItem = { id: id ?? randomUUID(), payload, publisher, when: Date.now(), seq: ++this.#seq };
    const limit = itemLimit(config, this.#limits.maxItems);
    if (limit > 0) {
      const items = this.#items(name).filter((i) => i.id !== item.id); // §7.1.2: same id replaces
      items.push(item);
      const dropped = items.length > limit ? items.splice(0, items.length - limit) : [];
      n.items = items;
      this.#storage.transaction(() => {
        this.#storage.removeItems(name, dropped.map((d) => d.id));
        this.#storage.saveItem(name, item);
      });
    }
    if (config.deliver_notifications) this.#broadcast(name, publishedContent(name, item, config, this.#limits.exposePublisher));
    this.#policy.published?.(name, item, publisher);
    return ok(item.id);
  }

  /** Delete an item (XEP-0060 §7.2); `notify` asks for retraction notifications (§7.2.2.1). */
  retract(actor: string, name: string, id: string, notify: boolean): PubsubResult<true> {
    const n = this.#nodes.get(name);
    if (!n) return notFound(); // §7.2.3.3
    const items = this.#items(name);
    const item = items.find((i) => i.id === id);
    // §7.2.3.1: only a publisher (its own items) or an owner
    const aff = affiliation(this.#policy, n.record, actor);
    const own = item?.publisher !== undefined && (item.publisher === actor || item.publisher.startsWith(`${actor}/`));
    if (aff !== 'owner' && aff !== 'publisher' && !(aff !== 'outcast' && own)) return failure('auth', 'forbidden');
    if (!item) return notFound(); // §7.2.3.5
    n.items = items.filter((i) => i !== item);
    this.#storage.transaction(() => this.#storage.removeItems(name, [id]));
    if (notify || n.record.config.notify_retract) this.#broadcast(name, retractContent(name, id));
    this.#policy.retracted?.(name, id, actor);
    return ok(true);
  }

  /** Items, newest first: all, those `ids`, at most `max` (XEP-0060 §6.5). `actor` undefined: no access check. */
  items(actor: string | undefined, name: string, ids?: readonly string[], max?: number): PubsubResult<StoredItem[]> {
    const n = this.#nodes.get(name);
    if (!n) return notFound(); // §6.5.9.11
    if (actor !== undefined) {
      const refused = checkAccess(this.#policy, n.record, n.record.config, actor);
      if (refused) return refused;
    }
    let items = [...this.#items(name)].reverse();
    if (ids && ids.length > 0) items = items.filter((i) => ids.includes(i.id));
    if (max !== undefined) items = items.slice(0, max);
    return ok(items);
  }

  /** The newest item of a node, if any. */
  lastItem(name: string): StoredItem | undefined {
    if (!this.#nodes.has(name)) return undefined;
    const items = this.#items(name);
    return items[items.length - 1];
  }

  /** Subscribe `jid` (XEP-0060 §6.1); the actor is its bare JID (checked by the caller). */
  subscribe(actor: string, name: string, jid: string, deliver = true): PubsubResult<StoredSubscription & { jid: string }> {
    const n = this.#nodes.get(name);
    if (!n) return notFound(); // §6.1.3.12
    const refused = checkAccess(this.#policy, n.record, n.record.config, actor, true);
    if (refused) return refused;
    const existing = n.record.subscriptions[jid];
    if (existing) return ok({ ...existing, jid });
    if (Object.keys(n.record.subscriptions).length >= this.#limits.maxSubscriptions) {
      return failure('cancel', 'policy-violation', 'too-many-subscriptions'); // §6.1.3.10
    }
    // §6.1.5: an authorize node waits for the owner's approval (members and owners need none)
    const aff = affiliation(this.#policy, n.record, actor);
    const state: SubscriptionState = n.record.config.access_model === 'authorize' && aff === 'none' ? 'pending' : 'subscribed';
    const sub: StoredSubscription = { state, subid: randomUUID(), deliver };
    this.#save(name, { ...n.record, subscriptions: { ...n.record.subscriptions, [jid]: sub } });
    return ok({ ...sub, jid });
  }

  /** Unsubscribe `jid` (XEP-0060 §6.2). */
  unsubscribe(actor: string, name: string, jid: string): PubsubResult<true> {
    const n = this.#nodes.get(name);
    if (!n) return notFound(); // §6.2.3.4
    if (!n.record.subscriptions[jid]) return failure('cancel', 'unexpected-request', 'not-subscribed'); // §6.2.3.2
    const bare = jid.split('/')[0]!;
    if (bare !== actor && affiliation(this.#policy, n.record, actor) !== 'owner') return failure('auth', 'forbidden'); // §6.2.3.3
    const subscriptions = { ...n.record.subscriptions };
    delete subscriptions[jid];
    this.#save(name, { ...n.record, subscriptions });
    return ok(true);
  }

  /** Set a subscription's options (XEP-0060 §6.3.5). */
  setDeliver(name: string, jid: string, deliver: boolean): PubsubResult<true> {
    const n = this.#nodes.get(name);
    if (!n) return notFound();
    const sub = n.record.subscriptions[jid];
    if (!sub) return failure('modify', 'unexpected-request', 'not-subscribed'); // §6.3.4.2
    this.#save(name, { ...n.record, subscriptions: { ...n.record.subscriptions, [jid]: { ...sub, deliver } } });
    return ok(true);
  }

  /** The owner sets affiliations (XEP-0060 §8.9.2): all or nothing. */
  setAffiliations(actor: string, name: string, changes: ReadonlyArray<readonly [string, Affiliation]>): PubsubResult<true> {
    const n = this.#nodes.get(name);
    if (!n) return notFound();
    const refused = checkOwner(this.#policy, n.record, actor);
    if (refused) return refused;
    const affiliations: Record<string, Affiliation> = { ...n.record.affiliations };
    for (const [jid, aff] of changes) {
      if (aff === 'none') delete affiliations[jid];
      else affiliations[jid] = aff;
    }
    // §8.9.2.4: a node keeps at least one owner (unless the policy names one)
    if (!Object.values(affiliations).includes('owner') && ![...Object.keys(n.record.affiliations), ...changes.map((c) => c[0])].some((j) => this.#policy.affiliationOf(j) === 'owner')) {
      return failure('modify', 'not-acceptable', undefined, 'A node keeps at least one owner');
    }
    let subscriptions = n.record.subscriptions;
    // §4.1: an outcast has no subscription
    if (changes.some(([, a]) => a === 'outcast')) {
      subscriptions = Object.fromEntries(Object.entries(subscriptions).filter(([j]) => affiliations[j.split('/')[0]!] !== 'outcast'));
    }
    this.#save(name, { ...n.record, affiliations, subscriptions });
    return ok(true);
  }

  /** The owner sets subscriptions (XEP-0060 §8.8.2): 'none' removes one, others set its state. */
  setSubscriptions(actor: string, name: string, changes: ReadonlyArray<readonly [string, SubscriptionState | 'none']>): PubsubResult<true> {
    const n = this.#nodes.get(name);
    if (!n) return notFound();
    const refused = checkOwner(this.#policy, n.record, actor);
    if (refused) return refused;
    const subscriptions: Record<string, StoredSubscription> = { ...n.record.subscriptions };
    for (const [jid, state] of changes) {
      if (state === 'none') { delete subscriptions[jid]; continue; }
      const prev = subscriptions[jid];
      if (!prev && Object.keys(subscriptions).length >= this.#limits.maxSubscriptions) return failure('cancel', 'policy-violation', 'too-many-subscriptions');
      subscriptions[jid] = { state, subid: prev?.subid ?? randomUUID(), deliver: prev?.deliver ?? true };
    }
    this.#save(name, { ...n.record, subscriptions });
    return ok(true);
  }

  /** Checks an owner operation without doing it (retrievals). */
  ownerCheck(actor: string, name: string): PubsubFailure | undefined {
    const n = this.#nodes.get(name);
    if (!n) return notFound();
    return checkOwner(this.#policy, n.record, actor);
  }

  /** Drop the oldest items beyond the node's limit (after a configuration change). */
  #trim(name: string): void {
    const n = this.#nodes.get(name)!;
    const limit = itemLimit(n.record.config, this.#limits.maxItems);
    const items = this.#items(name);
    if (items.length <= limit) return;
    const dropped = items.splice(0, items.length - limit);
    this.#storage.transaction(() => this.#storage.removeItems(name, dropped.map((d) => d.id)));
  }

  /** Send `content` (an event child) to the node's subscribers and implicit recipients. */
  #broadcast(name: string, content: Element): void {
    const n = this.#nodes.get(name)!;
    const to = new Set(subscriberJids(n.record));
    for (const jid of this.#policy.implicitRecipients?.(name, n.record) ?? []) {
      if (!to.has(jid.split('/')[0]!)) to.add(jid);
    }
    for (const jid of to) this.#policy.send(eventMessage(this.#policy.jid, jid, n.record.config, content));
  }

  /** Send a node's last item to one recipient (XEP-0060 §6.1.7 send_last_published_item). */
  sendLastItem(name: string, to: string): boolean {
    const n = this.#nodes.get(name);
    const item = n ? this.lastItem(name) : undefined;
    if (!n || !item) return false;
    this.#policy.send(eventMessage(this.#policy.jid, to, n.record.config, publishedContent(name, item, n.record.config, this.#limits.exposePublisher), item.when));
    return true;
  }
}
