/**
 * @module cli/prosody/stores/vcard
 * Prosody's `vcard` store (mod_vcard, vcard-temp, XEP-0054): one stored `<vCard/>` element
 * per user, written to the vcard module's store. On a muc component it holds room vCards
 * (Prosody 13's built-in room avatars), imported as room avatars by the MUC importer.
 */
import type { StoreImporter } from '../importer.js';
import { importRoomVcard } from './muc.js';
import { toJsonElement } from './stanza.js';

export const vcardImporter: StoreImporter = {
  stores: (s) => s === 'vcard',
  importFile(ctx, file) {
    if (ctx.component === 'muc') return importRoomVcard(ctx, file);
    const user = ctx.account(file.user);
    if (user === undefined) return ctx.report.skip(file.where, 'vCard', 'its account was not imported');
    const el = toJsonElement(file.kind === 'dat' ? (file.value as never) : undefined);
    if (typeof el === 'string') return ctx.report.skip(file.where, 'vCard', el);
    if (el.n !== 'vCard') return ctx.report.skip(file.where, 'vCard', `the stored element is <${el.n}/>, not <vCard/>`);
    ctx.driver.set(ctx.host, 'vcard', user, el);
    ctx.report.count(ctx.host, 'vCards');
  },
};
