/**
 * @module pubsub/options
 * mod_pubsub's options (Prosody's names: pubsub_max_items, autocreate_on_publish,
 * autocreate_on_subscribe, expose_publisher) and the limits that bound the service's storage.
 */
import { option } from '../../core/api.js';

export const PUBSUB_OPTIONS = {
  pubsub_max_items: option.integer({
    default: 256, min: 1, max: 100_000,
    doc: "Most items a node of the pubsub component keeps (Prosody's pubsub_max_items): the largest pubsub#max_items, and what 'max' means.",
  }),
  autocreate_on_publish: option.boolean({
    default: false,
    doc: 'Publishing to a node that does not exist creates it (for a user who may create nodes), as Prosody does.',
  }),
  autocreate_on_subscribe: option.boolean({
    default: false,
    doc: 'Subscribing to a node that does not exist creates it (for a user who may create nodes), as Prosody does.',
  }),
  expose_publisher: option.boolean({
    default: false,
    doc: "Include the publisher's JID in items and notifications (XEP-0060 §7.1.2); otherwise only on nodes whose pubsub#itemreply is publisher.",
  }),
  pubsub_max_nodes: option.integer({
    default: 10000, min: 1,
    doc: 'Most nodes the pubsub component holds; creating more is refused with resource-constraint.',
  }),
  pubsub_max_payload_size: option.integer({
    default: 262144, min: 256,
    doc: 'Largest item payload in bytes; a larger one is refused with not-acceptable + payload-too-big (XEP-0060 §7.1.3.3).',
  }),
  pubsub_max_subscriptions: option.integer({
    default: 10000, min: 1,
    doc: 'Most subscriptions one node of the pubsub component holds; more are refused with policy-violation + too-many-subscriptions.',
  }),
  pubsub_node_creators: option.oneOf(['local', 'admins', 'anyone'], {
    default: 'local',
    doc: "Who may create nodes: 'local' (users of this server's VirtualHosts, and admins, as Prosody's local_user), 'admins' (only the JIDs in admins), 'anyone'.",
  }),
};
