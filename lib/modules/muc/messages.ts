/**
 * @module muc/messages
 * Messages in a room: groupchat to everyone (XEP-0045 §7.4), subject changes (§8.1), and
 * private messages between occupants (§7.5), each from the sender's occupant JID with its
 * occupant-id (XEP-0421; one a client sent is replaced).
 */
import { errorReply, xml, type Element, type Jid, type StanzaErrorType } from '../../core/api.js';
import { NS_MUC_USER, NS_OCCUPANT_ID, type Role } from '../../core/muc-api.js';
import { fanout } from './broadcast.js';
import type { MucContext } from './context.js';
import type { Occupant } from './occupant.js';
import type { Room } from './room.js';
import type { RoomRegistry } from './rooms.js';

const RANK: Record<Role, number> = { none: 0, visitor: 1, participant: 2, moderator: 3 };

/** Errors that say the recipient is not there (RFC 6120 §8.3.3): its session left the room. */
const GONE = new Set(['gone', 'item-not-found', 'recipient-unavailable', 'redirect', 'remote-server-not-found',
  'remote-server-timeout', 'service-unavailable', 'internal-server-error', 'jid-malformed']);

/** Whether a bounce from `from` means that occupant session is gone; then it leaves (status 333). */
function droppedBouncer(room: Room, stanza: Element, from: Jid): boolean {
  const condition = stanza.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;
  if (condition === undefined || !GONE.has(condition) || !room.occupantOf(from.full)) return false;
  room.dropBouncing(from.full);
  return true;
}

/** `stanza` as sent on by the room: from the occupant JID, no `to`, its occupant-id (and none other). */
function asOccupant(stanza: Element, occ: Occupant, extra: Element[] = []): Element {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(stanza.attrs)) if (typeof v === 'string' && k !== 'to' && k !== 'from') attrs[k] = v;
  attrs.from = occ.jid;
  const children = stanza.getChildElements().filter((c) => c.attrs.xmlns !== NS_OCCUPANT_ID
    && !(extra.length > 0 && c.name === 'x' && c.attrs.xmlns === NS_MUC_USER));
  return xml('message', attrs, ...children, ...extra, xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: occ.occupantId }));
}

/** A message to the room's bare JID. */
export function handleRoomMessage(ctx: MucContext, rooms: RoomRegistry, stanza: Element, from: Jid, to: Jid): void {
  const type = stanza.attrs.type as string | undefined;
  const refuse = (t: StanzaErrorType, condition: string, text?: string): void => {
    if (type !== 'error') ctx.send(errorReply(stanza, t, condition, text));
  };
  const room = rooms.get(to.bare);
  if (!room) return refuse('cancel', 'item-not-found');
  if (type === 'error') {
    // A bounce of the room's own messages (subject, status codes) from an occupant's server
    droppedBouncer(room, stanza, from);
    return;
  }
  // Invitations and voice requests (type normal) are handled before this by their modules
  if (type !== 'groupchat') return refuse('modify', 'bad-request', 'Only groupchat messages go to the room');
  const occ = room.occupantOf(from.full);
  // XEP-0045 §7.4: only occupants speak
  if (!occ) return refuse('modify', 'not-acceptable', 'You are not in this room');
  // §7.4, §8.5: visitors of a moderated room have no voice
  if (occ.role === 'visitor' || occ.role === 'none') return refuse('auth', 'forbidden', 'You have no voice in this room');
  const subject = stanza.getChild('subject');
  if (subject && !stanza.getChild('body')) {
    // §8.1: a subject change (moderators, or participants when muc#roomconfig_changesubject)
    if (!room.mayChangeSubject(occ)) return refuse('auth', 'forbidden', 'You may not change the subject');
    room.setSubject(subject.getText(), occ.nick, asOccupant(stanza, occ));
    return;
  }
  const message = asOccupant(stanza, occ);
  ctx.module.fire('muc-broadcast-message', { room, occupant: occ, stanza: message });
  // §7.2.15: messages with a body are history
  if (stanza.getChild('body')) room.history.push(message, Date.now(), room.config.historyLength);
  room.broadcast(message);
}

/** A message to an occupant JID: a private message (XEP-0045 §7.5). */
export function handleOccupantMessage(ctx: MucContext, rooms: RoomRegistry, stanza: Element, from: Jid, to: Jid): void {
  const type = stanza.attrs.type as string | undefined;
  const refuse = (t: StanzaErrorType, condition: string, text?: string): void => {
    if (type !== 'error') ctx.send(errorReply(stanza, t, condition, text));
  };
  const room = rooms.get(to.bare);
  if (!room) return refuse('cancel', 'item-not-found');
  // A bounce of a broadcast from a gone occupant's server: it leaves the room
  if (type === 'error' && droppedBouncer(room, stanza, from)) return;
  const sender = room.occupantOf(from.full);
  if (!sender) return refuse('modify', 'not-acceptable', 'You are not in this room');
  const target = room.occupant(to.resource!);
  if (!target) return refuse('cancel', 'item-not-found');
  if (type === 'error') {
    // An error about a private message goes back to its sender, from the occupant JID
    fanout(ctx.module.server, asOccupant(stanza, sender), [...target.sessions.keys()]);
    return;
  }
  // §7.5: a private message is not groupchat
  if (type === 'groupchat') return refuse('modify', 'bad-request');
  // muc#roomconfig_allowpm: who may send private messages
  const policy = room.config.allowPrivateMessages;
  const allowed = policy === 'anyone' || (policy === 'participants' && RANK[sender.role] >= RANK.participant)
    || (policy === 'moderators' && sender.role === 'moderator');
  if (!allowed) return refuse('cancel', 'policy-violation', 'Private messages are not allowed in this room');
  fanout(ctx.module.server, asOccupant(stanza, sender, [xml('x', { xmlns: NS_MUC_USER })]), [...target.sessions.keys()]);
}
