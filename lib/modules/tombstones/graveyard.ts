/**
 * @module tombstones/graveyard
 * The tombstones of deleted accounts on one host: when each name's account was deleted, kept
 * in the map store 'tombstones' under a user key no account can have (''), so that purging
 * the deleted user's data does not purge the tombstone with it. Also used by the command
 * line (`xmpp-server deluser` / `register`), which runs without loading modules.
 */
import { option, type MapStore } from '../../core/api.js';

/** The map store holding tombstones, and its user key ('' is never a valid username). */
export const TOMBSTONE_STORE = 'tombstones';
const GRAVEYARD = '';

/** The module's option (shared with the command line so both read it the same way). */
export const TOMBSTONE_EXPIRY_OPTION = option.integer({
  default: 0, min: 0,
  doc: 'Seconds a deleted account\'s name stays reserved (it cannot be registered again, and contacts probing it learn it is gone); 0 keeps tombstones forever (Prosody\'s default).',
});

export class Graveyard {
  readonly #store: MapStore<number>;
  readonly #expiryMs: number;

  /** `expirySeconds`: user_tombstone_expiry (0: never). */
  constructor(store: MapStore<number>, expirySeconds: number) {
    this.#store = store;
    this.#expiryMs = expirySeconds * 1000;
  }

  /** Leave a tombstone for `username` (normalised), dated now. */
  bury(username: string, now = Date.now()): void {
    this.#store.set(GRAVEYARD, username, now);
  }

  /** When the account was deleted (ms since the epoch), or undefined: no tombstone, or an expired one (then removed). */
  tombstone(username: string, now = Date.now()): number | undefined {
    const at = this.#store.get(GRAVEYARD, username);
    if (typeof at !== 'number') return undefined;
    if (this.#expiryMs > 0 && at + this.#expiryMs <= now) {
      this.#store.set(GRAVEYARD, username, undefined);
      return undefined;
    }
    return at;
  }
}
