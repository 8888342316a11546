/**
 * @module cli/prosody/stores/pep
 * Prosody 0.12's PEP data (mod_pep, XEP-0163): the `pep` map store (`pep/<user>.dat`: node
 * name -> `{ name, config, subscribers, affiliations }`) and each node's items in the archive
 * store `pep_<node>` (`pep_<node>/<user>.list`, oldest first; each entry is the preserialized
 * payload with `key` = item id, `when` = seconds, `with` = publisher, and a `stamp` attribute
 * mod_storage_internal adds on append and strips on read). Written where the pep module reads
 * them (lib/modules/pep/services.ts: store `pep` under the account's username, items through
 * the pubsub engine's driverStorage), within pep_max_nodes, pep_max_items, pep_max_subscriptions
 * and pep_max_payload_size; everything left out is reported with why.
 * The `pep` store sorts before `pep_*`, so node records exist when their items are read.
 */
import { driverStorage, type NodeRecord } from '../../../core/pubsub/storage.js';
import { itemLimit } from '../../../core/pubsub/config.js';
import { elementFromJson } from '../../../core/xml.js';
import { PEP_OPTIONS } from '../../../modules/pep/options.js';
import type { ImportContext, StoreFile, StoreImporter } from '../importer.js';
import { LuaTable } from '../lua-value.js';
import { convertNode, type Dropped } from './pep-config.js';
import { toJsonElement } from './stanza.js';

const PEP_STORE = 'pep'; // as lib/modules/pep/services.ts
/** Attributes Prosody's archive adds to a stored payload (mod_storage_internal archive:append). */
const ARCHIVE_ATTRS = ['stamp', 'stamp_legacy'];

type LimitName = 'pep_max_items' | 'pep_max_nodes' | 'pep_max_subscriptions' | 'pep_max_payload_size';
function limit(ctx: ImportContext, name: LimitName): number {
  const v = ctx.option?.(name);
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : PEP_OPTIONS[name].default;
}

function importNodes(ctx: ImportContext, file: StoreFile, user: string): void {
  if (!(file.value instanceof LuaTable)) return ctx.report.skip(file.where, 'PEP nodes', 'the file does not hold a map of nodes');
  const limits = { maxItems: limit(ctx, 'pep_max_items'), maxSubscriptions: limit(ctx, 'pep_max_subscriptions') };
  const maxNodes = limit(ctx, 'pep_max_nodes');
  const existing = new Set(Object.keys(ctx.driver.mapAll(ctx.host, PEP_STORE, user)));
  const owner = `${user}@${ctx.host}`;
  for (const [node, raw] of file.value.fields()) {
    if (raw !== true && !(raw instanceof LuaTable)) { ctx.report.skip(file.where, `PEP node '${node}'`, 'the record is not a node'); continue; }
    if (!existing.has(node) && existing.size >= maxNodes) {
      ctx.report.skip(file.where, `PEP node '${node}' and its items`, `pep_max_nodes is ${maxNodes} here`);
      continue;
    }
    const drop = (d: Dropped): void => ctx.report.skip(file.where, `PEP node '${node}': ${d.what}`, d.why);
    ctx.driver.mapSet(ctx.host, PEP_STORE, user, node, convertNode(raw, owner, limits, drop));
    existing.add(node);
    ctx.report.count(ctx.host, 'PEP nodes');
  }
}

/** One archived item: id, payload, publisher, when (ms), or why not. */
function readItem(v: unknown): { id: string; payload: ReturnType<typeof toJsonElement>; publisher?: string; when: number } | string {
  if (!(v instanceof LuaTable)) return 'it is not a stored item';
  const id = v.get('key');
  if (typeof id !== 'string' || id === '') return 'it has no item id (key)';
  const payload = toJsonElement(v);
  if (typeof payload === 'string') return payload;
  const stamp = payload.a.stamp;
  for (const a of ARCHIVE_ATTRS) delete payload.a[a];
  const when = v.get('when');
  const ms = typeof when === 'number' && Number.isFinite(when) ? Math.round(when * 1000) : stamp ? Date.parse(stamp) : NaN;
  const publisher = v.get('with');
  return { id, payload, publisher: typeof publisher === 'string' ? publisher : undefined, when: Number.isNaN(ms) ? Date.now() : ms };
}

function importItems(ctx: ImportContext, file: StoreFile, user: string, node: string): void {
  const what = `PEP node '${node}' items`;
  if (file.kind !== 'list' || !Array.isArray(file.value)) return ctx.report.skip(file.where, what, 'expected a .list file');
  const record = ctx.driver.mapGet(ctx.host, PEP_STORE, user, node) as NodeRecord | undefined;
  if (!record) return ctx.report.skip(file.where, what, 'the node is not among the imported nodes of the pep store (Prosody does not serve these items either)');
  const maxPayload = limit(ctx, 'pep_max_payload_size');
  // Prosody's archive keeps one entry per key (append filters the old one out); last wins
  const byId = new Map<string, Exclude<ReturnType<typeof readItem>, string>>();
  for (const [i, raw] of file.value.entries()) {
    const item = readItem(raw);
    if (typeof item === 'string') { ctx.report.skip(`${file.where} item ${i + 1}`, `${what}`, item); continue; }
    byId.delete(item.id);
    byId.set(item.id, item);
  }
  const items = [...byId.values()];
  // XEP-0060 §7.1.5 / Prosody's truncate: a node keeps its newest max_items
  const keep = itemLimit(record.config, limit(ctx, 'pep_max_items'));
  const dropped = items.length > keep ? items.splice(0, items.length - keep) : [];
  if (dropped.length) {
    ctx.report.skip(file.where, `${dropped.length} oldest ${what} (${dropped.map((d) => d.id).join(', ')})`,
      record.config.persist_items ? `the node keeps at most ${keep} items` : 'the node does not persist items');
  }
  const storage = driverStorage(ctx.driver, ctx.host, PEP_STORE, user);
  let seq = storage.items(node).reduce((m, i) => Math.max(m, i.seq), 0);
  storage.transaction(() => {
    for (const item of items) {
      const payload = elementFromJson(item.payload as Exclude<typeof item.payload, string>);
      if (Buffer.byteLength(payload.toString()) > maxPayload) {
        ctx.report.skip(file.where, `${what}: item '${item.id}'`, `its payload is larger than pep_max_payload_size (${maxPayload} bytes)`);
        continue;
      }
      storage.saveItem(node, { id: item.id, payload, publisher: item.publisher, when: item.when, seq: ++seq });
      ctx.report.count(ctx.host, 'PEP items');
    }
  });
}

export const pepImporter: StoreImporter = {
  stores: (s) => s === PEP_STORE || s.startsWith('pep_'),
  importFile(ctx, file) {
    const what = file.store === PEP_STORE ? 'PEP nodes' : `PEP node '${file.store.slice(4)}' items`;
    const user = ctx.account(file.user);
    if (user === undefined) return ctx.report.skip(file.where, what, 'their account was not imported');
    if (file.store === PEP_STORE) importNodes(ctx, file, user);
    else importItems(ctx, file, user, file.store.slice(4));
  },
};
