/**
 * @module pubsub
 * A publish-subscribe service (XEP-0060) as a component, Prosody's mod_pubsub:
 * `"Component": { "pubsub.example.org": { "module": "pubsub" } }`. Nodes and items persist in
 * storage; local users (or admins, by pubsub_node_creators) create nodes; the component's
 * `admins` own every node. Discovered as pubsub/service with its nodes (§5). On several nodes
 * the cluster module hands the whole service to one node at a time (`address-owned`).
 */
import {
  defineModule, errorReply, parseJid, xml, NS_DISCO_ITEMS,
  type Element, type Session, type StanzaEvent,
} from '../../core/api.js';
import {
  driverStorage, handlePubsubIq, nodeInfo, nodeItemIds, nodeItems, PubsubService, BASE_NODE_CONFIG,
  NS_PUBSUB, NS_PUBSUB_OWNER, type PubsubRequest,
} from '../../core/pubsub-api.js';
import { PUBSUB_OPTIONS } from './options.js';

/** The store user key of the component's nodes (a component has no accounts). */
const SERVICE_USER = '@service';

/** The features the service advertises (XEP-0060 §10): what is implemented. */
const FEATURES = [
  'access-authorize', 'access-open', 'access-whitelist', 'config-node', 'create-and-configure', 'create-nodes',
  'delete-items', 'delete-nodes', 'instant-nodes', 'item-ids', 'manage-subscriptions', 'member-affiliation',
  'modify-affiliations', 'outcast-affiliation', 'persistent-items', 'publish', 'publish-options', 'publisher-affiliation',
  'purge-nodes', 'retract-items', 'retrieve-affiliations', 'retrieve-default', 'retrieve-items', 'retrieve-subscriptions',
  'subscribe', 'subscription-options',
].map((f) => `${NS_PUBSUB}#${f}`);

export default defineModule({
  name: 'pubsub',
  depends: ['disco'],
  description: 'A publish-subscribe service (XEP-0060) run as a component.',
  options: PUBSUB_OPTIONS,
  load(module) {
    const { host, server } = module;
    const o = module.options;
    const rawAdmins = server.config.raw(host, 'admins');
    const admins = new Set(Array.isArray(rawAdmins) ? rawAdmins.filter((a): a is string => typeof a === 'string') : []);
    const makeService = (): PubsubService => new PubsubService({
      jid: host,
      affiliationOf: (bare) => (admins.has(bare) ? 'owner' : undefined),
      canCreate: (bare) => {
        if (admins.has(bare) || o.pubsub_node_creators === 'anyone') return true;
        const jid = parseJid(bare);
        return o.pubsub_node_creators === 'local' && jid?.local !== undefined && server.isLocalHost(jid.domain);
      },
      // The service has no roster: presence and roster access go by affiliation only
      hasPresenceSubscription: () => false,
      rosterGroups: () => undefined,
      send: (stanza: Element) => server.route(stanza),
    }, {
      defaults: BASE_NODE_CONFIG,
      maxItems: o.pubsub_max_items,
      maxNodes: o.pubsub_max_nodes,
      maxPayloadBytes: o.pubsub_max_payload_size,
      maxSubscriptions: o.pubsub_max_subscriptions,
      exposePublisher: o.expose_publisher,
    }, driverStorage(server.storage, host, 'pubsub', SERVICE_USER));
    let service = makeService();
    // Several nodes (the cluster module): the service is one address, handled by one node at
    // a time; a node that takes it over reads the nodes and items from storage again
    module.hook('address-owned', ({ address }) => { if (address === host) service = makeService(); });

    module.provides('identity', { category: 'pubsub', type: 'service', name: typeof server.config.raw(host, 'name') === 'string' ? server.config.raw(host, 'name') as string : undefined });
    module.provides('feature', NS_PUBSUB);
    for (const f of FEATURES) module.provides('feature', f);

    const send = (origin: Session | undefined, el: Element): true => {
      if (origin) origin.send(el);
      else server.route(el);
      return true;
    };

    const request = ({ origin, stanza }: StanzaEvent): true => {
      const from = parseJid(stanza.attrs.from as string | undefined) ?? (origin?.fullJid ? parseJid(origin.fullJid) : undefined);
      if (!from) return send(origin, errorReply(stanza, 'modify', 'bad-request'));
      const req: PubsubRequest = {
        service, stanza, actor: from.bare, from: from.full,
        autocreateOnPublish: o.autocreate_on_publish, autocreateOnSubscribe: o.autocreate_on_subscribe, instantNodes: true,
        // XEP-0060 §6.1.7: the last item on subscription
        subscribed: (node, jid) => {
          const cfg = service.node(node)?.config.send_last_published_item;
          if (cfg === 'on_sub' || cfg === 'on_sub_and_presence') service.sendLastItem(node, jid);
        },
      };
      return send(origin, handlePubsubIq(req));
    };
    for (const ns of [NS_PUBSUB, NS_PUBSUB_OWNER]) {
      module.hook(`iq-get/host/${ns}:pubsub`, request);
      module.hook(`iq-set/host/${ns}:pubsub`, request);
    }

    // XEP-0060 §5.3: a node's disco#info
    module.hook('host-disco-info-node', ({ stanza, reply, node }) => {
      const from = parseJid(stanza.attrs.from as string | undefined);
      const info = from ? nodeInfo(service, node, from.bare) : undefined;
      if (!info) return undefined;
      for (const child of info.getChildElements()) reply.append(child);
      return true;
    });
    // XEP-0060 §5.2, §5.5: the nodes the requester may see, and a node's items
    module.hook(`iq-get/host/${NS_DISCO_ITEMS}:query`, ({ origin, stanza }: StanzaEvent) => {
      const from = parseJid(stanza.attrs.from as string | undefined);
      if (!from) return undefined;
      const node = stanza.getChild('query', NS_DISCO_ITEMS)?.attrs.node as string | undefined;
      const items = node === undefined ? nodeItems(service, from.bare) : nodeItemIds(service, node, from.bare);
      if (!items) return send(origin, errorReply(stanza, 'cancel', 'item-not-found'));
      return send(origin, xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to },
        xml('query', { xmlns: NS_DISCO_ITEMS, node }, ...items)));
    }, 1);
  },
});
