/**
 * @module muc/context
 * What the rooms of one muc component share: the module (options, events, timers, routing),
 * the room store, who the component's admins are, and the occupant-id secret.
 */
import type { Element, KeyValueStore, ModuleApi, OptionValues } from '../../core/api.js';
import type { StoredRoom } from '../../core/muc-api.js';
import type { MUC_OPTIONS } from './options.js';

export type MucOptions = OptionValues<typeof MUC_OPTIONS>;

export interface MucContext {
  readonly module: ModuleApi<MucOptions>;
  /** The component's domain. */
  readonly host: string;
  readonly options: MucOptions;
  /** The `muc_rooms` store: StoredRoom by room localpart. */
  readonly store: KeyValueStore<StoredRoom>;
  /** Whether a bare JID is one of the component's admins (owners of every room). */
  isAdmin(bareJid: string): boolean;
  /** XEP-0421: the occupant id of a real bare JID in a room. */
  occupantId(roomJid: string, bareJid: string): string;
  /** Route a stanza from the component. */
  send(stanza: Element): void;
}
