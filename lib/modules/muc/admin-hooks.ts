/**
 * @module muc/admin-hooks
 * Where room administration meets the component's stanzas: muc#admin and jabber:iq:register
 * iq to a room, reserved-nickname discovery (disco#info node x-roomuser-item), and the messages
 * to a room that are not groupchat: invitations, declines, voice requests and approvals (taken
 * before the engine's message handler). Features added to the room's disco#info.
 */
import { errorReply, parseJid, NS_DATA_FORMS, NS_DISCO_INFO, NS_REGISTER, type Element, type Jid, type StanzaEvent } from '../../core/api.js';
import { NS_MUC_ADMIN, NS_MUC_REQUEST, NS_MUC_USER } from '../../core/muc-api.js';
import { adminGet, adminSet } from './admin.js';
import type { MucContext } from './context.js';
import { handleInvitesAndDeclines, SentInvitations } from './invites.js';
import { registerIq, reservedNickInfo } from './register.js';
import type { Room } from './room.js';
import type { RoomRegistry } from './rooms.js';
import { handleVoiceForm } from './voice.js';
import { readVoiceForm } from './voice-form.js';

export function hookAdministration(ctx: MucContext, rooms: RoomRegistry): void {
  const { module } = ctx;
  const o = module.options;

  /** Run a handler for a stanza to an existing room; an error reply when it throws. */
  const toRoom = (fn: (room: Room, stanza: Element, from: Jid) => Element | undefined, missing: 'refuse' | 'pass') => (e: StanzaEvent): true | undefined => {
    const from = parseJid((e.stanza.attrs.from as string | undefined) ?? e.origin?.fullJid);
    const to = parseJid(e.stanza.attrs.to as string | undefined);
    const room = to ? rooms.get(to.bare) : undefined;
    if (!from || !room || (room.locked && room.affiliation(from.bare) !== 'owner')) {
      if (missing === 'pass') return undefined;
      ctx.send(errorReply(e.stanza, 'cancel', 'item-not-found'));
      return true;
    }
    try {
      const reply = fn(room, e.stanza, from);
      if (reply) ctx.send(reply);
    } catch (err) {
      module.log.error({ err }, 'muc administration failed');
      if (e.stanza.attrs.type !== 'error') ctx.send(errorReply(e.stanza, 'wait', 'internal-server-error'));
    }
    return true;
  };

  // XEP-0045 §8, §9, §10: muc#admin
  module.hook(`iq-get/bare/${NS_MUC_ADMIN}:query`, toRoom((room, stanza, from) => adminGet(room, stanza, from, stanza.getChild('query', NS_MUC_ADMIN)!), 'refuse'));
  module.hook(`iq-set/bare/${NS_MUC_ADMIN}:query`, toRoom((room, stanza, from) =>
    adminSet(room, stanza, from, stanza.getChild('query', NS_MUC_ADMIN)!, { maxItems: o.muc_max_admin_items, maxAffiliations: o.muc_max_affiliations }), 'refuse'));

  // §7.10: registration
  const register = toRoom((room, stanza, from) =>
    registerIq(room, stanza, from, stanza.getChild('query', NS_REGISTER)!, { allowUnaffiliated: o.allow_unaffiliated_register, maxAffiliations: o.muc_max_affiliations }), 'refuse');
  module.hook(`iq-get/bare/${NS_REGISTER}:query`, register);
  module.hook(`iq-set/bare/${NS_REGISTER}:query`, register);

  // §7.12: the reserved nickname (before the engine's disco#info, which knows no nodes)
  module.hook(`iq-get/bare/${NS_DISCO_INFO}:query`, (e) => {
    if (e.stanza.getChild('query', NS_DISCO_INFO)?.attrs.node !== 'x-roomuser-item') return undefined;
    return toRoom((room, stanza, from) => reservedNickInfo(room, stanza, from), 'refuse')(e);
  }, 1);

  module.hook('muc-disco-info', ({ features }) => {
    features.push(NS_REGISTER, NS_MUC_REQUEST);
    return undefined;
  });

  // §7.8.2 invitations and declines, §7.13 and §8.6 voice requests: messages to the room itself
  const sent = new SentInvitations(o.muc_invitations_remembered);
  module.hook('message/bare', (e) => {
    const type = e.stanza.attrs.type as string | undefined;
    if (type === 'error') {
      // A bounced invitation goes back to its inviter; other errors are the room's (an occupant gone)
      const from = parseJid(e.stanza.attrs.from as string | undefined);
      const to = parseJid(e.stanza.attrs.to as string | undefined);
      const reply = from && to ? sent.bounced(to.bare, e.stanza, from) : undefined;
      if (!reply) return undefined;
      ctx.send(reply);
      return true;
    }
    if (type !== undefined && type !== 'normal') return undefined;
    const x = e.stanza.getChild('x', NS_MUC_USER);
    if (x) return toRoom((room, stanza, from) => handleInvitesAndDeclines(room, stanza, from, x, { maxInvites: o.muc_max_admin_items, maxAffiliations: o.muc_max_affiliations }, sent), 'pass')(e);
    const form = readVoiceForm(e.stanza.getChild('x', NS_DATA_FORMS));
    if (form) return toRoom((room, stanza, from) => handleVoiceForm(room, stanza, from, form, o.muc_voice_request_interval), 'pass')(e);
    return undefined;
  }, 1);
}
