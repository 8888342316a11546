/**
 * @module presence/roster-store
 * Where rosters live: one map row per contact ('roster_items', keyed by bare JID), one per
 * pending inbound request ('roster_pending'), and a small per-user record ('roster': the
 * version). A change writes its rows and the new version in one transaction. The rosters of
 * users with a bound session are cached (presence broadcast reads them on every presence);
 * every write goes through here, so the cache never drifts. A roster still in the old
 * whole-record format (`{ ver, items, pending }` in 'roster') is migrated on first access.
 */
import type { KeyValueStore, MapStore, ModuleApi } from '../../core/api.js';
import { legacyRequest, type ElementData } from './pending-request.js';

export type Subscription = 'none' | 'to' | 'from' | 'both';

/** One contact as stored (the JID is the key). RFC 6121 §2.1.2. */
export interface RosterItem {
  name?: string;
  subscription: Subscription;
  /** Pending out: the user asked to subscribe to the contact (RFC 6121 §2.1.2.2). */
  ask?: 'subscribe';
  /** The user pre-approved the contact's subscription (RFC 6121 §3.4, §2.1.2.1). */
  approved?: true;
  groups: string[];
}

/** A pending-in request as stored: the (bounded) subscribe stanza, RFC 6121 §3.1.3. */
export interface StoredRequest {
  readonly stanza: ElementData;
}

/** The per-user record: the roster version (RFC 6121 §2.6), increased by every change. */
interface RosterMeta {
  ver: number;
}

/** The old whole-roster record (before per-item storage). */
interface LegacyRoster {
  ver?: unknown;
  items?: unknown;
  pending?: unknown;
}

/** A user's roster in memory while the user has a bound session. */
interface CachedRoster {
  ver: number;
  /** NO_ITEMS while empty. */
  items: ReadonlyMap<string, RosterItem>;
  /** Contacts with a pending-in request (the stanzas stay in storage); NO_PENDING while none. */
  pending: ReadonlySet<string>;
}

/** Shared by every cached roster without items / pending requests (most, at a login): no Map or Set per user until one is added. */
const NO_ITEMS: ReadonlyMap<string, RosterItem> = new Map();
const NO_PENDING: ReadonlySet<string> = new Set();

/** The cached roster's own Map of items, made on the first item. */
function ownItems(cached: CachedRoster): Map<string, RosterItem> {
  if (cached.items === NO_ITEMS) cached.items = new Map();
  return cached.items as Map<string, RosterItem>;
}

function ownPending(cached: CachedRoster): Set<string> {
  if (cached.pending === NO_PENDING) cached.pending = new Set();
  return cached.pending as Set<string>;
}

/** One change to a user's roster: `undefined` leaves a row as it is, `null` deletes it. */
export interface RosterChange {
  readonly item?: RosterItem | null;
  readonly pending?: StoredRequest | null;
}

const SUBSCRIPTIONS: ReadonlySet<unknown> = new Set(['none', 'to', 'from', 'both']);

const copyItem = (item: RosterItem): RosterItem => ({ ...item, groups: [...item.groups] });

/** A stored item read back, tolerating old or hand-edited values. */
function cleanItem(raw: unknown): RosterItem | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Partial<RosterItem>;
  const item: RosterItem = {
    subscription: SUBSCRIPTIONS.has(r.subscription) ? r.subscription! : 'none',
    groups: Array.isArray(r.groups) ? r.groups.filter((g): g is string => typeof g === 'string') : [],
  };
  if (typeof r.name === 'string') item.name = r.name;
  if (r.ask === 'subscribe') item.ask = 'subscribe';
  if (r.approved === true) item.approved = true;
  return item;
}

function isLegacy(record: unknown): record is LegacyRoster {
  return typeof record === 'object' && record !== null && ('items' in record || 'pending' in record);
}

/** The host's roster storage and the cache of its online users' rosters. */
export class RosterStore {
  readonly #module: ModuleApi;
  readonly #meta: KeyValueStore<RosterMeta | LegacyRoster>;
  readonly #items: MapStore<RosterItem>;
  readonly #pending: MapStore<StoredRequest>;
  readonly #cache = new Map<string, CachedRoster>();

  constructor(module: ModuleApi) {
    this.#module = module;
    this.#meta = module.openStore<RosterMeta | LegacyRoster>('roster');
    this.#items = module.openMap<RosterItem>('roster_items');
    this.#pending = module.openMap<StoredRequest>('roster_pending');
  }

  /** The roster version (RFC 6121 §2.6). */
  version(user: string): number {
    return this.#cached(user)?.ver ?? this.#record(user).ver;
  }

  /** The user's item for a contact (a copy), if any. */
  item(user: string, jid: string): RosterItem | undefined {
    const cached = this.#cached(user);
    if (cached) {
      const item = cached.items.get(jid);
      return item && copyItem(item);
    }
    this.#record(user);
    return cleanItem(this.#items.get(user, jid));
  }

  /** How many items the roster holds. */
  itemCount(user: string): number {
    const cached = this.#cached(user);
    if (cached) return cached.items.size;
    this.#record(user);
    return this.#items.count(user);
  }

  /** Every item, in JID order for a stored roster; `fn` must not change them. */
  forEachItem(user: string, fn: (jid: string, item: Readonly<RosterItem>) => void): void {
    const cached = this.#cached(user);
    if (cached) {
      for (const [jid, item] of cached.items) fn(jid, item);
      return;
    }
    this.#record(user);
    for (const [jid, raw] of Object.entries(this.#items.all(user))) {
      const item = cleanItem(raw);
      if (item) fn(jid, item);
    }
  }

  /** Whether the contact has a pending-in request. */
  hasPending(user: string, jid: string): boolean {
    const cached = this.#cached(user);
    if (cached) return cached.pending.has(jid);
    this.#record(user);
    return this.#pending.get(user, jid) !== undefined;
  }

  /** How many pending-in requests the user has. */
  pendingCount(user: string): number {
    const cached = this.#cached(user);
    if (cached) return cached.pending.size;
    this.#record(user);
    return this.#pending.count(user);
  }

  /** The pending-in requests with their stored stanzas (read from storage). */
  pendingRequests(user: string): [string, StoredRequest][] {
    this.#record(user);
    return Object.entries(this.#pending.all(user));
  }

  /** Write one contact's rows and the next version in one transaction; returns that version. */
  commit(user: string, jid: string, change: RosterChange): number {
    const cached = this.#cached(user);
    const ver = (cached?.ver ?? this.#record(user).ver) + 1;
    this.#module.server.storage.transaction(() => {
      if (change.item !== undefined) this.#items.set(user, jid, change.item ?? undefined);
      if (change.pending !== undefined) this.#pending.set(user, jid, change.pending ?? undefined);
      this.#meta.set(user, { ver });
    });
    // the cache follows only once the transaction has committed
    if (cached) {
      cached.ver = ver;
      if (change.item === null) ownItems(cached).delete(jid);
      else if (change.item !== undefined) ownItems(cached).set(jid, copyItem(change.item));
      if (change.pending === null) ownPending(cached).delete(jid);
      else if (change.pending !== undefined) ownPending(cached).add(jid);
    }
    // other nodes of a cluster drop their cached copy (presence/index.ts hooks the relayed event)
    this.#module.fire('stored-data-changed', { store: 'roster', user, remote: false });
    return ver;
  }

  /** Forget the user's cached roster (the last session unbound). */
  drop(user: string): void {
    this.#cache.delete(user);
  }

  /** Whether the user's roster is cached (for tests and introspection). */
  isCached(user: string): boolean {
    return this.#cache.has(user);
  }

  /** The cached roster, loaded when the user has a bound session; undefined otherwise. */
  #cached(user: string): CachedRoster | undefined {
    const hit = this.#cache.get(user);
    if (hit) return hit;
    if (this.#module.server.sessions.ofUser(this.#module.host, user).length === 0) return undefined;
    const { ver } = this.#record(user);
    const items = new Map<string, RosterItem>();
    for (const [jid, raw] of Object.entries(this.#items.all(user))) {
      const item = cleanItem(raw);
      if (item) items.set(jid, item);
    }
    const pending = Object.keys(this.#pending.all(user));
    const roster: CachedRoster = { ver, items: items.size > 0 ? items : NO_ITEMS, pending: pending.length > 0 ? new Set(pending) : NO_PENDING };
    this.#cache.set(user, roster);
    return roster;
  }

  /** The per-user record, migrating an old whole-roster record first. */
  #record(user: string): RosterMeta {
    const record = this.#meta.get(user);
    if (record === undefined) return { ver: 0 };
    if (!isLegacy(record)) return { ver: typeof record.ver === 'number' ? record.ver : 0 };
    return this.#migrate(user, record);
  }

  /** Move an old `{ ver, items, pending }` record to the per-item layout, all or nothing. */
  #migrate(user: string, old: LegacyRoster): RosterMeta {
    const ver = typeof old.ver === 'number' ? old.ver : 0;
    const items = typeof old.items === 'object' && old.items !== null ? Object.entries(old.items) : [];
    const pending = typeof old.pending === 'object' && old.pending !== null ? Object.entries(old.pending) : [];
    this.#module.server.storage.transaction(() => {
      for (const [jid, raw] of items) {
        const item = cleanItem(raw);
        if (item) this.#items.set(user, jid, item);
      }
      for (const [jid, raw] of pending) {
        const status = typeof raw === 'object' && raw !== null ? (raw as { status?: unknown }).status : undefined;
        this.#pending.set(user, jid, { stanza: legacyRequest(status) });
      }
      this.#meta.set(user, { ver });
    });
    this.#module.log.info({ user, items: items.length, pending: pending.length }, 'roster migrated to per-item storage');
    return { ver };
  }
}
