/**
 * @module cli/prosody/stores/pep
 * Prosody's PEP data (mod_pep): node configurations and subscriptions in `pep`, the items of
 * each node in a `pep_<node>` archive (avatars, bookmarks, nicknames, OMEMO keys, vCard4).
 * Not imported yet: this server's PEP service stores are being built; when they exist, this
 * file writes to them. Until then every file is reported, so nothing is lost silently.
 */
import type { StoreImporter } from '../importer.js';

export const pepImporter: StoreImporter = {
  stores: (s) => s === 'pep' || s.startsWith('pep_'),
  importFile(ctx, file) {
    const what = file.store === 'pep' ? 'PEP node configurations' : `PEP node '${file.store.slice(4)}'`;
    ctx.report.skip(file.where, what, 'PEP (XEP-0163) storage is not available in this version; keep the Prosody data folder to import it later');
  },
};
