/**
 * @module muc/notify
 * Telling of an affiliation change whose user is not in the room (present occupants get the
 * presence the room sends): the user gets a message from the room with the new affiliation and
 * status 101 (XEP-0045 §15.6, "affiliation changed while not in the room") or, when added to the
 * member list of a members-only room, an invitation (§9.5); the occupants get the room's message
 * with the item (§10.3, §10.6; Prosody's behaviour), moderators only when real JIDs are theirs to see.
 */
import { xml, type Jid } from '../../core/api.js';
import { NS_MUC_USER, type Affiliation } from '../../core/muc-api.js';
import { AFFILIATION_RANK } from './privileges.js';
import type { Room } from './room.js';

export interface AffiliationNotice {
  readonly jid: string;
  readonly affiliation: Affiliation;
  readonly previous: Affiliation;
  readonly reason: string | undefined;
  /** Who changed it (undefined: the room itself, e.g. by registration). */
  readonly by: Jid | undefined;
}

/** The invitation a members-only room sends to a new member (§9.5), with the room's password. */
export function invitation(room: Room, to: string, from: string | undefined, reason: string | undefined, id: string = crypto.randomUUID()) {
  const invite = xml('invite', { from }, reason !== undefined && reason !== '' ? xml('reason', {}, reason) : undefined);
  const x = xml('x', { xmlns: NS_MUC_USER }, invite);
  // §7.8.2: the room SHOULD add the password if it has one
  if (room.config.password !== '') x.append(xml('password', {}, room.config.password));
  return xml('message', { from: room.jid, to, id }, x);
}

export function notifyAffiliationChange(room: Room, n: AffiliationNotice): void {
  const joinsMembersOnly = room.config.membersOnly
    && AFFILIATION_RANK[n.affiliation] >= AFFILIATION_RANK.member && AFFILIATION_RANK[n.previous] < AFFILIATION_RANK.member;
  if (joinsMembersOnly) {
    room.ctx.send(invitation(room, n.jid, n.by?.bare, n.reason));
  } else {
    const item = xml('item', { affiliation: n.affiliation, jid: n.jid }, n.reason ? xml('reason', {}, n.reason) : undefined);
    room.ctx.send(xml('message', { from: room.jid, to: n.jid, id: crypto.randomUUID() },
      xml('x', { xmlns: NS_MUC_USER }, item, xml('status', { code: '101' }))));
  }
  // §10.3: the occupants may hear of it too; the item names a real JID, so only those who see them
  const notice = xml('message', { from: room.jid, id: crypto.randomUUID() },
    xml('x', { xmlns: NS_MUC_USER }, xml('item', { affiliation: n.affiliation, jid: n.jid })));
  room.broadcast(notice, (o) => room.config.whois === 'anyone' || o.role === 'moderator');
}
