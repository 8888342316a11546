/**
 * @module muc/room
 * One room (XEP-0045): its configuration, affiliations, subject, occupants and history, the
 * MucRoom view other modules get, and the state changes the protocol code calls
 * (setAffiliation, setRole, removeOccupant, destroy, setSubject, setConfig), each applied,
 * persisted and announced with the presence or message the XEP defines.
 */
import { xml, type Element, type Timer } from '../../core/api.js';
import {
  NS_MUC_USER, type Affiliation, type AffiliationEntry, type MucOccupant, type MucRoom, type Role,
  type RoomConfig, type RoomSubject, type StoredRoom,
} from '../../core/muc-api.js';
import { fanout } from './broadcast.js';
import type { MucContext } from './context.js';
import { History } from './history.js';
import { Occupant } from './occupant.js';
import { broadcastPresence } from './presence.js';
import { AFFILIATION_RANK, defaultRole } from './privileges.js';

/** What a room tells the registry that holds it. */
export interface RoomOwner {
  /** The last occupant left (or was removed). */
  emptied(room: Room): void;
  /** The room is gone (destroyed by its owner, or never configured). */
  destroyed(room: Room): void;
  /** The room was saved (its public listing may have changed). */
  saved(room: Room): void;
}

/** Who did a change, and why (XEP-0045 §9: `<actor nick/>`, `<reason/>`). */
export interface ChangeBy {
  readonly reason?: string;
  /** The actor's nickname in the room (or its bare JID when absent). */
  readonly actor?: string;
}

/** Live stanzas held for one joining session while its history is read (beyond: dropped from the hold, the archive has them). */
const MAX_HELD = 1000;

const ROLE_RANK: Record<Role, number> = { none: 0, visitor: 1, participant: 2, moderator: 3 };

export class Room implements MucRoom {
  readonly localpart: string;
  config: RoomConfig;
  subject: RoomSubject | undefined;
  locked = false;
  created: number;
  avatar: StoredRoom['avatar'];
  destroyed = false;
  lockTimer: Timer | undefined;
  /** Whether the store holds this room (loaded from it, or saved while persistent). */
  #stored: boolean;
  readonly history: History;
  readonly #affiliations = new Map<string, AffiliationEntry>();
  /** nick → occupant */
  readonly #occupants = new Map<string, Occupant>();
  /** Sessions whose join history is being read, with the live stanzas held for them meanwhile. */
  readonly #joining = new Map<string, Element[]>();
  /** real full JID → occupant */
  readonly #sessions = new Map<string, Occupant>();

  constructor(readonly ctx: MucContext, readonly owner: RoomOwner, readonly jid: string, config: RoomConfig, stored?: StoredRoom) {
    this.localpart = jid.slice(0, jid.indexOf('@'));
    this.config = config;
    this.history = new History(jid, ctx.options.muc_max_history_chars);
    this.created = stored?.created ?? Date.now();
    this.#stored = stored !== undefined;
    this.subject = stored?.subject;
    this.avatar = stored?.avatar;
    for (const [bare, entry] of Object.entries(stored?.affiliations ?? {})) this.#affiliations.set(bare, entry);
  }

  // ---- the MucRoom view ----

  affiliation(bareJid: string): Affiliation {
    if (this.ctx.isAdmin(bareJid)) return 'owner';
    const own = this.#affiliations.get(bareJid)?.affiliation;
    if (own !== undefined) return own;
    // XEP-0045 §9.2: a banned domain bans its users (user@domain is matched first)
    const at = bareJid.indexOf('@');
    return at !== -1 && this.#affiliations.get(bareJid.slice(at + 1))?.affiliation === 'outcast' ? 'outcast' : 'none';
  }

  affiliations(): ReadonlyMap<string, AffiliationEntry> {
    return this.#affiliations;
  }

  occupant(nick: string): Occupant | undefined {
    return this.#occupants.get(nick);
  }

  occupantOf(fullJid: string): Occupant | undefined {
    return this.#sessions.get(fullJid);
  }

  occupants(): IterableIterator<Occupant> {
    return this.#occupants.values();
  }

  get occupantCount(): number {
    return this.#occupants.size;
  }

  mayRead(bareJid: string): boolean {
    const a = this.affiliation(bareJid);
    if (a === 'outcast') return false;
    return !this.config.membersOnly || a !== 'none';
  }

  broadcast(stanza: Element, filter?: (occupant: MucOccupant) => boolean): void {
    const to: string[] = [];
    for (const occ of this.#occupants.values()) if (!filter || filter(occ)) to.push(...occ.sessions.keys());
    if (this.#joining.size > 0) {
      // §7.2.15-16: a session still waiting for its history gets live traffic after it
      for (let i = to.length - 1; i >= 0; i--) {
        const held = this.#joining.get(to[i]!);
        if (held === undefined) continue;
        if (held.length < MAX_HELD) held.push(stanza);
        to.splice(i, 1);
      }
    }
    fanout(this.ctx.module.server, stanza, to);
  }

  /** A joining session's history comes later (from the archive): hold its live traffic till then. */
  holdFor(session: string): void {
    if (!this.#joining.has(session)) this.#joining.set(session, []);
  }

  /** The session's history and subject were sent: what was held for it, in order. */
  release(session: string): readonly Element[] {
    const held = this.#joining.get(session) ?? [];
    this.#joining.delete(session);
    return this.#sessions.has(session) ? held : [];
  }

  save(): void {
    if (this.destroyed) return;
    // A temporary room is written only to delete what it stored while it was persistent;
    // a locked (never configured) room is not stored before its owner unlocks it (§10.1)
    const keep = this.config.persistent && !this.locked;
    if (keep) this.ctx.store.set(this.localpart, this.toStored());
    else if (this.#stored) this.ctx.store.set(this.localpart, undefined);
    this.#stored = keep;
    this.owner.saved(this);
  }

  toStored(): StoredRoom {
    return {
      version: 1, config: this.config, affiliations: Object.fromEntries(this.#affiliations), subject: this.subject,
      created: this.created, avatar: this.avatar,
    };
  }

  // ---- helpers for the protocol code ----

  /** XEP-0045 §5.1.2: the role an affiliation gets on entering this room (privileges.ts). */
  defaultRole(affiliation: Affiliation): Role {
    return defaultRole(affiliation, this.config);
  }

  /** The bare JID that reserved a nickname by registration (XEP-0045 §7.10), if any. */
  reservedBy(nick: string): string | undefined {
    for (const [bare, entry] of this.#affiliations) if (entry.nick === nick) return bare;
    return undefined;
  }

  /** Whether an occupant may change the subject (§8.1, muc#roomconfig_changesubject). */
  mayChangeSubject(occ: Occupant): boolean {
    return occ.role === 'moderator' || (this.config.changeSubject && ROLE_RANK[occ.role] >= ROLE_RANK.participant);
  }

  /** Add a session: a new occupant under `nick`, or another session of the one there. */
  addSession(nick: string, session: string, bareJid: string, role: Role, presence: Element): Occupant {
    let occ = this.#occupants.get(nick);
    if (occ) {
      occ.update(session, presence);
    } else {
      occ = new Occupant(this.jid, nick, bareJid, this.ctx.occupantId(this.jid, bareJid), role, this.affiliation(bareJid), session, presence);
      this.#occupants.set(nick, occ);
    }
    this.#sessions.set(session, occ);
    return occ;
  }

  /** Forget one session; the occupant goes when it was its last. Returns whether it went. */
  dropSession(occ: Occupant, session: string): boolean {
    occ.drop(session);
    this.#sessions.delete(session);
    if (occ.sessions.size > 0) return false;
    this.#occupants.delete(occ.nick);
    return true;
  }

  /**
   * A session whose server bounced the room's traffic is gone (Prosody's behaviour): the
   * occupant leaves with status 333 when it was its last session; another session stays.
   */
  dropBouncing(session: string): void {
    const occ = this.#sessions.get(session);
    if (!occ) return;
    if (occ.sessions.size > 1) this.dropSession(occ, session);
    else this.removeOccupant(occ.nick, [333]);
  }

  rename(occ: Occupant, nick: string): void {
    this.#occupants.delete(occ.nick);
    occ.rename(this.jid, nick);
    this.#occupants.set(nick, occ);
  }

  /** A message from the room itself (status codes) to every occupant. */
  notify(codes: readonly number[], filter?: (o: Occupant) => boolean): void {
    if (codes.length === 0) return;
    this.broadcast(xml('message', { type: 'groupchat', from: this.jid, id: crypto.randomUUID() },
      xml('x', { xmlns: NS_MUC_USER }, ...codes.map((code) => xml('status', { code: String(code) })))),
    filter as ((o: MucOccupant) => boolean) | undefined);
  }

  // ---- state changes (XEP-0045 §8, §9, §10) ----

  /**
   * Set a bare JID's affiliation ('none' removes it), persist, and update its present occupants:
   * an outcast is removed (301), a non-member of a members-only room too (321, §9.4), others
   * get the default role of their new affiliation (§9.3-§9.8).
   */
  setAffiliation(bareJid: string, affiliation: Affiliation, by: ChangeBy & { readonly nick?: string } = {}): void {
    const before = this.#affiliations.get(bareJid);
    if (affiliation === 'none') this.#affiliations.delete(bareJid);
    // XEP-0045 §9.5: nick '' unsets the reserved nickname
    else this.#affiliations.set(bareJid, { affiliation, reason: by.reason, nick: by.nick === undefined ? before?.nick : by.nick || undefined });
    this.save();
    // §9.2: banning a domain removes its users
    const affected = (o: Occupant): boolean => o.bareJid === bareJid
      || (affiliation === 'outcast' && o.bareJid.endsWith(`@${bareJid}`) && this.affiliation(o.bareJid) === 'outcast');
    for (const occ of [...this.#occupants.values()].filter(affected)) {
      const fell = AFFILIATION_RANK[this.affiliation(occ.bareJid)] < AFFILIATION_RANK[occ.affiliation];
      occ.affiliation = this.affiliation(occ.bareJid);
      if (occ.affiliation === 'outcast') this.removeOccupant(occ.nick, [301], by);
      else if (this.config.membersOnly && occ.affiliation === 'none') this.removeOccupant(occ.nick, [321], by);
      else {
        // §5.1.3 (note): a risen affiliation never lowers a role (a moderator made a member stays one), a fallen one resets it (as Prosody)
        const role = this.defaultRole(occ.affiliation);
        if (fell || ROLE_RANK[occ.role] < ROLE_RANK[role]) occ.role = role;
        broadcastPresence(this, occ, { reason: by.reason, actor: by.actor });
      }
    }
  }

  /** Set a present occupant's role; 'none' kicks (307, §8.2). Returns false when nobody has that nick. */
  setRole(nick: string, role: Role, by: ChangeBy = {}): boolean {
    const occ = this.#occupants.get(nick);
    if (!occ) return false;
    if (role === 'none') return this.removeOccupant(nick, [307], by);
    occ.role = role;
    broadcastPresence(this, occ, { reason: by.reason, actor: by.actor });
    return true;
  }

  /**
   * Remove an occupant (all its sessions) with these status codes (307 kicked, 301 banned,
   * 321 affiliation change, 322 members-only, 332 shutdown, 333 error): an unavailable presence
   * with role none to everyone, 110 to itself.
   */
  removeOccupant(nick: string, statusCodes: readonly number[], by: ChangeBy = {}, extra: { destroy?: Element; noSelf110?: boolean } = {}): boolean {
    const occ = this.#occupants.get(nick);
    if (!occ) return false;
    broadcastPresence(this, occ, {
      unavailable: true, base: xml('presence'), codes: statusCodes, reason: by.reason, actor: by.actor,
      destroy: extra.destroy, noSelf110: extra.noSelf110,
    });
    for (const session of [...occ.sessions.keys()]) this.#sessions.delete(session);
    this.#occupants.delete(nick);
    occ.role = 'none';
    this.ctx.module.fire('muc-occupant-left', { room: this, occupant: occ });
    if (this.#occupants.size === 0) this.owner.emptied(this);
    return true;
  }

  /** XEP-0045 §8.1: set the subject (persisted) and tell everyone. */
  setSubject(text: string, nick: string | undefined, message?: Element): void {
    this.subject = { text, nick, when: Date.now() };
    this.save();
    const from = nick === undefined ? this.jid : `${this.jid}/${nick}`;
    this.broadcast(message ?? xml('message', { type: 'groupchat', from, id: crypto.randomUUID() }, xml('subject', {}, text)));
  }

  /** The subject message a joining session gets (§7.2.16: an empty subject when there is none). */
  subjectMessage(to: string): Element {
    const s = this.subject;
    const from = s?.nick ? `${this.jid}/${s.nick}` : this.jid;
    return xml('message', { type: 'groupchat', from, to, id: crypto.randomUUID() }, xml('subject', {}, s?.text ?? ''));
  }

  /**
   * XEP-0045 §10.9: destroy the room: every occupant gets an unavailable presence with
   * `<destroy/>` (alternate venue, reason), the stored room is deleted, muc-room-destroyed fires.
   */
  destroy(o: { readonly reason?: string; readonly alternate?: string; readonly password?: string } = {}): void {
    if (this.destroyed) return;
    const destroy = xml('destroy', { jid: o.alternate }, o.reason !== undefined ? xml('reason', {}, o.reason) : undefined,
      o.password !== undefined ? xml('password', {}, o.password) : undefined);
    for (const occ of [...this.#occupants.values()]) {
      // Each occupant hears only of its own removal, with the <destroy/> (§10.9, example 205).
      broadcastPresence(this, occ, { unavailable: true, base: xml('presence'), destroy, noSelf110: true, selfOnly: true, role: 'none' });
      occ.role = 'none';
      this.ctx.module.fire('muc-occupant-left', { room: this, occupant: occ });
    }
    this.#occupants.clear();
    this.#sessions.clear();
    this.lockTimer?.cancel();
    this.destroyed = true;
    if (this.#stored) this.ctx.store.set(this.localpart, undefined);
    this.owner.destroyed(this);
  }
}
