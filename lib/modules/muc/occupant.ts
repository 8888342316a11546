/**
 * @module muc/occupant
 * A present occupant (XEP-0045 §5): a nickname in a room held by one real bare JID, joined
 * from one or more of its sessions (Prosody allows several under one nick), each with its
 * last presence.
 */
import type { Element } from '../../core/api.js';
import type { Affiliation, MucOccupant, Role } from '../../core/muc-api.js';

export class Occupant implements MucOccupant {
  jid: string;
  nick: string;
  role: Role;
  affiliation: Affiliation;
  /** Real full JID → its last presence to the room. */
  readonly sessions = new Map<string, Element>();
  /** The session whose presence others see (the one that spoke last). */
  primary: string;

  constructor(roomJid: string, nick: string, readonly bareJid: string, readonly occupantId: string,
    role: Role, affiliation: Affiliation, session: string, presence: Element) {
    this.nick = nick;
    this.jid = `${roomJid}/${nick}`;
    this.role = role;
    this.affiliation = affiliation;
    this.primary = session;
    this.sessions.set(session, presence);
  }

  /** The presence others see (the primary session's). */
  get presence(): Element {
    return this.sessions.get(this.primary)!;
  }

  /** Record a session's presence; it becomes the primary one. */
  update(session: string, presence: Element): void {
    this.sessions.set(session, presence);
    this.primary = session;
  }

  /** Forget a session; the primary moves to another one. */
  drop(session: string): void {
    this.sessions.delete(session);
    if (this.primary === session) {
      const next = this.sessions.keys().next();
      if (!next.done) this.primary = next.value;
    }
  }

  rename(roomJid: string, nick: string): void {
    this.nick = nick;
    this.jid = `${roomJid}/${nick}`;
  }
}
