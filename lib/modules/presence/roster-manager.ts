/**
 * @module presence/roster-manager
 * Rosters (RFC 6121 §2, §3, Appendix A): the subscription state machine, the roster size and
 * pending-request bounds, and roster pushes, on top of per-item storage (roster-store.ts).
 * Owned by presence (always loaded, like Prosody's core rostermanager) and shared with roster
 * and disco as `module.shared('presence/rosters')`, a Map from host to manager.
 */
import { xml, NS_ROSTER, type Element, type ModuleApi, type RosterService } from '../../core/api.js';
import { boundRequest, fromData, toData, type BoundReport, type RequestBounds } from './pending-request.js';
import { RosterStore, type RosterItem } from './roster-store.js';

export type { RosterItem, Subscription } from './roster-store.js';

/** The limits a roster manager enforces (the presence module's options). */
export interface RosterLimits {
  /** Most items one roster may hold (every path that adds an item checks it). */
  readonly max_roster_items: number;
  /** Most pending-in requests one user may have. */
  readonly max_pending_subscriptions: number;
  readonly max_subscription_status_length: number;
  readonly max_subscription_request_size: number;
}

/** What a subscription-changing operation did. */
export interface Change {
  /** The roster item changed (so push it). */
  readonly changed: boolean;
  /** Refused: the change would add an item beyond max_roster_items. */
  readonly full?: true;
}

/** What removing an item found (RFC 6121 §2.5.2). */
export interface Removal {
  readonly hadFrom: boolean;
  readonly hadTo: boolean;
  readonly wasPending: boolean;
}

const hasFrom = (item: RosterItem | undefined): boolean => item?.subscription === 'from' || item?.subscription === 'both';
const hasTo = (item: RosterItem | undefined): boolean => item?.subscription === 'to' || item?.subscription === 'both';
const UNCHANGED: Change = Object.freeze({ changed: false });
const FULL: Change = Object.freeze({ changed: false, full: true });

/** The host's rosters: reading, the RFC 6121 Appendix A state machine, bounds, pushes. */
export class RosterManager implements RosterService {
  readonly host: string;
  readonly #module: ModuleApi;
  readonly #store: RosterStore;
  readonly #limits: RosterLimits;
  readonly #bounds: RequestBounds;
  #pushId = 0;
  /** The outbound handshake (subscriptions.ts), bound by the presence module. */
  #outbound: ((user: string, contact: string, type: 'subscribe' | 'subscribed') => 'ok' | 'full') | undefined;

  constructor(module: ModuleApi, limits: RosterLimits) {
    this.#module = module;
    this.host = module.host;
    this.#limits = limits;
    this.#bounds = { statusChars: limits.max_subscription_status_length, bytes: limits.max_subscription_request_size };
    this.#store = new RosterStore(module);
  }

  /** Most items one roster may hold (max_roster_items). */
  get maxItems(): number {
    return this.#limits.max_roster_items;
  }

  /** Most pending-in requests one user may have (max_pending_subscriptions). */
  get maxPending(): number {
    return this.#limits.max_pending_subscriptions;
  }

  /** The roster version (RFC 6121 §2.6). */
  version(user: string): number {
    return this.#store.version(user);
  }

  /** The user's item for a contact (a copy), if any. */
  item(user: string, jid: string): RosterItem | undefined {
    return this.#store.item(user, jid);
  }

  /** Whether the user's roster has an item for `contact`. */
  hasItem(user: string, contact: string): boolean {
    return this.#store.item(user, contact) !== undefined;
  }

  /** Whether `contact` receives the user's presence (subscription from/both). */
  isSubscribed(user: string, contact: string): boolean {
    return hasFrom(this.#store.item(user, contact));
  }

  /** Contacts that receive the user's presence (from/both). */
  subscribers(user: string): string[] {
    return this.#select(user, (i) => hasFrom(i));
  }

  /** Contacts whose presence the user receives (to/both). */
  subscriptions(user: string): string[] {
    return this.#select(user, (i) => hasTo(i));
  }

  /** Contacts the user asked to subscribe to and who have not answered (pending out). */
  pendingOut(user: string): string[] {
    return this.#select(user, (i) => i.ask === 'subscribe');
  }

  /**
   * The stored requests as they are delivered (RFC 6121 §3.1.3), from the contact's bare JID
   * to the user's; bounded again, so a request stored before the bounds (or under larger
   * ones, or migrated from the old format) cannot carry more than they allow. At most
   * max_pending_subscriptions are delivered; any beyond (only possible with older data) stay
   * stored until the user has answered some.
   */
  pendingStanzas(user: string): Element[] {
    const userBare = `${user}@${this.host}`;
    const out: Element[] = [];
    for (const [jid, request] of this.#store.pendingRequests(user).slice(0, this.#limits.max_pending_subscriptions)) {
      const stored = fromData(request?.stanza) ?? xml('presence', { type: 'subscribe' });
      const bounded = this.#bound(stored, user, jid);
      bounded.attrs.from = jid;
      bounded.attrs.to = userBare;
      out.push(bounded);
    }
    return out;
  }

  /** Whether the user's roster is cached (for tests and introspection). */
  isCached(user: string): boolean {
    return this.#store.isCached(user);
  }

  /** Forget the cached roster of a user who has no bound session left. */
  release(user: string): void {
    this.#store.drop(user);
  }

  #select(user: string, pred: (item: Readonly<RosterItem>) => boolean): string[] {
    const out: string[] = [];
    this.#store.forEachItem(user, (jid, item) => { if (pred(item)) out.push(jid); });
    return out;
  }

  /** Whether adding an item for `jid` is refused: the roster holds max_roster_items already. */
  #full(user: string, existing: RosterItem | undefined): boolean {
    return existing === undefined && this.#store.itemCount(user) >= this.#limits.max_roster_items;
  }

  /** `stanza` within the request bounds; what was cut is logged at debug. */
  #bound(stanza: Element, user: string, contact: string): Element {
    const report: BoundReport = { truncated: 0, dropped: [] };
    const bounded = boundRequest(stanza, this.#bounds, report);
    if (report.truncated > 0 || report.dropped.length > 0) {
      this.#module.log.debug({ user, contact, truncatedStatuses: report.truncated, dropped: report.dropped }, 'subscription request cut to its bounds');
    }
    return bounded;
  }

  /** Bind the outbound handshake sendSubscription runs (the presence module does, once). */
  bindOutbound(fn: (user: string, contact: string, type: 'subscribe' | 'subscribed') => 'ok' | 'full'): void {
    this.#outbound = fn;
  }

  /** A subscription stanza on the user's behalf (see RosterService.sendSubscription). */
  sendSubscription(user: string, contact: string, type: 'subscribe' | 'subscribed'): 'ok' | 'full' {
    const item = this.#store.item(user, contact);
    if (type === 'subscribe' && (hasTo(item) || item?.ask === 'subscribe')) return 'ok';
    return this.#outbound?.(user, contact, type) ?? 'ok';
  }

  // ---- the user's own roster edits (RFC 6121 §2.3, §2.5) ----

  /**
   * Roster set: create or update the item's name and groups; subscription and ask are kept
   * (RFC 6121 §2.1.2.5). 'full' when it would add an item beyond max_roster_items.
   */
  setItem(user: string, jid: string, fields: { name?: string; groups: string[] }): 'ok' | 'full' {
    const existing = this.#store.item(user, jid);
    if (this.#full(user, existing)) return 'full';
    const item: RosterItem = { subscription: existing?.subscription ?? 'none', groups: [...fields.groups] };
    if (fields.name) item.name = fields.name;
    if (existing?.ask) item.ask = existing.ask;
    if (existing?.approved) item.approved = true; // RFC 6121 §2.1.2.1: a client cannot set it
    this.#store.commit(user, jid, { item });
    return 'ok';
  }

  /** Forget a pending-in request from `contact`, keeping the item (blocking the contact, say). */
  dropRequest(user: string, contact: string): boolean {
    if (!this.#store.hasPending(user, contact)) return false;
    this.#store.commit(user, contact, { pending: null });
    return true;
  }

  /** Roster remove: drop the item and any pending-in request; undefined when neither exists. */
  removeItem(user: string, jid: string): Removal | undefined {
    const item = this.#store.item(user, jid);
    const wasPending = this.#store.hasPending(user, jid);
    if (!item && !wasPending) return undefined;
    this.#store.commit(user, jid, { item: item ? null : undefined, pending: wasPending ? null : undefined });
    return { hadFrom: hasFrom(item), hadTo: hasTo(item) || item?.ask === 'subscribe', wasPending };
  }

  /** Apply `fn` to the user's item for `jid` (a new 'none' item when absent and `create`). */
  #update(user: string, jid: string, fn: (item: RosterItem) => boolean, create: boolean): Change {
    const existing = this.#store.item(user, jid);
    if (!existing && !create) return UNCHANGED;
    const item: RosterItem = existing ?? { subscription: 'none', groups: [] };
    if (!fn(item)) return UNCHANGED;
    if (this.#full(user, existing)) return FULL;
    this.#store.commit(user, jid, { item });
    return { changed: true };
  }

  // ---- outbound (the user's own stanzas), RFC 6121 Appendix A.3 ----

  /** Outbound subscribe: set pending out unless already subscribed (A.3.1). */
  outSubscribe(user: string, contact: string): Change {
    return this.#update(user, contact, (item) => {
      if (hasTo(item) || item.ask) return false;
      item.ask = 'subscribe';
      return true;
    }, true);
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

  /**
   * Outbound subscribed: approve a pending-in request; none -> from, to -> both (A.3.3). With no
   * request, a pre-approval (RFC 6121 §3.4.2): `approved` on the item (created with 'none' when
   * absent), unless the contact is subscribed or already pre-approved (then nothing changes).
   */
  outSubscribed(user: string, contact: string): Change & { preApproved?: true } {
    const existing = this.#store.item(user, contact);
    if (!this.#store.hasPending(user, contact)) {
      if (hasFrom(existing) || existing?.approved) return UNCHANGED;
      if (this.#full(user, existing)) return FULL;
      const item: RosterItem = existing ?? { subscription: 'none', groups: [] };
      item.approved = true;
      this.#store.commit(user, contact, { item });
      return { changed: true, preApproved: true };
    }
    if (this.#full(user, existing)) return FULL;
    const item: RosterItem = existing ?? { subscription: 'none', groups: [] };
    if (item.subscription === 'none') item.subscription = 'from';
    else if (item.subscription === 'to') item.subscription = 'both';
    delete item.approved;
    this.#store.commit(user, contact, { item, pending: null });
    return { changed: true };
  }

  /**
   * Outbound unsubscribed: deny a pending-in request, or cancel the contact's subscription;
   * from -> none, both -> to (A.3.4). `wasSubscribed` says the contact had from/both.
   */
  outUnsubscribed(user: string, contact: string): Change & { wasSubscribed: boolean; wasPending: boolean } {
    const wasPending = this.#store.hasPending(user, contact);
    const item = this.#store.item(user, contact);
    const wasSubscribed = hasFrom(item);
    const wasApproved = item?.approved === true;
    if (!wasPending && !wasSubscribed && !wasApproved) return { changed: false, wasSubscribed, wasPending };
    if (item && wasSubscribed) item.subscription = item.subscription === 'both' ? 'to' : 'none';
    // RFC 6121 §3.4: 'unsubscribed' also cancels a pre-approval
    if (item) delete item.approved;
    const itemChanged = wasSubscribed || wasApproved;
    this.#store.commit(user, contact, { item: item && itemChanged ? item : undefined, pending: wasPending ? null : undefined });
    return { changed: itemChanged, wasSubscribed, wasPending };
  }

  // ---- inbound (stanzas from contacts to the user), RFC 6121 Appendix A.2 ----

  /**
   * Inbound subscribe (A.2.1): 'subscribed' when the contact already has from/both (auto-reply),
   * 'approved' when the user pre-approved it (RFC 6121 §3.4: now from/both, answer on the user's behalf),
   * 'pending' when already pending (do not deliver again), 'full' when the user has
   * max_pending_subscriptions requests already (not stored), 'new' when stored as pending in;
   * `request` is the stanza as stored and delivered (bounded, addressed like `stanza`).
   */
  inSubscribe(user: string, contact: string, stanza: Element): { result: 'subscribed' | 'approved' | 'pending' | 'full' | 'new'; request?: Element } {
    const existing = this.#store.item(user, contact);
    if (hasFrom(existing)) return { result: 'subscribed' };
    if (existing?.approved) {
      // RFC 6121 §3.4: pre-approved: approved on the user's behalf, never delivered; none -> from, to -> both
      existing.subscription = existing.subscription === 'to' ? 'both' : 'from';
      delete existing.approved;
      this.#store.commit(user, contact, { item: existing, pending: this.#store.hasPending(user, contact) ? null : undefined });
      return { result: 'approved' };
    }
    if (this.#store.hasPending(user, contact)) return { result: 'pending' };
    if (this.#store.pendingCount(user) >= this.#limits.max_pending_subscriptions) return { result: 'full' };
    const bounded = this.#bound(stanza, user, contact);
    this.#store.commit(user, contact, { pending: { stanza: toData(bounded) } });
    bounded.attrs.from = stanza.attrs.from;
    bounded.attrs.to = stanza.attrs.to;
    return { result: 'new', request: bounded };
  }

  /** Inbound unsubscribe: drop pending in; from -> none, both -> to (A.2.2). */
  inUnsubscribe(user: string, contact: string): Change & { itemChanged: boolean } {
    const wasPending = this.#store.hasPending(user, contact);
    const item = this.#store.item(user, contact);
    const itemChanged = item !== undefined && hasFrom(item);
    if (item && itemChanged) item.subscription = item.subscription === 'both' ? 'to' : 'none';
    if (wasPending || itemChanged) {
      this.#store.commit(user, contact, { item: itemChanged ? item : undefined, pending: wasPending ? null : undefined });
    }
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
      if (item.ask !== 'subscribe' && !hasTo(item)) return false;
      delete item.ask;
      if (item.subscription === 'to') item.subscription = 'none';
      else if (item.subscription === 'both') item.subscription = 'from';
      return true;
    }, false);
  }

  // ---- wire form ----

  /** The `<item/>` for a contact; `subscription='remove'` when the item is gone (RFC 6121 §2.1.2). */
  itemElement(jid: string, item: Readonly<RosterItem> | undefined): Element {
    if (!item) return xml('item', { jid, subscription: 'remove' });
    // RFC 6121 §2.1.2.1: 'approved' only means something while the contact has no subscription
    const approved = item.approved && !hasFrom(item) ? 'true' : undefined;
    return xml('item', { jid, name: item.name, subscription: item.subscription, ask: item.ask, approved },
      ...item.groups.map((g) => xml('group', {}, g)));
  }

  /** The full roster result payload (RFC 6121 §2.1.4). */
  queryElement(user: string): Element {
    const query = xml('query', { xmlns: NS_ROSTER, ver: String(this.#store.version(user)) });
    this.#store.forEachItem(user, (jid, item) => { query.append(this.itemElement(jid, item)); });
    return query;
  }

  /** Send a roster push for `jid` to every interested resource of the user (RFC 6121 §2.1.6). */
  push(user: string, jid: string): void {
    const sessions = this.#module.server.sessions.ofUser(this.host, user).filter((s) => s.interested);
    if (sessions.length === 0) return;
    const ver = String(this.#store.version(user));
    const item = this.#store.item(user, jid);
    for (const session of sessions) {
      session.send(xml('iq', { type: 'set', id: `push${++this.#pushId}`, to: session.fullJid },
        xml('query', { xmlns: NS_ROSTER, ver }, this.itemElement(jid, item))));
    }
  }
}
