/**
 * The chat page's contact list as data: roster items (RFC 6121 §2), the presence of each
 * contact's resources (RFC 6121 §4), unread counts and conversations. No DOM and no network,
 * so it runs (and is tested) in Node as well as in the browser.
 */

/** What the page shows for a contact's availability. */
export type Availability = 'online' | 'away' | 'busy' | 'offline';

/** One line of a conversation. */
export interface ChatLine {
  readonly direction: 'in' | 'out' | 'notice';
  readonly text: string;
  readonly at: Date;
}

/** A contact: from the roster, or someone who wrote to us without being in it. */
export interface Contact {
  readonly jid: string;
  name: string | undefined;
  /** RFC 6121 §2.1.2.5: none, to, from, both. */
  subscription: string;
  /** We asked to see their presence and they have not answered (ask='subscribe'). */
  pending: boolean;
  inRoster: boolean;
  /** Available resources: resource -> availability and status text. */
  readonly resources: Map<string, { availability: Availability; status: string }>;
  unread: number;
  readonly lines: ChatLine[];
}

/** The bare form of a JID (`user@host/res` -> `user@host`), lower-cased in its domain part. */
export function bareJid(jid: string): string {
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  const at = bare.lastIndexOf('@');
  return at === -1 ? bare.toLowerCase() : `${bare.slice(0, at)}@${bare.slice(at + 1).toLowerCase()}`;
}

/** The resource part of a JID, or '' when there is none. */
export function resourceOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? '' : jid.slice(slash + 1);
}

/** Whether `text` looks like a bare JID a person can add: local@domain, no spaces or slash. */
export function isContactAddress(text: string): boolean {
  return /^[^\s@/"&'<>:]+@[^\s@/]+\.?[^\s@/]*$/.test(text) && !text.endsWith('.');
}

/** RFC 6121 §4.7.2.1 <show/> values, in the page's words. */
export function availabilityOf(type: string | undefined, show: string | undefined): Availability {
  if (type === 'unavailable') return 'offline';
  if (show === 'away' || show === 'xa') return 'away';
  if (show === 'dnd') return 'busy';
  return 'online';
}

const RANK: Readonly<Record<Availability, number>> = { online: 3, busy: 2, away: 1, offline: 0 };

/** The contacts of the signed-in user. */
export class ContactList {
  readonly #contacts = new Map<string, Contact>();

  /** Every contact, online ones first, then by name. */
  sorted(): Contact[] {
    return [...this.#contacts.values()].sort((a, b) =>
      RANK[this.availability(b)] - RANK[this.availability(a)] || this.label(a).localeCompare(this.label(b)));
  }

  get(jid: string): Contact | undefined {
    return this.#contacts.get(bareJid(jid));
  }

  /** The contact for `jid`, created (outside the roster) when unknown. */
  ensure(jid: string): Contact {
    const bare = bareJid(jid);
    let c = this.#contacts.get(bare);
    if (!c) {
      c = { jid: bare, name: undefined, subscription: 'none', pending: false, inRoster: false, resources: new Map(), unread: 0, lines: [] };
      this.#contacts.set(bare, c);
    }
    return c;
  }

  /** Apply a roster item (a roster result or push, RFC 6121 §2.1.6). Returns the contact, or undefined if removed. */
  applyRosterItem(item: { jid: string; name?: string; subscription?: string; ask?: string }): Contact | undefined {
    const bare = bareJid(item.jid);
    if (item.subscription === 'remove') {
      const c = this.#contacts.get(bare);
      // Keep a conversation that has lines; it just leaves the roster.
      if (c && c.lines.length > 0) c.inRoster = false;
      else this.#contacts.delete(bare);
      return undefined;
    }
    const c = this.ensure(bare);
    c.inRoster = true;
    c.name = item.name || undefined;
    c.subscription = item.subscription ?? 'none';
    c.pending = item.ask === 'subscribe';
    return c;
  }

  /** Replace the whole roster (a roster get result): items missing from it leave the roster. */
  replaceRoster(items: { jid: string; name?: string; subscription?: string; ask?: string }[]): void {
    const keep = new Set(items.map((i) => bareJid(i.jid)));
    for (const c of this.#contacts.values()) if (c.inRoster && !keep.has(c.jid)) this.applyRosterItem({ jid: c.jid, subscription: 'remove' });
    for (const item of items) this.applyRosterItem(item);
  }

  /** Apply an available or unavailable presence from a full JID. */
  applyPresence(from: string, type: string | undefined, show: string | undefined, status: string | undefined): Contact | undefined {
    const bare = bareJid(from);
    const c = this.#contacts.get(bare);
    if (!c) return undefined;
    const resource = resourceOf(from);
    if (type === 'unavailable') c.resources.delete(resource);
    else c.resources.set(resource, { availability: availabilityOf(type, show), status: status ?? '' });
    return c;
  }

  /** Forget every presence (the connection is gone; presence comes again after reconnecting). */
  clearPresence(): void {
    for (const c of this.#contacts.values()) c.resources.clear();
  }

  /** The best availability among a contact's resources. */
  availability(c: Contact): Availability {
    let best: Availability = 'offline';
    for (const r of c.resources.values()) if (RANK[r.availability] > RANK[best]) best = r.availability;
    return best;
  }

  /** The status text of the contact's best resource ('' when none). */
  statusText(c: Contact): string {
    const best = this.availability(c);
    for (const r of c.resources.values()) if (r.availability === best && r.status) return r.status;
    return '';
  }

  /** The name to show. */
  label(c: Contact): string {
    return c.name ?? c.jid;
  }

  /** Whether a subscription request from `jid` should be approved without asking (we asked them first). */
  expectsSubscribe(jid: string): boolean {
    const c = this.get(jid);
    return c !== undefined && c.inRoster && (c.subscription === 'to' || c.pending);
  }
}
