/**
 * @module muc/disco
 * Service discovery of rooms (XEP-0045 §6): the service's public rooms (§6.3), a room's
 * identity, features and muc#roominfo form (§6.4, XEP-0128), and its items (§6.5).
 */
import { buildForm, iqResult, xml, NS_DISCO_INFO, NS_DISCO_ITEMS, type Element, type FormField, type Jid } from '../../core/api.js';
import { NS_MUC, NS_MUC_ROOMINFO, NS_OCCUPANT_ID } from '../../core/muc-api.js';
import type { MucContext } from './context.js';
import type { Room } from './room.js';
import type { RoomRegistry } from './rooms.js';

/** The service's features (its identity and these go through the disco module's items). */
export const SERVICE_FEATURES = [NS_MUC, 'http://jabber.org/protocol/muc#self-ping-optimization'];

/** §6.3: the public rooms, with their names. */
export function serviceItems(rooms: RoomRegistry, stanza: Element): Element {
  return iqResult(stanza, xml('query', { xmlns: NS_DISCO_ITEMS },
    ...rooms.publicRooms().map((r) => xml('item', { jid: r.jid, name: r.name || undefined }))));
}

/** §6.4: a room's identity, features (what its configuration means) and muc#roominfo. */
export function roomInfo(ctx: MucContext, room: Room, stanza: Element): Element {
  const c = room.config;
  const features = [
    NS_MUC, NS_OCCUPANT_ID, 'http://jabber.org/protocol/muc#self-ping-optimization',
    c.public ? 'muc_public' : 'muc_hidden',
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    c.password !== '' ? 'muc_passwordprotected' : 'muc_unsecured',
  ];
  const fields: FormField[] = [
    { var: 'muc#roominfo_description', label: 'Description', value: c.description },
    { var: 'muc#roominfo_subject', label: 'Subject', value: room.subject?.text ?? '' },
    { var: 'muc#roominfo_occupants', label: 'Number of occupants', value: String(room.occupantCount) },
    { var: 'muc#roomconfig_roomname', label: 'Title', value: c.name },
    { var: 'muc#roominfo_lang', label: 'Language', value: c.language },
    { var: 'muc#roominfo_changesubject', label: 'Occupants may change the subject', value: c.changeSubject ? '1' : '0' },
  ];
  ctx.module.fire('muc-disco-info', { room, features, fields });
  return iqResult(stanza, xml('query', { xmlns: NS_DISCO_INFO },
    xml('identity', { category: 'conference', type: 'text', name: c.name || room.localpart }),
    ...[...new Set(features)].map((v) => xml('feature', { var: v })),
    buildForm('result', NS_MUC_ROOMINFO, fields)));
}

/** §6.5: the occupants, to an occupant allowed to see who is there (otherwise none). */
export function roomItems(room: Room, stanza: Element, from: Jid): Element {
  const asker = room.occupantOf(from.full);
  const show = asker !== undefined && (room.config.whois === 'anyone' || asker.role === 'moderator');
  return iqResult(stanza, xml('query', { xmlns: NS_DISCO_ITEMS },
    ...(show ? [...room.occupants()].map((o) => xml('item', { jid: o.jid })) : [])));
}
