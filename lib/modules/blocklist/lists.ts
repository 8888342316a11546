/**
 * @module blocklist/lists
 * The host's block lists (XEP-0191): stored one record per user in the module's store, kept in
 * memory for users with a bound session and, for others, in a small most-recently-used cache
 * (blocklist_cache_size). The names of the users who block anyone are read once at load, so a
 * stanza to or from a user who blocks nobody costs one Set lookup and never reads storage.
 */
import { parseJid, type Jid, type KeyValueStore, type ModuleApi } from '../../core/api.js';

/** A block list as stored: normalised JIDs, in the order they were blocked. */
export interface StoredList {
  readonly items: readonly string[];
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * XEP-0191 §6 (the JID matching of XEP-0016 §2.1): an item blocks the entity whose address is
 * the item itself or contains it: user@domain/resource, user@domain, domain/resource, domain.
 */
export function isBlockedBy(list: ReadonlySet<string>, jid: Jid): boolean {
  if (list.size === 0) return false;
  if (list.has(jid.full)) return true;
  if (jid.resource !== undefined && list.has(jid.bare)) return true;
  if (jid.local !== undefined && jid.resource !== undefined && list.has(`${jid.domain}/${jid.resource}`)) return true;
  return jid.full !== jid.domain && list.has(jid.domain);
}

/** The list from a stored record, keeping only valid JIDs (normalised). */
function parseStored(raw: unknown): Set<string> {
  const out = new Set<string>();
  const items = typeof raw === 'object' && raw !== null ? (raw as Partial<StoredList>).items : undefined;
  if (!Array.isArray(items)) return out;
  for (const item of items as unknown[]) {
    const jid = typeof item === 'string' ? parseJid(item) : undefined;
    if (jid) out.add(jid.full);
  }
  return out;
}

/** One host's block lists. */
export class BlockLists {
  readonly host: string;
  readonly #module: ModuleApi;
  readonly #store: KeyValueStore<StoredList>;
  readonly #cacheSize: number;
  /** Users whose stored list is not empty: nobody else's stanzas are ever checked further. */
  readonly #holders: Set<string>;
  /** Lists of users with a bound session. */
  readonly #online = new Map<string, ReadonlySet<string>>();
  /** Lists of other users, least recently used first. */
  readonly #recent = new Map<string, ReadonlySet<string>>();

  constructor(module: ModuleApi, cacheSize: number) {
    this.#module = module;
    this.host = module.host;
    this.#cacheSize = cacheSize;
    this.#store = module.openStore<StoredList>('blocklist');
    this.#holders = new Set(this.#store.users());
  }

  /** Whether any user of the host blocks anyone. */
  get active(): boolean {
    return this.#holders.size > 0;
  }

  /** Whether `user` (a normalised local part) blocks anyone: one Set lookup, no storage. */
  holds(user: string): boolean {
    return this.#holders.has(user);
  }

  /** Whether `user` blocks `jid`. */
  blocks(user: string, jid: Jid): boolean {
    if (!this.#holders.has(user)) return false;
    return isBlockedBy(this.list(user), jid);
  }

  /** The user's first session: the list is read again (an account deleted and created anew keeps nothing). */
  refresh(user: string): void {
    if (!this.#holders.has(user)) return;
    this.#online.delete(user);
    this.#recent.delete(user);
    const loaded = parseStored(this.#store.get(user));
    if (loaded.size === 0) this.#holders.delete(user);
    else this.#remember(user, loaded);
  }

  /** The user's list (read from storage once, then from memory). */
  list(user: string): ReadonlySet<string> {
    if (!this.#holders.has(user)) return EMPTY;
    const online = this.#online.get(user);
    if (online !== undefined) return online;
    const recent = this.#recent.get(user);
    if (recent !== undefined) {
      this.#recent.delete(user);
      this.#recent.set(user, recent);
      return recent;
    }
    const loaded = parseStored(this.#store.get(user));
    this.#remember(user, loaded);
    return loaded;
  }

  /** Replace the user's list: stored first (a failure throws and changes nothing), then cached. */
  replace(user: string, next: ReadonlySet<string>): void {
    this.#store.set(user, next.size === 0 ? undefined : { items: [...next] });
    this.#module.fire('stored-data-changed', { store: 'blocklist', user, remote: false });
    this.#online.delete(user);
    this.#recent.delete(user);
    if (next.size === 0) {
      this.#holders.delete(user);
      return;
    }
    this.#holders.add(user);
    this.#remember(user, next);
  }

  /** Another node of a cluster changed the user's list in the shared storage: read it again when needed. */
  reload(user: string): void {
    this.#online.delete(user);
    this.#recent.delete(user);
    if (this.#store.get(user) === undefined) this.#holders.delete(user);
    else this.#holders.add(user);
  }

  /** The user has no bound session left: the list moves to the bounded cache. */
  release(user: string): void {
    const list = this.#online.get(user);
    if (list === undefined) return;
    this.#online.delete(user);
    this.#recent.set(user, list);
    this.#trim();
  }

  /** The account is gone (its store was purged with it): forget the list. */
  forget(user: string): void {
    this.#holders.delete(user);
    this.#online.delete(user);
    this.#recent.delete(user);
  }

  /** How many lists are in memory (tests and introspection). */
  get cached(): { online: number; recent: number } {
    return { online: this.#online.size, recent: this.#recent.size };
  }

  #remember(user: string, list: ReadonlySet<string>): void {
    if (this.#module.server.sessions.ofUser(this.host, user).length > 0) {
      this.#online.set(user, list);
      return;
    }
    this.#recent.set(user, list);
    this.#trim();
  }

  #trim(): void {
    while (this.#recent.size > this.#cacheSize) {
      const oldest = this.#recent.keys().next().value as string;
      this.#recent.delete(oldest);
    }
  }
}
