/**
 * @module muc/invites
 * Mediated invitations and declines (XEP-0045 §7.8.2): a `<x xmlns=muc#user><invite to/></x>`
 * sent to the room is sent on by the room to the invitee, from the room, naming the inviter and
 * carrying the room's password; in a members-only room the invitee becomes a member (§9.5, as
 * Prosody). A `<decline to/>` goes back to the inviter the same way. Direct invitations
 * (XEP-0249) are messages between users: the room never sees them.
 */
import { errorReply, parseJid, xml, NS_STANZAS, type Element, type Jid } from '../../core/api.js';
import { NS_MUC_USER } from '../../core/muc-api.js';
import { invitation } from './notify.js';
import { affiliationLimitRefusal, defaultRole, inviteRefusal, type Refusal } from './privileges.js';
import type { Room } from './room.js';

function refuse(stanza: Element, r: Refusal): Element {
  return errorReply(stanza, r.type, r.condition, r.text);
}

/**
 * A message to the room with a muc#user payload: its invitations (up to `maxInvites`) or its
 * declines are sent on; returns the error reply to send back, if refused (nothing sent then).
 */
export function handleInvitesAndDeclines(room: Room, stanza: Element, from: Jid, x: Element,
  limits: { maxInvites: number; maxAffiliations: number }, sent: SentInvitations): Element | undefined {
  const { maxInvites } = limits;
  const invites = x.getChildren('invite');
  const declines = x.getChildren('decline');
  if (invites.length + declines.length === 0) return errorReply(stanza, 'modify', 'bad-request', 'Expected <invite/> or <decline/>');
  if (invites.length + declines.length > maxInvites) return errorReply(stanza, 'modify', 'not-acceptable', `At most ${maxInvites} invitations in one message`);
  const targets: Jid[] = [];
  for (const el of [...invites, ...declines]) {
    const to = parseJid(el.attrs.to as string | undefined);
    if (!to) return errorReply(stanza, 'modify', 'jid-malformed', 'Invalid JID in to');
    targets.push(to);
  }
  if (invites.length > 0) {
    const affiliation = room.affiliation(from.bare);
    const occ = room.occupantOf(from.full);
    // §7.8.2: "invite another user to a room in which one is an occupant" (or is affiliated with): the
    // room relays no stranger's messages
    const role = occ?.role ?? (affiliation === 'none' ? 'none' : defaultRole(affiliation, room.config));
    const refusal = inviteRefusal({ affiliation, role }, room.config);
    if (refusal) return refuse(stanza, refusal);
    let members = 0;
    for (const to of targets.slice(0, invites.length)) {
      // §9.1: an outcast is not invited back in by a member's invitation
      if (room.config.membersOnly && room.affiliation(to.bare) === 'outcast') return errorReply(stanza, 'cancel', 'not-allowed', `${to.bare} is banned from this room`);
      if (room.config.membersOnly && !room.affiliations().has(to.bare)) members++;
    }
    const full = affiliationLimitRefusal(room.affiliations().size, members, limits.maxAffiliations);
    if (full) return refuse(stanza, full);
  }
  const id = (stanza.attrs.id as string | undefined) ?? crypto.randomUUID();
  invites.forEach((invite, i) => {
    const to = targets[i]!;
    const reason = invite.getChildText('reason') ?? undefined;
    if (room.config.membersOnly && room.affiliation(to.bare) === 'none') {
      // §9.5: "any invitation sent SHOULD automatically trigger the addition of the invitee to the member list"
      room.setAffiliation(to.bare, 'member', { reason: `Invited by ${from.bare}`, actor: room.occupantOf(from.full)?.nick });
    }
    // §7.8.2: from the room, the inviter named, the password added
    const message = invitation(room, to.full, from.full, reason, id);
    // A plain body for clients that do not know invitations (Prosody does the same)
    message.append(xml('body', {}, `${from.bare} invited you to the room ${room.jid}${reason ? ` (${reason})` : ''}`));
    sent.remember(room.jid, to.bare, id, from.full);
    room.ctx.send(message);
  });
  declines.forEach((decline, i) => {
    const to = targets[invites.length + i]!;
    const reason = decline.getChildText('reason') ?? undefined;
    const message = xml('message', { from: room.jid, id },
      xml('x', { xmlns: NS_MUC_USER }, xml('decline', { from: from.bare }, reason !== undefined && reason !== '' ? xml('reason', {}, reason) : undefined)));
    // §7.8.2: the inviter may have been named by its occupant JID
    const occ = to.bare === room.jid && to.resource !== undefined ? room.occupant(to.resource) : undefined;
    if (occ) for (const session of occ.sessions.keys()) room.ctx.send(xml('message', { ...message.attrs, to: session }, ...message.children));
    else room.ctx.send(xml('message', { ...message.attrs, to: to.full }, ...message.children));
  });
  return undefined;
}

/**
 * Invitations the rooms sent lately (at most `max`, oldest forgotten first), so that one bounced
 * by the invitee's server reaches the inviter: §7.8.2, "If the inviter supplies a non-existent
 * JID, the room SHOULD return an <item-not-found/> error to the inviter."
 */
export class SentInvitations {
  readonly #inviters = new Map<string, string>();

  constructor(readonly max: number) {}

  remember(room: string, invitee: string, id: string, inviter: string): void {
    const key = `${room}\n${invitee}\n${id}`;
    this.#inviters.delete(key);
    this.#inviters.set(key, inviter);
    while (this.#inviters.size > this.max) this.#inviters.delete(this.#inviters.keys().next().value!);
  }

  /**
   * An error message to a room: when it bounces an invitation, the inviter gets item-not-found
   * (with the invitation it sent) and the bounce is consumed; otherwise undefined.
   */
  bounced(room: string, bounce: Element, from: Jid): Element | undefined {
    const id = bounce.attrs.id as string | undefined;
    if (id === undefined) return undefined;
    const key = `${room}\n${from.bare}\n${id}`;
    const inviter = this.#inviters.get(key);
    if (inviter === undefined) return undefined;
    this.#inviters.delete(key);
    return xml('message', { type: 'error', from: room, to: inviter, id },
      xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: from.bare })),
      xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: NS_STANZAS })));
  }
}
