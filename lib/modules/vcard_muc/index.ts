/**
 * @module vcard_muc
 * Room avatars (XEP-0486, Prosody's community mod_vcard_muc) on a muc component: a room's
 * vcard-temp (XEP-0054) is its avatar. Anyone reads it with an iq get to the room; owners set
 * it with an iq set (an empty vCard removes it); occupants are told with status 104 and, as
 * Prosody does by default, a presence from the room carrying the XEP-0153 hash (which joining
 * occupants get too); the room's disco#info carries `muc#roominfo_avatarhash`. The avatar is
 * kept with the room (MucRoom.avatar, saved in its StoredRoom when persistent). The muc module
 * loads it.
 */
import {
  defineModule, errorReply, iqResult, option, parseJid, xml,
  type Element, type Session, type StanzaEvent,
} from '../../core/api.js';
import { NS_MUC_USER, type MucDiscoInfoEvent, type MucOccupantEvent, type MucRoom } from '../../core/muc-api.js';
import { NS_VCARD_TEMP, NS_X_UPDATE, isRefusal, readAvatar, vcardOf } from './photo.js';

export default defineModule({
  name: 'vcard_muc',
  description: 'Room avatars (XEP-0486): vcard-temp on room JIDs, set by owners, advertised in the room\'s disco#info.',
  options: {
    vcard_muc_max_size: option.integer({
      default: 131072, min: 1024,
      doc: 'Largest room avatar image in bytes (XEP-0486, decoded BINVAL) an owner may set; a larger one is refused with not-acceptable.',
    }),
    muc_avatar_advertise_hashes: option.oneOf(['both', 'presence', 'message', 'none'], {
      default: 'both',
      doc: "How occupants learn of a new room avatar (Prosody's name): a presence from the room with the XEP-0153 hash (which joining occupants get too) and a status 104 message ('both', Prosody's default), only one of them, or 'none' (clients read disco#info).",
    }),
  },
  load(module) {
    const { server } = module;
    const maxBytes = module.options.vcard_muc_max_size;
    const advertise = module.options.muc_avatar_advertise_hashes;
    /** XEP-0486 §5.2 (the earlier usage, kept by Prosody): the room's hash in a presence from its bare JID. */
    const hashPresence = (room: MucRoom, to?: string): Element =>
      xml('presence', { from: room.jid, to }, xml('x', { xmlns: NS_X_UPDATE }, xml('photo', {}, room.avatar?.hash)));
    // XEP-0486 §3.1: the service supports room vCards
    module.provides('feature', NS_VCARD_TEMP);

    const send = (el: Element): true => { server.route(el); return true; };
    /** The sender of a stanza to the component (routed stanzas carry it; a session's may not). */
    const sender = (stanza: Element, origin: Session | undefined): string | undefined =>
      parseJid((stanza.attrs.from as string | undefined) ?? origin?.fullJid)?.bare;
    /** The room addressed, as the muc module answers room iqs: none, or locked to everyone but its owners. */
    const roomFor = (stanza: Element, from: string): MucRoom | undefined => {
      const room = module.service('muc')?.room(stanza.attrs.to as string);
      if (!room || (room.locked && room.affiliation(from) !== 'owner')) return undefined;
      return room;
    };

    // XEP-0486 §3.4 / XEP-0054 §3.2: anyone may read a room's vCard
    module.hook(`iq-get/bare/${NS_VCARD_TEMP}:vCard`, ({ origin, stanza }: StanzaEvent) => {
      const from = sender(stanza, origin);
      if (from === undefined) return true;
      const room = roomFor(stanza, from);
      if (!room) return send(errorReply(stanza, 'cancel', 'item-not-found'));
      return send(iqResult(stanza, vcardOf(room.avatar)));
    });

    // XEP-0486 §3.2: owners publish (or, with a vCard without PHOTO, remove) the avatar
    module.hook(`iq-set/bare/${NS_VCARD_TEMP}:vCard`, ({ origin, stanza }: StanzaEvent) => {
      const from = sender(stanza, origin);
      if (from === undefined) return true;
      const room = roomFor(stanza, from);
      if (!room) return send(errorReply(stanza, 'cancel', 'item-not-found'));
      // XEP-0486 §6: only owners (the component's admins are owners of every room)
      if (room.affiliation(from) !== 'owner') return send(errorReply(stanza, 'auth', 'forbidden', 'Only owners are allowed to set avatars.'));
      const avatar = readAvatar(stanza.getChild('vCard', NS_VCARD_TEMP)!, maxBytes);
      if (isRefusal(avatar)) return send(errorReply(stanza, avatar.type, avatar.condition, avatar.text));
      const changed = avatar?.hash !== room.avatar?.hash || avatar?.type !== room.avatar?.type;
      room.avatar = avatar;
      room.save();
      send(iqResult(stanza));
      if (changed && (advertise === 'both' || advertise === 'presence')) room.broadcast(hashPresence(room));
      // XEP-0486 §3.2: the configuration changed (status 104), for every occupant
      if (changed && (advertise === 'both' || advertise === 'message')) {
        room.broadcast(xml('message', { type: 'groupchat', from: room.jid }, xml('x', { xmlns: NS_MUC_USER }, xml('status', { code: '104' }))));
      }
      return true;
    });

    // A newcomer learns the room's hash after its join sequence (as Prosody; here only where presence announces it)
    module.hook('muc-occupant-joined', ({ room, occupant }: MucOccupantEvent) => {
      if ((advertise !== 'both' && advertise !== 'presence') || !room.avatar) return;
      for (const to of occupant.sessions.keys()) send(hashPresence(room, to));
    });

    // XEP-0486 §3.3: the hash in muc#roominfo (absent without an avatar, §4), and the feature
    module.hook('muc-disco-info', ({ room, features, fields }: MucDiscoInfoEvent) => {
      features.push(NS_VCARD_TEMP);
      if (room.avatar) fields.push({ var: 'muc#roominfo_avatarhash', type: 'text-multi', label: 'Avatar hash', value: [room.avatar.hash] });
    });
  },
});
