/**
 * @module cli/prosody/importer
 * The contract of one store importer: Prosody keeps each kind of data in a store (a folder
 * under the host's folder: `accounts/`, `roster/`, ...); an importer takes the parsed files of
 * the stores it claims and writes them to ours, counting what it imported and reporting what
 * it could not. Adding a kind of data (PEP, MUC) is one file in stores/ and one line in
 * stores/index.ts.
 */
import type { Accounts, StorageDriver } from '../../core/storage/index.js';
import type { LuaValue } from './lua-value.js';
import type { ImportReport } from './report.js';

/** One Prosody storage file, parsed. */
export interface StoreFile {
  /** The store (folder) name, decoded: `roster`, `pep_urn:xmpp:avatar:data`. */
  readonly store: string;
  /** The user (decoded file name), undefined for a host-wide file (`<host>/<store>.dat`). */
  readonly user?: string;
  /** `dat`: key-value (`return value;`); `list`: archive items (`item(value);`). */
  readonly kind: 'dat' | 'list';
  readonly value: LuaValue | LuaValue[];
  /** For messages: the path relative to Prosody's data folder. */
  readonly where: string;
}

/** What an importer gets for each file. */
export interface ImportContext {
  /** The host (decoded folder name). */
  readonly host: string;
  /** Whether the host is a Component (MUC, pubsub, ...) rather than a VirtualHost. */
  readonly component?: string;
  readonly driver: StorageDriver;
  readonly accounts: Accounts;
  readonly report: ImportReport;
  /** The value of one of our options for this host in the converted config (host section, then global), if set. */
  option?(name: string): unknown;
  /** The normalised username of an account that exists here (imported or already present), else undefined. */
  account(user: string | undefined): string | undefined;
}

export interface StoreImporter {
  /** The stores it claims. */
  readonly stores: (store: string) => boolean;
  /** Accounts run before everything else on a host (the other stores need the account). */
  readonly first?: boolean;
  /** Import one file; count what was imported (report.count), report what was not (report.skip). */
  importFile(ctx: ImportContext, file: StoreFile): void;
}
