/**
 * @module muc/presence
 * Occupant presence as each observer sees it (XEP-0045 §7.2.3, §7.2.4, §9): the occupant's own
 * presence payload with an `<x xmlns=muc#user><item/></x>`, the real JID only to those the room's
 * whois allows (moderators, or everyone in a non-anonymous room), status 110 and the self codes
 * to the occupant's own sessions, and the occupant-id (XEP-0421).
 */
import { xml, type Element } from '../../core/api.js';
import { NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID, type Role } from '../../core/muc-api.js';
import { fanout } from './broadcast.js';
import type { Occupant } from './occupant.js';
import type { Room } from './room.js';

/** What one presence broadcast says beyond the occupant's state. */
export interface PresenceOptions {
  /** An unavailable presence (leaving, removed, nick change). */
  readonly unavailable?: boolean;
  /** The presence whose payload (show, status, caps...) is carried; default the occupant's. */
  readonly base?: Element;
  /** Status codes for everyone. */
  readonly codes?: readonly number[];
  /** Extra status codes for one of the occupant's own sessions (after 110). */
  readonly selfCodes?: (session: string) => readonly number[];
  /** No status 110 to the occupant's sessions (room destruction, §10.9). */
  readonly noSelf110?: boolean;
  /** Only these of the occupant's own sessions hear it (one session leaving). */
  readonly selfSessions?: readonly string[];
  /** Nobody but the occupant's own sessions hears it. */
  readonly selfOnly?: boolean;
  /** The item's role instead of the occupant's ('none' when it leaves). */
  readonly role?: Role;
  /** item nick (status 303: the new nickname). */
  readonly newNick?: string;
  readonly reason?: string;
  /** The nickname of the moderator or admin who did it. */
  readonly actor?: string;
  /** `<destroy/>` (§10.9). */
  readonly destroy?: Element;
}

/** The payload children of a client's presence, without MUC elements and any occupant-id it sent. */
function payload(base: Element): Element[] {
  return base.getChildElements().filter((c) => {
    const ns = c.attrs.xmlns as string | undefined;
    return !(c.name === 'x' && (ns === NS_MUC || ns === NS_MUC_USER)) && ns !== NS_OCCUPANT_ID;
  });
}

/** One variant of an occupant's presence: the real JID `jid` shown or not, with these codes. */
export function occupantPresence(room: Room, occ: Occupant, jid: string | undefined, codes: readonly number[], o: PresenceOptions = {}): Element {
  const item = xml('item', { affiliation: occ.affiliation, role: o.role ?? (o.unavailable ? 'none' : occ.role), jid, nick: o.newNick });
  if (o.actor !== undefined) item.append(xml('actor', { nick: o.actor }));
  if (o.reason !== undefined) item.append(xml('reason', {}, o.reason));
  const x = xml('x', { xmlns: NS_MUC_USER }, item);
  if (o.destroy) x.append(o.destroy);
  for (const code of codes) x.append(xml('status', { code: String(code) }));
  const base = o.base ?? occ.presence;
  return xml('presence', { from: occ.jid, type: o.unavailable ? 'unavailable' : undefined },
    ...payload(base), x, xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: occ.occupantId }));
}

/** Whether an observer sees occupants' real JIDs (§7.2.3, §7.2.4: whois). */
export function seesRealJids(room: Room, observer: Occupant): boolean {
  return room.config.whois === 'anyone' || observer.role === 'moderator';
}

/** Broadcast an occupant's presence to the room: its own sessions, and the others by visibility. */
export function broadcastPresence(room: Room, occ: Occupant, o: PresenceOptions = {}): void {
  const base = o.codes ?? [];
  for (const session of o.selfSessions ?? [...occ.sessions.keys()]) {
    const codes = [...(o.noSelf110 ? [] : [110]), ...base, ...(o.selfCodes?.(session) ?? [])];
    fanout(room.ctx.module.server, occupantPresence(room, occ, session, codes, o), [session]);
  }
  if (o.selfOnly || !room.config.presenceBroadcast.includes(occ.role)) return;
  const seeing: string[] = [];
  const blind: string[] = [];
  for (const other of room.occupants()) {
    if (other === occ) continue;
    (seesRealJids(room, other) ? seeing : blind).push(...other.sessions.keys());
  }
  if (seeing.length) fanout(room.ctx.module.server, occupantPresence(room, occ, occ.primary, base, o), seeing);
  if (blind.length) fanout(room.ctx.module.server, occupantPresence(room, occ, undefined, base, o), blind);
}

/** The present occupants' presence to a joining session (§7.2.3), before its own. */
export function sendOccupantsTo(room: Room, joiner: Occupant, session: string): void {
  const sees = seesRealJids(room, joiner);
  for (const other of room.occupants()) {
    if (other === joiner || !room.config.presenceBroadcast.includes(other.role)) continue;
    fanout(room.ctx.module.server, occupantPresence(room, other, sees ? other.primary : undefined, []), [session]);
  }
}
