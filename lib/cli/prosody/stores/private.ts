/**
 * @module cli/prosody/stores/private
 * Prosody's `private` store (mod_private, XEP-0049): a map per user from `name:namespace` to
 * the stored element, written to the private module's map store under the same keys.
 */
import type { StoreImporter } from '../importer.js';
import { LuaTable } from '../lua-value.js';
import { toJsonElement } from './stanza.js';

export const privateImporter: StoreImporter = {
  stores: (s) => s === 'private',
  importFile(ctx, file) {
    const user = ctx.account(file.user);
    if (user === undefined) return ctx.report.skip(file.where, 'private XML', 'its account was not imported');
    if (!(file.value instanceof LuaTable)) return ctx.report.skip(file.where, 'private XML', 'the file does not hold a map of elements');
    for (const { key, value } of file.value.entries) {
      const el = toJsonElement(value);
      if (typeof key !== 'string' || typeof el === 'string') {
        ctx.report.skip(file.where, `private XML ${JSON.stringify(key)}`, typeof el === 'string' ? el : 'the key is not name:namespace');
        continue;
      }
      ctx.driver.mapSet(ctx.host, 'private', user, `${el.n}:${el.a.xmlns ?? ''}`, el);
      ctx.report.count(ctx.host, 'private XML fragments');
    }
  },
};
