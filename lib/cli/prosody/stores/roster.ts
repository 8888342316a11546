/**
 * @module cli/prosody/stores/roster
 * Prosody's `roster` store: one record per user, contacts keyed by bare JID (`subscription`,
 * `name`, `groups` as a set, `ask = "subscribe"`, `approved = "true"`) and, under the key
 * `false`, the metadata: `version` and `pending` (inbound subscription requests, each the
 * stored presence stanza or `true`). Written to the presence module's layout: one
 * 'roster_items' row per contact, one 'roster_pending' row per request, and the version in
 * 'roster' (see lib/modules/presence/roster-store.ts).
 */
import { elementFromJson } from '../../../core/xml.js';
import { legacyRequest, toData } from '../../../modules/presence/pending-request.js';
import type { RosterItem, StoredRequest, Subscription } from '../../../modules/presence/roster-store.js';
import type { StoreImporter } from '../importer.js';
import { LuaTable } from '../lua-value.js';
import { toJsonElement } from './stanza.js';

const SUBSCRIPTIONS = new Set<unknown>(['none', 'to', 'from', 'both']);
const BARE_JID = /^(?:[^@/\s]+@)?[^@/\s]+$/;

/** One stored contact as ours, or why it cannot be. */
export function rosterItem(raw: unknown): RosterItem | string {
  if (!(raw instanceof LuaTable)) return 'the contact is not a table';
  const sub = raw.get('subscription') ?? 'none';
  if (!SUBSCRIPTIONS.has(sub)) return `unknown subscription ${JSON.stringify(sub)}`;
  const item: RosterItem = { subscription: sub as Subscription, groups: [] };
  const name = raw.get('name');
  if (typeof name === 'string' && name !== '') item.name = name;
  const groups = raw.get('groups');
  if (groups instanceof LuaTable) {
    for (const { key, value } of groups.entries) if (typeof key === 'string' && value === true) item.groups.push(key);
  }
  if (raw.get('ask') === 'subscribe') item.ask = 'subscribe';
  const approved = raw.get('approved');
  if (approved === 'true' || approved === true) item.approved = true;
  return item;
}

/** A pending inbound request as ours: the stored stanza, or a plain subscribe when Prosody kept `true`. */
function pendingRequest(raw: unknown): StoredRequest {
  const el = toJsonElement(raw as LuaTable);
  if (typeof el !== 'string' && el.n === 'presence') return { stanza: toData(elementFromJson(el)) };
  return { stanza: legacyRequest(undefined) };
}

export const rosterImporter: StoreImporter = {
  stores: (s) => s === 'roster',
  importFile(ctx, file) {
    const { report, host, driver } = ctx;
    const user = ctx.account(file.user);
    if (user === undefined) return report.skip(file.where, 'roster', 'its account was not imported');
    if (!(file.value instanceof LuaTable)) return report.skip(file.where, 'roster', 'the file does not hold a roster');
    const meta = file.value.get(false);
    const version = meta instanceof LuaTable ? meta.get('version') : undefined;
    const pending = meta instanceof LuaTable ? meta.get('pending') : undefined;
    let items = 0;
    let requests = 0;
    driver.transaction(() => {
      for (const { key, value } of file.value instanceof LuaTable ? file.value.entries : []) {
        if (key === false) continue;
        // 'pending' at the top level is a roster from before Prosody 0.9 kept requests in metadata
        if (typeof key !== 'string' || !BARE_JID.test(key)) {
          report.skip(file.where, `roster entry ${JSON.stringify(key)}`, 'the key is not a bare JID');
          continue;
        }
        const item = rosterItem(value);
        if (typeof item === 'string') {
          report.skip(file.where, `contact ${key}`, item);
          continue;
        }
        driver.mapSet(host, 'roster_items', user, key.toLowerCase(), item);
        items++;
      }
      if (pending instanceof LuaTable) {
        for (const { key, value } of pending.entries) {
          if (typeof key !== 'string' || !BARE_JID.test(key)) continue;
          driver.mapSet(host, 'roster_pending', user, key.toLowerCase(), pendingRequest(value));
          requests++;
        }
      }
      driver.set(host, 'roster', user, { ver: typeof version === 'number' && Number.isSafeInteger(version) && version > 0 ? version : 1 });
    });
    report.count(host, 'rosters');
    report.count(host, 'roster items', items);
    if (requests) report.count(host, 'pending subscription requests', requests);
  },
};
