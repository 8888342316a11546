/**
 * @module cli/tombstones
 * The command line's account commands run without loading modules (a running server may hold
 * the ports), so nothing hooks `user-deleted` or `user-registering` there. When the tombstones
 * module is enabled on the host, `deluser` leaves the tombstone and `register` honours it here,
 * with the module's own store and option (`user_tombstone_expiry`).
 */
import type { Server } from '../core/server.js';
import type { MapStore } from '../core/module-api.js';
import { Graveyard, TOMBSTONE_EXPIRY_OPTION, TOMBSTONE_STORE } from '../modules/tombstones/graveyard.js';

/** The host's graveyard, or undefined when the tombstones module is not enabled there. */
export function graveyardFor(server: Server, host: string): Graveyard | undefined {
  if (!server.moduleEnabled('tombstones', host)) return undefined;
  const driver = server.storage;
  const store: MapStore<number> = {
    get: (user, key) => driver.mapGet(host, TOMBSTONE_STORE, user, key) as number | undefined,
    set: (user, key, value) => driver.mapSet(host, TOMBSTONE_STORE, user, key, value),
    all: (user) => driver.mapAll(host, TOMBSTONE_STORE, user) as Record<string, number>,
    count: (user) => driver.mapCount(host, TOMBSTONE_STORE, user),
  };
  const expiry = server.config.option(host, 'user_tombstone_expiry', TOMBSTONE_EXPIRY_OPTION, 'tombstones');
  return new Graveyard(store, expiry);
}
