/**
 * @module pep
 * Personal Eventing Protocol (XEP-0163), Prosody's mod_pep: every account is a pubsub service
 * (XEP-0060) on the shared engine. Its owner publishes (nodes are auto-created, publish-options
 * become the new node's configuration), contacts get notifications when their entity
 * capabilities (XEP-0115, caps.ts) ask for `<node>+notify`, and the last item when their
 * available presence arrives. Global so that capabilities learnt on one host serve all.
 * Hooks presence and iq only; nothing on the message path.
 */
import {
  bareJid, defineModule, errorReply, parseJid, xml, NS_DISCO_INFO,
  type Element, type ModuleApi, type Session, type StanzaEvent,
} from '../../core/api.js';
import {
  configFields, handlePubsubIq, nodeInfo, nodeItems, pubsubFailure, BASE_NODE_CONFIG,
  NS_PUBSUB, NS_PUBSUB_OWNER, type PepService, type PubsubRequest,
} from '../../core/pubsub-api.js';
import { CapsCache, capsQuery, type DiscoQuery } from './caps.js';
import { PEP_OPTIONS } from './options.js';
import { PEP_STORE, PepServices } from './services.js';

/** The features an account advertises for PEP (XEP-0163 §6, XEP-0060 §10): what is implemented. */
export const PEP_FEATURES = [
  'access-authorize', 'access-open', 'access-presence', 'access-roster', 'access-whitelist',
  'auto-create', 'auto-subscribe', 'config-node', 'create-and-configure', 'create-nodes', 'delete-items', 'delete-nodes',
  'filtered-notifications', 'item-ids', 'last-published', 'manage-subscriptions', 'member-affiliation', 'modify-affiliations',
  'multi-items', 'outcast-affiliation', 'persistent-items', 'presence-notifications', 'publish', 'publish-options',
  'publisher-affiliation', 'purge-nodes', 'retract-items', 'retrieve-affiliations', 'retrieve-default', 'retrieve-items',
  'retrieve-subscriptions', 'subscribe', 'subscription-options',
].map((f) => `${NS_PUBSUB}#${f}`);

interface PepGlobal {
  caps: CapsCache;
  /** Host -> its services. */
  hosts: Map<string, PepServices>;
  /** Full JID -> accounts ("host\0user") whose last items wait for its capabilities. */
  waiting: Map<string, Set<string>>;
}

export default defineModule({
  name: 'pep',
  global: true,
  events: ['pep-published', 'pep-retracted'],
  description: 'Personal Eventing Protocol (XEP-0163): a pubsub service on every account, with +notify filtering through entity capabilities (XEP-0115).',
  options: PEP_OPTIONS,
  load(module): PepGlobal {
    const state: PepGlobal = { hosts: new Map(), waiting: new Map(), caps: undefined as unknown as CapsCache };
    state.caps = new CapsCache(module.options.pep_caps_cache_size, (jid) => {
      // Capabilities known: deliver the last items that waited for them (XEP-0163 §4.3.2)
      const accounts = state.waiting.get(jid);
      if (!accounts) return;
      state.waiting.delete(jid);
      for (const key of accounts) {
        const [host, user] = key.split('\0') as [string, string];
        state.hosts.get(host)?.sendLastItems(user, jid);
      }
    });
    return state;
  },
  addHost(module, state) {
    const { host, server } = module;
    const o = module.options;
    const services = new PepServices(module as ModuleApi, {
      // Prosody's mod_pep defaults: presence access, last item on subscription and presence
      defaults: { ...BASE_NODE_CONFIG, access_model: 'presence', send_last_published_item: 'on_sub_and_presence', max_items: o.pep_max_items },
      maxItems: o.pep_max_items,
      maxNodes: o.pep_max_nodes,
      maxPayloadBytes: o.pep_max_payload_size,
      maxSubscriptions: o.pep_max_subscriptions,
      exposePublisher: false,
    }, o.pep_service_cache_size, state.caps);
    state.hosts.set(host, services);
    module.onUnload(() => { if (state.hosts.get(host) === services) state.hosts.delete(host); });

    module.provides('account-feature', NS_PUBSUB);
    for (const f of PEP_FEATURES) module.provides('account-feature', f);
    module.hook('account-disco-info', ({ reply }) => { reply.append(xml('identity', { category: 'pubsub', type: 'pep' })); });
    // XEP-0163 §8 (XEP-0060 §5.2): the nodes the requester may see
    module.hook('account-disco-items', ({ stanza, reply }) => {
      const user = parseJid(stanza.attrs.to as string | undefined)?.local ?? parseJid(stanza.attrs.from as string)?.local;
      const from = parseJid(stanza.attrs.from as string | undefined)?.bare;
      if (!user || !from || !server.accounts.exists(host, user)) return;
      for (const item of nodeItems(services.get(user), from)) reply.append(item);
    });
    // XEP-0060 §5.3: disco#info of a node on the account
    const nodeDisco = ({ origin, stanza }: StanzaEvent): true | undefined => {
      const node = stanza.getChild('query', NS_DISCO_INFO)?.attrs.node as string | undefined;
      const from = parseJid(stanza.attrs.from as string | undefined) ?? (origin?.bareJid ? parseJid(origin.bareJid) : undefined);
      const user = parseJid(stanza.attrs.to as string | undefined)?.local ?? origin?.username;
      if (node === undefined || !user || !from || !server.accounts.exists(host, user)) return undefined;
      const info = nodeInfo(services.get(user), node, from.bare);
      const out = info
        ? xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, info)
        : errorReply(stanza, 'cancel', 'item-not-found');
      if (origin) origin.send(out);
      else server.route(out);
      return true;
    };
    module.hook(`iq-get/bare/${NS_DISCO_INFO}:query`, nodeDisco, 1);
    module.hook(`iq-get/self/${NS_DISCO_INFO}:query`, nodeDisco, 1);

    // XEP-0163 §3, §4: the pubsub protocol on the account's bare JID
    const request = (self: boolean) => ({ origin, stanza }: StanzaEvent): true => {
      const to = parseJid(stanza.attrs.to as string | undefined);
      const user = self ? origin?.username : to?.local;
      const from = self ? origin?.fullJid : (stanza.attrs.from as string | undefined);
      const fromJid = parseJid(from);
      let out: Element;
      if (!user || !fromJid || !server.accounts.exists(host, user)) {
        out = errorReply(stanza, 'cancel', 'service-unavailable'); // RFC 6121 §8.5.1
      } else if (!self && writesAsOwner(stanza)) {
        out = errorReply(stanza, 'auth', 'forbidden'); // nobody publishes to (or manages) another's PEP
      } else {
        const service = services.get(user);
        const req: PubsubRequest = {
          service, stanza, actor: fromJid.bare, from: fromJid.full,
          autocreateOnPublish: self, autocreateOnSubscribe: false, instantNodes: false,
          // XEP-0060 §6.1.7: the last item on subscription
          subscribed: (node, jid) => {
            const cfg = service.node(node)?.config.send_last_published_item;
            if (cfg === 'on_sub' || cfg === 'on_sub_and_presence') service.sendLastItem(node, jid);
          },
          beforeCreate: () => service.nodeNames().length >= o.pep_max_nodes
            ? pubsubFailure('wait', 'resource-constraint', undefined, `At most ${o.pep_max_nodes} nodes per account`) : undefined,
        };
        out = handlePubsubIq(req);
        // a change to the account's service: other nodes of a cluster drop their cached copy
        if (stanza.attrs.type === 'set' && out.attrs.type === 'result') module.fire('stored-data-changed', { store: PEP_STORE, user, remote: false });
      }
      if (origin) origin.send(out);
      else server.route(out);
      return true;
    };
    for (const ns of [NS_PUBSUB, NS_PUBSUB_OWNER]) {
      module.hook(`iq-get/self/${ns}:pubsub`, request(true));
      module.hook(`iq-set/self/${ns}:pubsub`, request(true));
      module.hook(`iq-get/bare/${ns}:pubsub`, request(false));
      module.hook(`iq-set/bare/${ns}:pubsub`, request(false));
    }

    // XEP-0115 §6.2: ask a client for the capabilities it announces (once per ver)
    let next = 0;
    const query: DiscoQuery = (to, node) => new Promise((resolve) => {
      const id = `caps-${++next}`;
      const done = (el: Element | undefined): void => {
        module.unhook(`iq-result/host/${id}`, onResult);
        module.unhook(`iq-error/host/${id}`, onError);
        timer.cancel();
        resolve(el);
      };
      const onResult = ({ stanza }: StanzaEvent): true | undefined => {
        if (stanza.attrs.from !== to) return undefined;
        done(stanza.getChild('query', NS_DISCO_INFO));
        return true;
      };
      const onError = ({ stanza }: StanzaEvent): true | undefined => {
        if (stanza.attrs.from !== to) return undefined;
        done(undefined);
        return true;
      };
      const timer = module.setTimer(module.options.pep_caps_query_timeout * 1000, () => done(undefined));
      module.hook(`iq-result/host/${id}`, onResult);
      module.hook(`iq-error/host/${id}`, onError);
      server.route(capsQuery(host, to, id, node));
    });

    /** Send the account's last items to `full` now, or once its capabilities are known. */
    const lastItems = (user: string, full: string): void => {
      if (state.caps.features(full)) services.sendLastItems(user, full);
      else if (state.caps.announced(full)) {
        let set = state.waiting.get(full);
        if (!set) state.waiting.set(full, (set = new Set()));
        if (set.size < 1000) set.add(`${host}\0${user}`);
      }
    };

    // A client's own broadcast presence: its capabilities, and its own account's last items
    module.hook('presence/self', ({ origin, stanza }: StanzaEvent) => {
      const full = origin?.fullJid;
      if (!full || !origin.username || stanza.attrs.to !== undefined) return undefined;
      const type = stanza.attrs.type as string | undefined;
      if (type === 'unavailable') forget(full);
      else if (type === undefined) {
        const initial = origin.presence === undefined;
        state.caps.presence(full, stanza, query);
        if (initial) lastItems(origin.username, full);
      }
      return undefined;
    }, 1);

    // XEP-0163 §4.3.2: a contact's available presence reaches the account: its last items
    module.hook('presence/bare', ({ stanza }: StanzaEvent) => {
      if (stanza.attrs.type !== undefined) return undefined;
      const to = parseJid(stanza.attrs.to as string | undefined);
      const from = parseJid(stanza.attrs.from as string | undefined);
      if (!to?.local || !from?.resource || from.bare === to.bare) return undefined;
      if (!module.service('rosters')?.isSubscribed(to.local, from.bare)) return undefined;
      if (!server.accounts.exists(host, to.local)) return undefined;
      lastItems(to.local, from.full);
      return undefined;
    }, 1);

    const forget = (full: string): void => {
      state.caps.forget(full);
      state.waiting.delete(full);
    };
    module.hook('resource-unbind', ({ session }: { session: Session }) => {
      if (session.fullJid) forget(session.fullJid);
    });
    module.hook('user-deleted', ({ username }) => { services.forget(username); });
    // changed on another node of a cluster: read from the shared storage again
    module.hook('stored-data-changed', ({ store, user, remote }) => { if (remote && store === PEP_STORE) services.forget(user); });

    // The `pep` service for other modules (pubsub-api.ts: PepService)
    const own = (user: string): string => `${user}@${host}`;
    const exists = (user: string): boolean => server.accounts.exists(host, user);
    const pep: PepService = {
      publish: async (user, node, item, options) => {
        if (!exists(user)) return pubsubFailure('cancel', 'item-not-found', undefined, 'No such account');
        const service = services.get(user);
        if (!service.node(node) && service.nodeNames().length >= o.pep_max_nodes) {
          return pubsubFailure('wait', 'resource-constraint', undefined, `At most ${o.pep_max_nodes} nodes per account`);
        }
        if (Buffer.byteLength(item.payload.toString()) > o.pep_max_payload_size) return pubsubFailure('modify', 'not-acceptable', 'payload-too-big');
        return service.publish(own(user), options?.actor ?? own(user), node, item.id, item.payload, options?.options, true);
      },
      items: async (user, node, q) => {
        if (!exists(user)) return undefined;
        const r = services.get(user).items(undefined, node, q?.ids, q?.max);
        return r.ok ? r.value.map((i) => ({ id: i.id, payload: i.payload, publisher: i.publisher, when: i.when })) : undefined;
      },
      retract: async (user, node, id) => exists(user) && services.get(user).retract(own(user), node, id, false).ok,
      deleteNode: async (user, node) => exists(user) && services.get(user).delete(own(user), node).ok,
      nodeConfig: async (user, node) => {
        if (!exists(user)) return undefined;
        const record = services.get(user).node(node);
        return record ? configFields(record.config) : undefined;
      },
      mayRead: async (user, node, requester) => {
        const bare = bareJid(requester);
        return bare !== undefined && exists(user) && services.get(user).canSee(node, bare);
      },
    };
    module.provides('pep', pep);
  },
});

/** Requests only the account may make on its own PEP: publishing, retracting, creating, owner use cases. */
function writesAsOwner(stanza: Element): boolean {
  if (stanza.getChild('pubsub', NS_PUBSUB_OWNER)) return true;
  const action = stanza.getChild('pubsub', NS_PUBSUB)?.getChildElements()[0]?.name;
  return action === 'publish' || action === 'retract' || action === 'create';
}
