/**
 * @module cli/prosody/stores/vcard
 * Prosody's `vcard` store (mod_vcard, vcard-temp, XEP-0054): one stored `<vCard/>` element
 * per user, written to the vcard module's store.
 */
import type { StoreImporter } from '../importer.js';
import { toJsonElement } from './stanza.js';

export const vcardImporter: StoreImporter = {
  stores: (s) => s === 'vcard',
  importFile(ctx, file) {
    const user = ctx.account(file.user);
    if (user === undefined) return ctx.report.skip(file.where, 'vCard', 'its account was not imported');
    const el = toJsonElement(file.kind === 'dat' ? (file.value as never) : undefined);
    if (typeof el === 'string') return ctx.report.skip(file.where, 'vCard', el);
    if (el.n !== 'vCard') return ctx.report.skip(file.where, 'vCard', `the stored element is <${el.n}/>, not <vCard/>`);
    ctx.driver.set(ctx.host, 'vcard', user, el);
    ctx.report.count(ctx.host, 'vCards');
  },
};
