/**
 * @module cli/prosody/stores/pep-config
 * A Prosody 0.12 PEP node record (util/pubsub's save_node_to_store: `{ name, config,
 * subscribers, affiliations }`) to ours (NodeRecord). Prosody stores only the fields set
 * explicitly (the rest come from the service's node_defaults through a metatable), so missing
 * fields take mod_pep's defaults (max_items 1, access_model presence, send_last_published_item
 * on_sub_and_presence) over util/pubsub's (publish_model publishers, persist_items true).
 * Config keys are Prosody's field names (mod_pubsub/pubsub.lib.lua node_config_form):
 * `notify_items` is pubsub#deliver_notifications, `include_payload` pubsub#deliver_payloads.
 */
import { randomUUID } from 'node:crypto';
import {
  ACCESS_MODELS, BASE_NODE_CONFIG, PUBLISH_MODELS, SEND_LAST, type NodeConfig,
} from '../../../core/pubsub/config.js';
import { AFFILIATIONS, type Affiliation, type NodeRecord, type StoredSubscription } from '../../../core/pubsub/storage.js';
import { LuaTable, type LuaValue } from '../lua-value.js';

/** What a node's conversion could not keep: `what` and why. */
export interface Dropped { readonly what: string; readonly why: string }

/** mod_pep's node_defaults over util/pubsub's default_node_config (Prosody 0.12). */
const PROSODY_PEP_DEFAULTS: NodeConfig = {
  ...BASE_NODE_CONFIG,
  max_items: 1,
  access_model: 'presence',
  send_last_published_item: 'on_sub_and_presence',
};

const BOOLEANS: Readonly<Record<string, keyof NodeConfig>> = {
  persist_items: 'persist_items',
  notify_items: 'deliver_notifications',
  include_payload: 'deliver_payloads',
  notify_delete: 'notify_delete',
  notify_retract: 'notify_retract',
  notify_config: 'notify_config',
  notify_sub: 'notify_sub',
};
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  access_model: ACCESS_MODELS,
  publish_model: PUBLISH_MODELS,
  send_last_published_item: SEND_LAST,
  notification_type: ['headline', 'normal'],
  itemreply: ['owner', 'publisher'],
};

/** Prosody's max_items: a number, a numeric string or 'max' (XEP-0060 §7.1.5). */
function maxItems(v: LuaValue, cap: number, drop: (d: Dropped) => void): number | 'max' | undefined {
  if (v === 'max') return 'max';
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) { drop({ what: 'max_items', why: `${JSON.stringify(v)} is not a number or 'max'` }); return undefined; }
  if (n > cap) {
    drop({ what: `max_items ${n}`, why: `pep_max_items is ${cap} here: lowered to ${cap}` });
    return cap;
  }
  return n;
}

/** The node's configuration, each field that could not be kept in `drop`. */
export function convertConfig(raw: LuaValue | undefined, cap: number, drop: (d: Dropped) => void): NodeConfig {
  const out: Record<string, unknown> = { ...PROSODY_PEP_DEFAULTS, max_items: Math.min(1, cap) };
  if (!(raw instanceof LuaTable)) return out as unknown as NodeConfig;
  for (const [key, v] of raw.fields()) {
    if (key === 'max_items') {
      const m = maxItems(v, cap, drop);
      if (m !== undefined) out.max_items = m;
    } else if (key === 'title') {
      if (typeof v === 'string') out.title = v.slice(0, 1024);
    } else if (Object.hasOwn(BOOLEANS, key)) {
      if (typeof v === 'boolean') out[BOOLEANS[key]!] = v;
      else drop({ what: key, why: `${JSON.stringify(v)} is not a boolean` });
    } else if (Object.hasOwn(CHOICES, key)) {
      if (typeof v === 'string' && CHOICES[key]!.includes(v)) out[key] = v;
      else drop({ what: `${key} ${JSON.stringify(v)}`, why: `not one of ${CHOICES[key]!.join(', ')}: the default is kept` });
    } else if (key === 'roster_groups_allowed' && v instanceof LuaTable) {
      out.roster_groups_allowed = v.ipairs().filter((g): g is string => typeof g === 'string');
    } else if (v !== '' && v !== null) {
      // description, payload_type (pubsub#description, pubsub#type) and others have no field here
      drop({ what: `${key} ${JSON.stringify(typeof v === 'object' ? 'table' : v)}`, why: 'this server has no such node configuration field' });
    }
  }
  return out as unknown as NodeConfig;
}

/** Affiliations (bare JID -> affiliation) other than 'none'; the account is always the owner. */
export function convertAffiliations(raw: LuaValue | undefined, owner: string, drop: (d: Dropped) => void): Record<string, Affiliation> {
  const out: Record<string, Affiliation> = {};
  if (raw instanceof LuaTable) {
    for (const [jid, v] of raw.fields()) {
      if (typeof v !== 'string' || !AFFILIATIONS.includes(v as Affiliation)) { drop({ what: `affiliation of ${jid}`, why: `${JSON.stringify(v)} is not an affiliation` }); continue; }
      if (v !== 'none') out[jid.toLowerCase()] = v as Affiliation;
    }
  }
  out[owner] = 'owner';
  return out;
}

/**
 * Subscriptions: Prosody keeps `subscribers[jid] = true` or the subscription options table
 * (util/pubsub service:add_subscription); XEP-0060 §6.3.7 pubsub#deliver is the one option kept.
 */
export function convertSubscriptions(raw: LuaValue | undefined, max: number, drop: (d: Dropped) => void): Record<string, StoredSubscription> {
  const out: Record<string, StoredSubscription> = {};
  if (!(raw instanceof LuaTable)) return out;
  for (const [jid, v] of raw.fields()) {
    if (Object.keys(out).length >= max) { drop({ what: `subscription of ${jid}`, why: `pep_max_subscriptions is ${max} here` }); continue; }
    let deliver = true;
    if (v instanceof LuaTable) {
      for (const [opt, val] of v.fields()) {
        if (opt === 'pubsub#deliver') deliver = val !== false && val !== 'false' && val !== '0';
        else drop({ what: `subscription option ${opt} of ${jid}`, why: 'this server has no such subscription option' });
      }
    } else if (v !== true) { drop({ what: `subscription of ${jid}`, why: `${JSON.stringify(v)} is not a subscription` }); continue; }
    out[jid] = { state: 'subscribed', subid: randomUUID(), deliver };
  }
  return out;
}

/** The whole record of one node. */
export function convertNode(raw: LuaValue, owner: string, limits: { maxItems: number; maxSubscriptions: number }, drop: (d: Dropped) => void): NodeRecord {
  // COMPAT in mod_pep's nodestore: a record stored as `true` is a node with the defaults
  const t = raw instanceof LuaTable ? raw : new LuaTable();
  return {
    config: convertConfig(t.get('config'), limits.maxItems, drop),
    affiliations: convertAffiliations(t.get('affiliations'), owner, drop),
    subscriptions: convertSubscriptions(t.get('subscribers'), limits.maxSubscriptions, drop),
    created: Date.now(),
  };
}
