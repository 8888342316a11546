/**
 * @module muc/join
 * Presence to an occupant JID (XEP-0045 §7.2, §7.6, §7.14): entering a room (created on first
 * join, §10.1), presence updates, nickname changes and leaving, with the XEP's errors.
 */
import { errorReply, xml, type Element, type Jid, type StanzaErrorType } from '../../core/api.js';
import { NS_MUC } from '../../core/muc-api.js';
import { fanout } from './broadcast.js';
import type { MucContext } from './context.js';
import { parseHistoryRequest } from './history.js';
import type { Occupant } from './occupant.js';
import { broadcastPresence, sendOccupantsTo } from './presence.js';
import type { Room } from './room.js';
import type { RoomRegistry } from './rooms.js';

type Refusal = readonly [StanzaErrorType, string, string?];

/** Who may create rooms (restrict_room_creation, as Prosody: 'local' = users of the parent host). */
export function mayCreate(ctx: MucContext, from: Jid): boolean {
  if (ctx.isAdmin(from.bare)) return true;
  const who = ctx.options.restrict_room_creation;
  if (who === false) return true;
  if (who === 'local') return from.local !== undefined && from.domain === ctx.host.slice(ctx.host.indexOf('.') + 1);
  return false;
}

/** A presence from a real full JID to room/nick. */
export function handleOccupantPresence(ctx: MucContext, rooms: RoomRegistry, stanza: Element, from: Jid, to: Jid): void {
  const refuse = ([type, condition, text]: Refusal): void => {
    ctx.send(errorReply(stanza, type, condition, text));
  };
  const type = stanza.attrs.type as string | undefined;
  let room = rooms.get(to.bare);
  const occ = room?.occupantOf(from.full);
  if (type === 'unavailable') {
    if (room && occ) leave(room, occ, from.full, stanza);
    return;
  }
  if (type === 'error') {
    // A presence bounced by an occupant's server: it is gone (status 333, XEP-0045 §9.3 table)
    if (room && occ) room.dropBouncing(from.full);
    return;
  }
  if (type !== undefined) return; // probes and subscriptions mean nothing to a room
  const nick = to.resource!;
  // XEP-0045 §7.2.1 (nickname rules): bounded length
  if ([...nick].length > ctx.options.muc_max_nick_length) return refuse(['modify', 'not-acceptable', 'Nickname too long']);
  // XEP-0045 §7.2.1: entering (and creating) takes <x xmlns=muc/>; a presence update from
  // someone the room does not count is a client out of step (Prosody refuses it the same way)
  if (!occ && !stanza.getChild('x', NS_MUC)) return refuse(['cancel', 'item-not-found', room ? 'You must join the room before sending presence updates' : undefined]);
  let created = false;
  if (!room) {
    // §10.1.1: the first join creates the room
    if (!mayCreate(ctx, from)) return refuse(['cancel', 'not-allowed', 'Room creation is restricted']);
    if (rooms.size >= ctx.options.muc_max_rooms) return refuse(['wait', 'resource-constraint', 'Too many rooms']);
    room = rooms.create(to.bare, stanza.attrs['xml:lang'] as string | undefined);
    room.locked = ctx.options.muc_room_locking;
    room.setAffiliation(from.bare, 'owner');
    if (room.locked) {
      const r = room;
      // Prosody: a room still locked after muc_room_lock_timeout is destroyed
      room.lockTimer = ctx.module.setTimer(ctx.options.muc_room_lock_timeout * 1000, () => { if (r.locked) r.destroy(); });
    }
    created = true;
    ctx.module.fire('muc-room-created', { room });
  }
  if (occ && occ.nick === nick && stanza.getChild('x', NS_MUC)) {
    // A join from a session the room counts as joined (a client that lost track, as after a
    // reconnection): it gets the whole join sequence again, as Prosody does
    enter(ctx, rooms, room, from, nick, stanza, []);
    return;
  }
  if (occ && occ.nick === nick) {
    // XEP-0045 §7.7: a presence update, broadcast as is
    occ.update(from.full, stanza);
    broadcastPresence(room, occ);
    return;
  }
  const raw = (stanza.attrs.to as string).slice((stanza.attrs.to as string).indexOf('/') + 1);
  const modified = raw !== nick ? [210] : [];
  if (occ) {
    const refusal = changeNick(room, occ, nick, stanza, from, modified);
    if (refusal) refuse(refusal);
    return;
  }
  const refusal = mayEnter(ctx, room, from, nick, stanza);
  if (refusal) {
    if (created) room.destroy();
    return refuse(refusal);
  }
  enter(ctx, rooms, room, from, nick, stanza, [...modified, ...(created ? [201] : [])]);
}

/** XEP-0045 §7.2.4-§7.2.10: the errors of entering a room, or undefined to let in. */
function mayEnter(ctx: MucContext, room: Room, from: Jid, nick: string, stanza: Element): Refusal | undefined {
  const affiliation = room.affiliation(from.bare);
  const holder = room.occupant(nick);
  // §7.2.9: nickname conflict (the same user may join again under its nick from another session)
  if (holder && holder.bareJid !== from.bare) return ['cancel', 'conflict'];
  // §7.10, §7.2.9: a nickname reserved by registration is its owner's
  const reserved = room.reservedBy(nick);
  if (reserved !== undefined && reserved !== from.bare) return ['cancel', 'conflict'];
  if (holder) {
    if (holder.sessions.size >= ctx.options.muc_max_sessions_per_nick) return ['wait', 'resource-constraint', 'Too many sessions under this nickname'];
    return undefined;
  }
  // §10.1.1: a locked room is not there for anyone but its owner
  if (room.locked && affiliation !== 'owner') return ['cancel', 'item-not-found'];
  // §7.2.7: banned
  if (affiliation === 'outcast') return ['auth', 'forbidden'];
  // §7.2.6: members-only
  if (room.config.membersOnly && affiliation === 'none') return ['auth', 'registration-required'];
  // §7.2.5: password
  if (room.config.password !== '' && affiliation !== 'owner') {
    const given = stanza.getChild('x', NS_MUC)?.getChildText('password');
    if (given !== room.config.password) return ['auth', 'not-authorized'];
  }
  // §7.2.10: the room is full (owners and admins still get in)
  const max = Math.min(room.config.maxUsers || Infinity, ctx.options.muc_max_occupants);
  if (room.occupantCount >= max && affiliation !== 'owner' && affiliation !== 'admin') return ['wait', 'service-unavailable'];
  return undefined;
}

/**
 * XEP-0045 §7.2.3: enter: the others' presence, the newcomer's presence to everyone (its own
 * last, with its status codes), then the history (§7.2.15) and the subject (§7.2.16).
 */
function enter(ctx: MucContext, rooms: RoomRegistry, room: Room, from: Jid, nick: string, stanza: Element, codes: number[]): void {
  const already = room.occupant(nick);
  const occ = room.addSession(nick, from.full, from.bare, already?.role ?? room.defaultRole(room.affiliation(from.bare)), stanza);
  rooms.occupied(room);
  sendOccupantsTo(room, occ, from.full);
  const selfCodes = [
    ...(room.config.whois === 'anyone' ? [100] : []), // §7.2.3: non-anonymous room
    ...(room.config.logging ? [170] : []), // §7.2.12: the room is logged
    ...codes,
  ];
  broadcastPresence(room, occ, { selfCodes: (s) => (s === from.full ? selfCodes : []) });
  sendHistory(ctx, room, from.full, stanza, () => fanout(ctx.module.server, room.subjectMessage(from.full), [from.full]));
  if (!already) ctx.module.fire('muc-occupant-joined', { room, occupant: occ });
}

/**
 * §7.2.15: history, from a `muc-get-history` handler (the archive) or the room's memory, then
 * `then` (the subject, §7.2.16). An archive answers later (`MucHistoryResult` may be a promise).
 */
function sendHistory(ctx: MucContext, room: Room, to: string, stanza: Element, then: () => void): void {
  const request = parseHistoryRequest(stanza);
  const given = ctx.module.fire('muc-get-history', { room, to, request });
  const send = (messages: readonly Element[]): void => {
    for (const m of messages) fanout(ctx.module.server, m, [to]);
    then();
  };
  if (given instanceof Promise) {
    // Live messages broadcast while the archive is read come after the history and subject
    room.holdFor(to);
    const sendHeld = (messages: readonly Element[]): void => {
      send(messages);
      for (const m of room.release(to)) fanout(ctx.module.server, m, [to]);
    };
    void (given as Promise<readonly Element[]>).then(sendHeld, () => sendHeld([]));
  } else send(Array.isArray(given) ? given as Element[] : room.history.select(request, to));
}

/** XEP-0045 §7.6: a nickname change: unavailable with 303 and the new nick, then available. */
function changeNick(room: Room, occ: Occupant, nick: string, stanza: Element, from: Jid, modified: number[]): Refusal | undefined {
  const holder = room.occupant(nick);
  if (holder && holder.bareJid !== from.bare) return ['cancel', 'conflict']; // §7.6.3
  const reserved = room.reservedBy(nick);
  if (reserved !== undefined && reserved !== from.bare) return ['cancel', 'conflict'];
  if (!holder && occ.sessions.size === 1) {
    broadcastPresence(room, occ, { unavailable: true, codes: [303], newNick: nick, role: occ.role });
    room.rename(occ, nick);
    occ.update(from.full, stanza);
    broadcastPresence(room, occ, { selfCodes: () => modified });
    return undefined;
  }
  moveSession(room, occ, holder, nick, stanza, from, modified);
  return undefined;
}

/**
 * One session of a multi-session nick changes nick alone, or joins its user's other nick (as
 * Prosody): it sees itself leave with 303; the old nick stays with its other sessions (or
 * leaves when this was its last); the session appears under the new nick.
 */
function moveSession(room: Room, occ: Occupant, holder: Occupant | undefined, nick: string, stanza: Element, from: Jid, modified: number[]): void {
  const role = occ.role;
  broadcastPresence(room, occ, { unavailable: true, codes: [303], newNick: nick, role, selfSessions: [from.full], selfOnly: true });
  if (room.dropSession(occ, from.full)) {
    broadcastPresence(room, occ, { unavailable: true, base: xml('presence') });
    occ.role = 'none';
    room.ctx.module.fire('muc-occupant-left', { room, occupant: occ });
  } else {
    broadcastPresence(room, occ);
  }
  const target = room.addSession(nick, from.full, from.bare, holder?.role ?? role, stanza);
  broadcastPresence(room, target, { selfCodes: (s) => (s === from.full ? modified : []) });
  if (!holder) room.ctx.module.fire('muc-occupant-joined', { room, occupant: target });
}

/** XEP-0045 §7.14: leaving (one session of a multi-session nick only updates the others). */
/**
 * A session of a cluster node that died (`session-lost`): it leaves every room it was in here
 * as with an unavailable presence (XEP-0045 §7.14), the reason as its status; its own node
 * can no longer send that presence.
 */
export function handleSessionLost(rooms: RoomRegistry, session: string, reason: string): void {
  for (const room of [...rooms.live()]) {
    const occ = room.occupantOf(session);
    if (occ) leave(room, occ, session, xml('presence', { type: 'unavailable' }, xml('status', {}, reason)));
  }
}

function leave(room: Room, occ: Occupant, session: string, stanza: Element): void {
  if (occ.sessions.size > 1) {
    broadcastPresence(room, occ, { unavailable: true, base: stanza, selfSessions: [session], selfOnly: true });
    room.dropSession(occ, session);
    broadcastPresence(room, occ);
    return;
  }
  broadcastPresence(room, occ, { unavailable: true, base: stanza });
  room.dropSession(occ, session);
  occ.role = 'none';
  room.ctx.module.fire('muc-occupant-left', { room, occupant: occ });
  if (room.occupantCount === 0) room.owner.emptied(room);
}
