/**
 * @module bookmarks/sync
 * XEP-0411 §3-4 on top of the `pep` service: the XEP-0048 view of the XEP-0402 node, and an
 * XEP-0048 set written to it item by item (new or changed rooms published, missing ones
 * retracted), so XEP-0402 clients get their notifications (XEP-0402 §3.3).
 */
import type { Element } from '../../core/api.js';
import type { NodeConfigFields, PepService, PubsubFailure, PubsubItem } from '../../core/pubsub-api.js';
import { itemsToLegacy, legacyToItems, sameBookmark, NS_BOOKMARKS } from './convert.js';

/** XEP-0402 §4: the node configuration the bookmarks node must have. */
export const NODE_CONFIG: NodeConfigFields = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};

/** xs:boolean values compare as booleans ('1' is 'true'), others as given. */
const norm = (v: string | readonly string[] | undefined): string | undefined =>
  (typeof v === 'string' ? ({ true: '1', false: '0' } as Record<string, string>)[v] ?? v : v?.join('\n'));

/** Whether a node's configuration is what XEP-0402 §4 requires. */
export const meetsConfig = (config: NodeConfigFields): boolean =>
  Object.entries(NODE_CONFIG).every(([k, v]) => norm(config[k]) === norm(v));

/** The XEP-0402 items of the account, oldest first; empty when the node does not exist. */
export async function currentItems(pep: PepService, user: string): Promise<readonly PubsubItem[]> {
  return [...((await pep.items(user, NS_BOOKMARKS)) ?? [])].reverse();
}

/** XEP-0411 §3: the XEP-0048 storage element for the account's XEP-0402 bookmarks. */
export async function legacyStorage(pep: PepService, user: string): Promise<Element> {
  return itemsToLegacy(await currentItems(pep, user));
}

export type SyncResult = { readonly ok: true } | PubsubFailure;

/**
 * XEP-0411 §4: store an XEP-0048 storage element as XEP-0402 items. `replace`: the set is the
 * whole list, so rooms it lacks are retracted (a client's set); otherwise only added (a
 * migration). A node made with another configuration is recreated with XEP-0402's (a legacy
 * set is the whole list, and passwords must not stay readable by others).
 */
export async function storeLegacy(pep: PepService, user: string, storage: Element, replace: boolean, actor: string | undefined, log?: (msg: string) => void): Promise<SyncResult> {
  const existing = new Map((await currentItems(pep, user)).map((i) => [i.id, i] as const));
  const items = legacyToItems(storage, (jid) => existing.get(jid)?.payload?.getChild('extensions'));
  if (items === 'bad-request') return { ok: false, type: 'modify', condition: 'bad-request', text: 'Every conference needs the JID of a room' };
  const config = await pep.nodeConfig(user, NS_BOOKMARKS);
  if (config && !meetsConfig(config)) {
    if (!replace) return { ok: false, type: 'cancel', condition: 'conflict', pubsubCondition: 'precondition-not-met' };
    log?.('the bookmarks node had another configuration than XEP-0402 §4 requires: recreated');
    await pep.deleteNode(user, NS_BOOKMARKS);
    existing.clear();
  }
  const wanted = new Set(items.map((i) => i.id));
  for (const item of items) {
    if (sameBookmark(item.payload, existing.get(item.id)?.payload)) continue;
    const published = await pep.publish(user, NS_BOOKMARKS, item, { options: NODE_CONFIG, ...(actor ? { actor } : {}) });
    if (!published.ok) return published;
  }
  if (replace) {
    for (const id of existing.keys()) if (!wanted.has(id)) await pep.retract(user, NS_BOOKMARKS, id);
  }
  return { ok: true };
}
