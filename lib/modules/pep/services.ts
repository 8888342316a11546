/**
 * @module pep/services
 * One PEP service per account (XEP-0163 §1), on the shared pubsub engine: loaded lazily from
 * storage (under the account's username, so deleting the account deletes it), kept in a
 * bounded cache, with the account's policy: the account owns every node, `presence` and
 * `roster` access come from its roster, notifications go to its resources and contacts whose
 * caps ask for `<node>+notify` (§4.3.1), and publications fire pep-published/pep-retracted.
 */
import { parseJid, type Element, type ModuleApi, type RosterService } from '../../core/api.js';
import {
  driverStorage, PubsubService, type NodeConfig, type NodeRecord, type PubsubLimits, type PubsubPolicy, type StoredItem,
} from '../../core/pubsub-api.js';
import type { CapsCache } from './caps.js';

export const PEP_STORE = 'pep';

/** Roster groups of a contact, read from the roster query (RFC 6121 §2.1.2.2). */
function groupsOf(rosters: RosterService, user: string, contact: string): string[] | undefined {
  if (!rosters.hasItem(user, contact)) return undefined;
  const item = rosters.queryElement(user).getChildren('item').find((i) => i.attrs.jid === contact);
  return item ? item.getChildren('group').map((g) => g.getText()) : [];
}

export class PepServices {
  readonly #module: ModuleApi;
  readonly #limits: PubsubLimits;
  readonly #max: number;
  readonly #caps: CapsCache;
  readonly #cache = new Map<string, PubsubService>();

  constructor(module: ModuleApi, limits: PubsubLimits, cacheSize: number, caps: CapsCache) {
    this.#module = module;
    this.#limits = limits;
    this.#max = cacheSize;
    this.#caps = caps;
  }

  get limits(): PubsubLimits { return this.#limits; }

  /** The account's service (loaded on first use; least recently used ones are dropped beyond the cache size). */
  get(user: string): PubsubService {
    let s = this.#cache.get(user);
    if (s) {
      this.#cache.delete(user);
      this.#cache.set(user, s);
      return s;
    }
    s = new PubsubService(this.#policy(user), this.#limits, driverStorage(this.#module.server.storage, this.#module.host, PEP_STORE, user));
    this.#cache.set(user, s);
    while (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value!);
    return s;
  }

  /** Forget an account's service (deleted account). */
  forget(user: string): void { this.#cache.delete(user); }

  /** Whether a client asked for a node's notifications (XEP-0163 §4: caps with <node>+notify). */
  wantsNotify(fullJid: string, node: string): boolean {
    return this.#caps.features(fullJid)?.has(`${node}+notify`) ?? false;
  }

  /** The local available resources of a bare JID. */
  availableResources(bare: string): string[] {
    const jid = parseJid(bare);
    if (!jid?.local || !this.#module.server.isLocalHost(jid.domain)) return [];
    return this.#module.server.sessions.ofUser(jid.domain, jid.local)
      .filter((s) => s.presence !== undefined && s.fullJid !== undefined).map((s) => s.fullJid!);
  }

  #policy(user: string): PubsubPolicy {
    const module = this.#module;
    const own = `${user}@${module.host}`;
    const rosters = (): RosterService | undefined => module.service('rosters');
    const wants = (full: string, node: string): boolean => this.wantsNotify(full, node);
    const resources = (bare: string): string[] => this.availableResources(bare);
    const serviceOf = (): PubsubService => this.get(user);
    let service: PubsubService | undefined;
    const policy: PubsubPolicy = {
      jid: own,
      affiliationOf: (bare) => (bare === own ? 'owner' : undefined),
      canCreate: (bare) => bare === own,
      hasPresenceSubscription: (bare) => bare === own || (rosters()?.isSubscribed(user, bare) ?? false),
      rosterGroups: (bare) => {
        const r = rosters();
        return r ? groupsOf(r, user, bare) : undefined;
      },
      // XEP-0163 §4.3.1: the account's resources and its presence subscribers' resources, when their caps ask
      *implicitRecipients(node: string): Iterable<string> {
        service ??= serviceOf();
        for (const full of resources(own)) if (wants(full, node)) yield full;
        for (const contact of rosters()?.subscribers(user) ?? []) {
          if (!service.canSee(node, contact)) continue;
          for (const full of resources(contact)) if (wants(full, node)) yield full;
        }
      },
      send: (stanza: Element) => module.server.route(stanza),
      published: (node: string, item: StoredItem, actor: string) => {
        module.fire('pep-published', { user, node, item: { id: item.id, payload: item.payload, publisher: item.publisher, when: item.when }, actor });
      },
      retracted: (node: string, id: string | undefined, actor: string) => {
        module.fire('pep-retracted', { user, node, id, actor });
      },
    };
    return policy;
  }

  /** Send the last item of each of the account's nodes that `fullJid` wants and may see (XEP-0163 §4.3.2). */
  sendLastItems(user: string, fullJid: string): void {
    const service = this.get(user);
    const bare = fullJid.split('/')[0]!;
    for (const node of service.nodeNames()) {
      const record = service.node(node) as NodeRecord;
      const config: NodeConfig = record.config;
      if (config.send_last_published_item !== 'on_sub_and_presence') continue;
      if (!this.wantsNotify(fullJid, node) || !service.canSee(node, bare)) continue;
      service.sendLastItem(node, fullJid);
    }
  }
}
