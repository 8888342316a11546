/**
 * @module muc/voice
 * Voice requests (XEP-0045 §7.13, §8.6): a visitor of a moderated room submits the muc#request
 * form to the room; each moderator gets the approval form; a moderator who submits it with
 * muc#request_allow grants the visitor voice (role participant, as by muc#admin §8.3). One
 * request per visitor per muc_voice_request_interval, so a visitor cannot flood the moderators.
 */
import { errorReply, xml, type Element, type Jid } from '../../core/api.js';
import type { Occupant } from './occupant.js';
import { roleChangeRefusal } from './privileges.js';
import type { Room } from './room.js';
import { approvalForm, type VoiceRequestForm } from './voice-form.js';

/** When each visitor last asked (ms), forgotten with the occupant. */
const lastRequest = new WeakMap<Occupant, number>();

/** A muc#request form sent to the room; returns the error reply to send back, if any. */
export function handleVoiceForm(room: Room, stanza: Element, from: Jid, form: VoiceRequestForm, intervalSeconds: number): Element | undefined {
  const occ = room.occupantOf(from.full);
  // §7.13: requests and approvals come from occupants
  if (!occ) return errorReply(stanza, 'modify', 'not-acceptable', 'You are not in this room');
  if (occ.role === 'moderator') return approve(room, stanza, occ, form);
  // §7.13: a visitor asks for voice (participant); anyone else has it already, or may not have it
  if (occ.role !== 'visitor' || !form.submitted) return undefined;
  if (form.role !== undefined && form.role !== 'participant') return errorReply(stanza, 'modify', 'bad-request', 'Only voice (participant) may be requested');
  const now = Date.now();
  const last = lastRequest.get(occ);
  if (last !== undefined && now - last < intervalSeconds * 1000) {
    return errorReply(stanza, 'wait', 'policy-violation', `One voice request per ${intervalSeconds} seconds`);
  }
  const moderators = [...room.occupants()].filter((o) => o.role === 'moderator');
  // No moderator to ask: the request would go nowhere, so say so
  if (moderators.length === 0) return errorReply(stanza, 'wait', 'recipient-unavailable', 'No moderator is in the room');
  lastRequest.set(occ, now);
  // §8.6: the approval form, to each moderator
  const message = approvalFormMessage(room, from.full, occ.nick);
  room.broadcast(message, (o) => o.role === 'moderator');
  return undefined;
}

function approvalFormMessage(room: Room, jid: string, nick: string): Element {
  return xml('message', { from: room.jid, id: crypto.randomUUID() }, approvalForm(jid, nick));
}

/** §8.6: a moderator's answer: with muc#request_allow, the visitor named gets voice. */
function approve(room: Room, stanza: Element, moderator: Occupant, form: VoiceRequestForm): Element | undefined {
  if (!form.submitted || !form.allow) return undefined;
  const target = form.nick !== undefined ? room.occupant(form.nick) : form.jid !== undefined ? room.occupantOf(form.jid) : undefined;
  if (!target) return errorReply(stanza, 'cancel', 'item-not-found', 'That occupant is not in the room');
  if (target.role !== 'visitor') return undefined;
  const refusal = roleChangeRefusal(moderator, target, 'participant', false);
  if (refusal) return errorReply(stanza, refusal.type, refusal.condition, refusal.text);
  room.setRole(target.nick, 'participant', { actor: moderator.nick });
  return undefined;
}
