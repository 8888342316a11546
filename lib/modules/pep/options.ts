/**
 * @module pep/options
 * mod_pep's options (Prosody's `pep_max_items`), and the limits that bound what one account
 * may store: nodes, item payload bytes, subscriptions per node, and the caches.
 */
import { option } from '../../core/api.js';

export const PEP_OPTIONS = {
  pep_max_items: option.integer({
    default: 256, min: 1, max: 100_000,
    doc: "Most items a PEP node keeps (Prosody's pep_max_items): the largest pubsub#max_items, and what 'max' means; more is refused with not-acceptable.",
  }),
  pep_max_nodes: option.integer({
    default: 256, min: 1, max: 100_000,
    doc: 'Most PEP nodes one account may have; creating (or auto-creating) more is refused with resource-constraint.',
  }),
  pep_max_payload_size: option.integer({
    default: 262144, min: 256,
    doc: 'Largest item payload in bytes an account may publish to its PEP nodes; a larger one is refused with not-acceptable + payload-too-big (XEP-0060 §7.1.3.3).',
  }),
  pep_max_subscriptions: option.integer({
    default: 1000, min: 1,
    doc: 'Most explicit subscriptions one PEP node holds; more are refused with policy-violation + too-many-subscriptions.',
  }),
  pep_service_cache_size: option.integer({
    default: 1000, min: 1,
    doc: 'Accounts whose PEP service (node list) stays in memory; the least recently used are reloaded from storage when needed.',
  }),
  pep_caps_cache_size: option.integer({
    default: 1000, min: 1, scope: 'global',
    doc: 'Verified entity capabilities (XEP-0115 ver strings and their features) kept in memory; the least recently used are asked for again.',
  }),
  pep_caps_query_timeout: option.integer({
    default: 30, min: 1, max: 600, scope: 'global',
    doc: 'Seconds to wait for a client to answer a capabilities disco#info query before giving up (it is asked again on its next presence).',
  }),
};
