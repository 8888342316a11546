/**
 * @module cli/prosody/stores
 * The store importers, and why the stores nobody imports are left (reported, never silently).
 */
import type { StoreImporter } from '../importer.js';
import { accountsImporter } from './accounts.js';
import { mucImporter } from './muc.js';
import { offlineImporter } from './offline.js';
import { pepImporter } from './pep.js';
import { privateImporter } from './private.js';
import { rosterImporter } from './roster.js';
import { vcardImporter } from './vcard.js';

export const IMPORTERS: readonly StoreImporter[] = [
  accountsImporter, rosterImporter, vcardImporter, privateImporter, offlineImporter, pepImporter, mucImporter,
];

/** Prosody stores with no importer, and why. */
export const UNIMPORTED_STORES: Readonly<Record<string, string>> = {
  archive: 'the message archive (MAM) is not imported in this version',
  archive2: 'the message archive (MAM) is not imported in this version',
  blocklist: 'blocking lists are not imported in this version',
  account_details: 'registration details (email, name given at sign-up) have no store here',
  lastlog: 'last login times have no store here',
  cron: 'Prosody\'s periodic task times: not needed',
  smacks_h: 'stream management counters of old sessions: not needed',
  tokenauth: 'login tokens of Prosody\'s clients: not portable',
  invite_token: 'invitations are not imported in this version',
  tombstones: 'deleted account names are not imported in this version',
  uploads: 'the file upload index is not imported in this version',
};

/** The importer for a store, if any. */
export function importerFor(store: string): StoreImporter | undefined {
  return IMPORTERS.find((i) => i.stores(store));
}
