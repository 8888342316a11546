/**
 * @module cli/prosody/stores/offline
 * Prosody's `offline` archive (mod_offline): a list of stored messages per user, each with
 * `when` (seconds) and its key. Written to the offline module's list in order, each with a
 * XEP-0203 delay stamp of when Prosody stored it (unless it has one), as the offline module
 * stores messages itself.
 */
import { NS_DELAY } from '../../../core/api.js';
import type { StoreImporter } from '../importer.js';
import { LuaTable } from '../lua-value.js';
import { toJsonElement } from './stanza.js';

/** Attributes Prosody's archive adds to the stored element. */
const ARCHIVE_ATTRS = ['stamp', 'stamp_legacy'];

export const offlineImporter: StoreImporter = {
  stores: (s) => s === 'offline',
  importFile(ctx, file) {
    const user = ctx.account(file.user);
    if (user === undefined) return ctx.report.skip(file.where, 'offline messages', 'their account was not imported');
    const items = file.kind === 'list' ? (file.value as unknown[]) : [];
    if (file.kind !== 'list') return ctx.report.skip(file.where, 'offline messages', 'expected a .list file');
    for (const [i, item] of items.entries()) {
      const el = toJsonElement(item as LuaTable);
      if (typeof el === 'string' || el.n !== 'message') {
        ctx.report.skip(`${file.where} item ${i + 1}`, 'offline message', typeof el === 'string' ? el : `<${el.n}/> is not a message`);
        continue;
      }
      const stamp = el.a.stamp;
      for (const a of ARCHIVE_ATTRS) delete el.a[a];
      if (el.a.xmlns === 'jabber:client') delete el.a.xmlns;
      const when = item instanceof LuaTable ? item.get('when') : undefined;
      const date = typeof when === 'number' && Number.isFinite(when) ? new Date(when * 1000) : stamp ? new Date(stamp) : undefined;
      if (!el.c.some((c) => typeof c !== 'string' && c.n === 'delay' && c.a.xmlns === NS_DELAY) && date && !Number.isNaN(date.getTime())) {
        el.c.push({ n: 'delay', a: { xmlns: NS_DELAY, from: ctx.host, stamp: date.toISOString() }, c: ['Offline Storage'] });
      }
      ctx.driver.append(ctx.host, 'offline', user, el);
      ctx.report.count(ctx.host, 'offline messages');
    }
  },
};
