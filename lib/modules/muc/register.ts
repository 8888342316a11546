/**
 * @module muc/register
 * Registering with a room (XEP-0045 §7.10, with XEP-0077): the muc#register form, reserving a
 * nickname (kept as the affiliation entry's `nick`; the room refuses it to others on entry), and
 * unregistering (`<remove/>`: a member becomes unaffiliated, and is removed from a members-only
 * room with status 321). Reserved nickname discovery (§7.12, node x-roomuser-item).
 */
import { errorReply, iqResult, xml, NS_DISCO_INFO, NS_REGISTER, type Element, type Jid } from '../../core/api.js';
import { isRefusal } from './admin-items.js';
import { affiliationLimitRefusal } from './privileges.js';
import { registrationForm, submittedNick } from './register-form.js';
import type { Room } from './room.js';

export interface RegisterPolicy {
  /** Unaffiliated users may register (and so become members): Prosody's allow_unaffiliated_register. */
  readonly allowUnaffiliated: boolean;
  /** muc_max_affiliations */
  readonly maxAffiliations: number;
}

/** A `jabber:iq:register` get or set to a room; returns the reply. */
export function registerIq(room: Room, stanza: Element, from: Jid, query: Element, policy: RegisterPolicy): Element {
  const affiliation = room.affiliation(from.bare);
  // §7.10 / XEP-0077: outcasts may not register
  if (affiliation === 'outcast') return errorReply(stanza, 'auth', 'forbidden', 'You are banned from this room');
  const entry = room.affiliations().get(from.bare);
  if (stanza.attrs.type === 'set' && query.getChild('remove')) {
    // XEP-0077 §3.2: cancel the registration: a member is no longer one; others keep their affiliation, not the nick
    if (entry) room.setAffiliation(from.bare, entry.affiliation === 'member' ? 'none' : entry.affiliation, { reason: entry.reason, nick: '' });
    return iqResult(stanza);
  }
  // §7.10: "If the user ... is not allowed to register with the room ..., the room MUST return a <not-allowed/> error"
  if (affiliation === 'none' && !policy.allowUnaffiliated) return errorReply(stanza, 'cancel', 'not-allowed', 'Only members may register with this room');
  if (stanza.attrs.type === 'get') {
    // §7.10: already registered: <registered/> and the nickname
    if (entry?.nick) return iqResult(stanza, xml('query', { xmlns: NS_REGISTER }, xml('registered'), xml('username', {}, entry.nick)));
    return iqResult(stanza, xml('query', { xmlns: NS_REGISTER }, registrationForm(room.config.name)));
  }
  const nick = submittedNick(query);
  if (isRefusal(nick)) return errorReply(stanza, nick.type, nick.condition, nick.text);
  // §7.10: a nickname already reserved (or in use) by someone else is a conflict
  const reservedBy = room.reservedBy(nick);
  const present = room.occupant(nick);
  if ((reservedBy !== undefined && reservedBy !== from.bare) || (present && present.bareJid !== from.bare)) {
    return errorReply(stanza, 'cancel', 'conflict', 'That nickname is taken');
  }
  const full = affiliationLimitRefusal(room.affiliations().size, entry ? 0 : 1, policy.maxAffiliations);
  if (full) return errorReply(stanza, full.type, full.condition, full.text);
  if (entry?.nick !== nick) {
    room.setAffiliation(from.bare, affiliation === 'none' ? 'member' : affiliation, { reason: entry?.reason, nick });
  }
  return iqResult(stanza);
}

/** §7.12: the reserved nickname as a disco#info identity of node x-roomuser-item (an empty query when none). */
export function reservedNickInfo(room: Room, stanza: Element, from: Jid): Element {
  const nick = room.affiliations().get(from.bare)?.nick;
  return iqResult(stanza, xml('query', { xmlns: NS_DISCO_INFO, node: 'x-roomuser-item' },
    nick ? xml('identity', { category: 'conference', type: 'text', name: nick }) : undefined));
}
