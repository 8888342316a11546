/**
 * @module cli/prosody/stores/muc
 * Prosody's MUC data on a component host (mod_muc): room configurations and affiliations in
 * `config` (one file per room), the list of persistent rooms in `persistent`, room history
 * in `muc_log`. Not imported yet: this server's MUC module and its stores are being built;
 * when they exist, this file writes to them. Until then every room is reported.
 */
import type { StoreImporter } from '../importer.js';

const MUC_STORES = new Set(['config', 'persistent', 'muc_log', 'vcard_muc', 'muc_log_archive']);

export const mucImporter: StoreImporter = {
  stores: (s) => MUC_STORES.has(s),
  importFile(ctx, file) {
    const what = file.store === 'config' && file.user ? `MUC room '${file.user}@${ctx.host}' (configuration and affiliations)`
      : file.store === 'muc_log' ? `MUC history${file.user ? ` of '${file.user}@${ctx.host}'` : ''}` : `MUC store '${file.store}'`;
    ctx.report.skip(file.where, what, 'group chat (MUC, XEP-0045) storage is not available in this version; keep the Prosody data folder to import it later');
  },
};
