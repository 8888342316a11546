/**
 * @module presence/roster-manager
 * Rosters (RFC 6121 §2, §3, Appendix A): per-user storage, the subscription state machine and
 * roster pushes. Owned by presence (always loaded, like Prosody's core rostermanager) and shared
 * with roster and disco as `module.shared('presence/rosters')`, a Map from host to manager.
 */
import { xml, NS_ROSTER, type Element, type KeyValueStore, type ModuleApi } from '../../core/api.js';

export type Subscription = 'none' | 'to' | 'from' | 'both';

/** One contact as stored (the JID is the key). RFC 6121 §2.1.2. */
export interface RosterItem {
  name?: string;
  subscription: Subscription;
  /** Pending out: the user asked to subscribe to the contact (RFC 6121 §2.1.2.2). */
  ask?: 'subscribe';
  groups: string[];
}

/** A user's stored roster. */
export interface RosterData {
  /** Increases with every change; the roster version (RFC 6121 §2.6). */
  ver: number;
  items: Record<string, RosterItem>;
  /** Pending in: inbound subscription requests awaiting an answer (RFC 6121 §3.1.3). */
  pending: Record<string, { status?: string }>;
}

/** What a subscription-changing operation did. */
export interface Change {
  /** The roster item changed (so push it). */
  readonly changed: boolean;
}

/** The host's rosters: reading, writing, the RFC 6121 Appendix A state machine, pushes. */
export class RosterManager {
  readonly host: string;
  readonly #module: ModuleApi;
  readonly #store: KeyValueStore<RosterData>;
  #pushId = 0;

  constructor(module: ModuleApi) {
    this.#module = module;
    this.host = module.host;
    this.#store = module.openStore<RosterData>('roster');
  }

  /** The user's roster (a copy: change it, then `save`). */
  load(user: string): RosterData {
    const stored = this.#store.get(user);
    if (!stored) return { ver: 0, items: {}, pending: {} };
    const copy = structuredClone(stored);
    copy.items ??= {};
    copy.pending ??= {};
    copy.ver ??= 0;
    return copy;
  }

  /** Store the roster, bumping its version. */
  save(user: string, data: RosterData): void {
    data.ver += 1;
    this.#store.set(user, data);
  }

  /** The user's item for a contact, if any. */
  item(user: string, jid: string): RosterItem | undefined {
    return this.load(user).items[jid];
  }

  /** Whether `contact` receives the user's presence (subscription from/both). */
  isSubscribed(user: string, contact: string): boolean {
    const s = this.item(user, contact)?.subscription;
    return s === 'from' || s === 'both';
  }

  /** Contacts that receive the user's presence (from/both). */
  subscribers(user: string): string[] {
    return Object.entries(this.load(user).items).filter(([, i]) => i.subscription === 'from' || i.subscription === 'both').map(([j]) => j);
  }

  /** Contacts whose presence the user receives (to/both). */
  subscriptions(user: string): string[] {
    return Object.entries(this.load(user).items).filter(([, i]) => i.subscription === 'to' || i.subscription === 'both').map(([j]) => j);
  }

  /** Contacts the user asked to subscribe to and who have not answered (pending out). */
  pendingOut(user: string): string[] {
    return Object.entries(this.load(user).items).filter(([, i]) => i.ask === 'subscribe').map(([j]) => j);
  }

  /** Inbound requests awaiting the user's answer (pending in). */
  pendingIn(user: string): string[] {
    return Object.keys(this.load(user).pending);
  }

  /** Apply `fn` to the user's item for `jid` (created as 'none' if absent); saves when it returns true. */
  #update(user: string, jid: string, fn: (item: RosterItem, data: RosterData) => boolean, create = true): Change {
    const data = this.load(user);
    const existing = data.items[jid];
    if (!existing && !create) return { changed: false };
    const item: RosterItem = existing ?? { subscription: 'none', groups: [] };
    const changed = fn(item, data);
    if (changed) {
      data.items[jid] = item;
      this.save(user, data);
    }
    return { changed };
  }

  // ---- outbound (the user's own stanzas), RFC 6121 Appendix A.3 ----

  /** Outbound subscribe: set pending out unless already subscribed (A.3.1). */
  outSubscribe(user: string, contact: string): Change {
    return this.#update(user, contact, (item) => {
      if (item.subscription === 'to' || item.subscription === 'both' || item.ask) return false;
      item.ask = 'subscribe';
      return true;
    });
  }

  /** Outbound unsubscribe: to -> none, both -> from, clear pending out (A.3.2). */
  outUnsubscribe(user: string, contact: string): Change {
    return this.#update(user, contact, (item) => {
      const before = `${item.subscription}/${item.ask ?? ''}`;
      if (item.subscription === 'to') item.subscription = 'none';
      else if (item.subscription === 'both') item.subscription = 'from';
      delete item.ask;
      return before !== `${item.subscription}/`;
    }, false);
  }

  /** Outbound subscribed: approve a pending-in request; none -> from, to -> both (A.3.3). */
  outSubscribed(user: string, contact: string): Change {
    return this.#update(user, contact, (item, data) => {
      if (!data.pending[contact]) return false; // no pre-approval support: no state change
      delete data.pending[contact];
      if (item.subscription === 'none') item.subscription = 'from';
      else if (item.subscription === 'to') item.subscription = 'both';
      return true;
    });
  }

  /**
   * Outbound unsubscribed: deny a pending-in request, or cancel the contact's subscription;
   * from -> none, both -> to (A.3.4). `wasSubscribed` says the contact had from/both.
   */
  outUnsubscribed(user: string, contact: string): Change & { wasSubscribed: boolean; wasPending: boolean } {
    const data = this.load(user);
    const wasPending = Boolean(data.pending[contact]);
    const item = data.items[contact];
    const wasSubscribed = item?.subscription === 'from' || item?.subscription === 'both';
    if (!wasPending && !wasSubscribed) return { changed: false, wasSubscribed, wasPending };
    delete data.pending[contact];
    if (item && wasSubscribed) item.subscription = item.subscription === 'both' ? 'to' : 'none';
    this.save(user, data);
    return { changed: wasSubscribed, wasSubscribed, wasPending };
  }

  // ---- inbound (stanzas from contacts to the user), RFC 6121 Appendix A.2 ----

  /**
   * Inbound subscribe (A.2.1): 'subscribed' when the contact already has from/both (auto-reply),
   * 'pending' when already pending (do not deliver again), 'new' when stored as pending in.
   */
  inSubscribe(user: string, contact: string, status?: string): 'subscribed' | 'pending' | 'new' {
    const data = this.load(user);
    const s = data.items[contact]?.subscription;
    if (s === 'from' || s === 'both') return 'subscribed';
    if (data.pending[contact]) return 'pending';
    data.pending[contact] = status === undefined ? {} : { status };
    this.save(user, data);
    return 'new';
  }

  /** Inbound unsubscribe: drop pending in; from -> none, both -> to (A.2.2). */
  inUnsubscribe(user: string, contact: string): Change & { itemChanged: boolean } {
    const data = this.load(user);
    const wasPending = Boolean(data.pending[contact]);
    delete data.pending[contact];
    const item = data.items[contact];
    let itemChanged = false;
    if (item && (item.subscription === 'from' || item.subscription === 'both')) {
      item.subscription = item.subscription === 'both' ? 'to' : 'none';
      itemChanged = true;
    }
    if (wasPending || itemChanged) this.save(user, data);
    return { changed: wasPending || itemChanged, itemChanged };
  }

  /** Inbound subscribed: only when pending out; none -> to, from -> both (A.2.3). */
  inSubscribed(user: string, contact: string): Change {
    return this.#update(user, contact, (item) => {
      if (item.ask !== 'subscribe') return false;
      delete item.ask;
      if (item.subscription === 'none') item.subscription = 'to';
      else if (item.subscription === 'from') item.subscription = 'both';
      return true;
    }, false);
  }

  /** Inbound unsubscribed: cancel pending out or the user's subscription; to -> none, both -> from (A.2.4). */
  inUnsubscribed(user: string, contact: string): Change {
    return this.#update(user, contact, (item) => {
      const had = item.ask === 'subscribe' || item.subscription === 'to' || item.subscription === 'both';
      if (!had) return false;
      delete item.ask;
      if (item.subscription === 'to') item.subscription = 'none';
      else if (item.subscription === 'both') item.subscription = 'from';
      return true;
    }, false);
  }

  // ---- wire form ----

  /** The `<item/>` for a contact; `subscription='remove'` when the item is gone (RFC 6121 §2.1.2). */
  itemElement(jid: string, item: RosterItem | undefined): Element {
    if (!item) return xml('item', { jid, subscription: 'remove' });
    return xml('item', { jid, name: item.name, subscription: item.subscription, ask: item.ask },
      ...item.groups.map((g) => xml('group', {}, g)));
  }

  /** The full roster result payload (RFC 6121 §2.1.4). */
  queryElement(user: string): Element {
    const data = this.load(user);
    return xml('query', { xmlns: NS_ROSTER, ver: String(data.ver) },
      ...Object.entries(data.items).map(([jid, item]) => this.itemElement(jid, item)));
  }

  /** Send a roster push for `jid` to every interested resource of the user (RFC 6121 §2.1.6). */
  push(user: string, jid: string): void {
    const data = this.load(user);
    const item = data.items[jid];
    for (const session of this.#module.server.sessions.ofUser(this.host, user)) {
      if (!session.interested) continue;
      session.send(xml('iq', { type: 'set', id: `push${++this.#pushId}`, to: session.fullJid },
        xml('query', { xmlns: NS_ROSTER, ver: String(data.ver) }, this.itemElement(jid, item))));
    }
  }
}

/** The shared host -> RosterManager map (key 'presence/rosters'). */
export type Rosters = Map<string, RosterManager>;
