/**
 * @module muc
 * Multi-user chat (XEP-0045) as a component, Prosody's mod_muc:
 * `"Component": { "conference.example.org": { "module": "muc" } }`. Rooms are created on first
 * join (locked until configured), persistent ones kept in the `muc_rooms` store; occupants,
 * groupchat, subject, private messages, history, owner configuration and destruction,
 * discovery, self-ping and occupant ids (XEP-0421). Other modules on the component see rooms
 * through the `muc` service and the `muc-*` events (xmpp-server-core/muc). On several nodes
 * the cluster module hands each room to one node at a time (`address-owned`, `session-lost`).
 */
import {
  defineModule, errorReply, iqResult, parseJid, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING,
  type Element, type Jid, type StanzaEvent,
} from '../../core/api.js';
import { NS_MUC_OWNER, type MucService, type StoredRoom } from '../../core/muc-api.js';
import type { MucContext } from './context.js';
import { roomInfo, roomItems, serviceItems, SERVICE_FEATURES } from './disco.js';
import { handleOccupantPresence, handleSessionLost } from './join.js';
import { handleOccupantMessage, handleRoomMessage } from './messages.js';
import { occupantIds } from './occupant-id.js';
import { OccupantIq } from './occupant-iq.js';
import { hookAdministration } from './admin-hooks.js';
import { MUC_OPTIONS } from './options.js';
import { handleOwnerIq } from './owner.js';
import { RoomRegistry } from './rooms.js';

export { RoomRegistry } from './rooms.js';
export type { Room } from './room.js';

/** The room registry of each loaded muc component, for the modules inside lib/modules/muc/. */
export const registries = new Map<string, RoomRegistry>();

export default defineModule({
  name: 'muc',
  depends: ['disco', 'vcard_muc'], // room avatars (XEP-0486) come with every muc component
  description: 'Multi-user chat rooms (XEP-0045) run as a component.',
  options: MUC_OPTIONS,
  events: ['muc-*'],
  load(module) {
    const { host, server } = module;
    const o = module.options;
    const rawAdmins = server.config.raw(host, 'admins');
    const admins = new Set(Array.isArray(rawAdmins) ? rawAdmins.filter((a): a is string => typeof a === 'string').map((a) => parseJid(a)?.bare ?? a) : []);
    const ctx: MucContext = {
      module, host, options: o,
      store: module.openStore<StoredRoom>('muc_rooms'),
      isAdmin: (bare) => o.component_admins_as_room_owners && admins.has(bare),
      occupantId: occupantIds(module.openStore<string>('muc_occupant_id')),
      send: (stanza) => server.route(stanza),
    };
    const rooms = new RoomRegistry(ctx);
    registries.set(host, rooms);
    module.onUnload(() => {
      // XEP-0045 §9 (status 332): the service goes away (reload, shutdown): occupants are told
      // they are out, so clients rejoin; persistent rooms are already saved
      for (const room of [...rooms.live()]) for (const occ of [...room.occupants()]) room.removeOccupant(occ.nick, [332]);
      if (registries.get(host) === rooms) registries.delete(host);
    });
    const occupantIq = new OccupantIq(ctx, rooms);
    hookAdministration(ctx, rooms);

    const service: MucService = {
      host,
      room: (jid) => { const j = parseJid(jid); return j?.local !== undefined && j.domain === host ? rooms.get(j.bare) : undefined; },
      rooms: () => rooms.live(),
    };
    module.provides('muc', service);
    const name = server.config.raw(host, 'name');
    module.provides('identity', { category: 'conference', type: 'text', name: typeof name === 'string' ? name : 'Chatrooms' });
    for (const f of SERVICE_FEATURES) module.provides('feature', f);

    /** The sender (a session's stanzas carry it) and the addressee, or undefined for nonsense. */
    const ends = ({ origin, stanza }: StanzaEvent): { from: Jid; to: Jid } | undefined => {
      const from = parseJid((stanza.attrs.from as string | undefined) ?? origin?.fullJid);
      const to = parseJid(stanza.attrs.to as string | undefined);
      return from && to ? { from, to } : undefined;
    };
    const withEnds = (fn: (stanza: Element, from: Jid, to: Jid) => void) => (e: StanzaEvent): true => {
      const j = ends(e);
      if (j) {
        try {
          fn(e.stanza, j.from, j.to);
        } catch (err) {
          module.log.error({ err }, 'muc stanza handling failed');
          if (e.stanza.attrs.type !== 'error') ctx.send(errorReply(e.stanza, 'wait', 'internal-server-error'));
        }
      }
      return true;
    };

    module.hook('presence/full', withEnds((stanza, from, to) => { handleOccupantPresence(ctx, rooms, stanza, from, to); }));
    // XEP-0045 §7.2.1: a presence to the room without a nickname
    module.hook('presence/bare', withEnds((stanza) => {
      if (stanza.attrs.type === undefined) ctx.send(errorReply(stanza, 'modify', 'jid-malformed', 'A nickname is required'));
    }));
    module.hook('message/bare', withEnds((stanza, from, to) => { handleRoomMessage(ctx, rooms, stanza, from, to); }));
    module.hook('message/full', withEnds((stanza, from, to) => { handleOccupantMessage(ctx, rooms, stanza, from, to); }));
    module.hook('iq/full', withEnds((stanza, from, to) => { occupantIq.handle(stanza, from, to); }));

    /** A room iq: the room (item-not-found when there is none, or it is locked to the asker). */
    const roomIq = (fn: (stanza: Element, from: Jid, room: NonNullable<ReturnType<RoomRegistry['get']>>) => Element | undefined) =>
      withEnds((stanza, from, to) => {
        const room = rooms.get(to.bare);
        if (!room || (room.locked && room.affiliation(from.bare) !== 'owner')) return ctx.send(errorReply(stanza, 'cancel', 'item-not-found'));
        const reply = fn(stanza, from, room);
        if (reply) ctx.send(reply);
      });
    module.hook(`iq-get/bare/${NS_DISCO_INFO}:query`, roomIq((stanza, _from, room) => {
      if (stanza.getChild('query', NS_DISCO_INFO)?.attrs.node !== undefined) return errorReply(stanza, 'cancel', 'item-not-found');
      return roomInfo(ctx, room, stanza);
    }));
    module.hook(`iq-get/bare/${NS_DISCO_ITEMS}:query`, roomIq((stanza, from, room) => roomItems(room, stanza, from)));
    const owner = roomIq((stanza, from, room) => handleOwnerIq(ctx, room, stanza, from));
    module.hook(`iq-get/bare/${NS_MUC_OWNER}:query`, owner);
    module.hook(`iq-set/bare/${NS_MUC_OWNER}:query`, owner);
    // XEP-0199 to the room itself: it is there
    module.hook(`iq-get/bare/${NS_PING}:ping`, roomIq((stanza) => iqResult(stanza)));
    // Any other iq to a room (RFC 6120 §8.4): not something rooms do. Answers to the room are dropped.
    module.hook('iq/bare', withEnds((stanza, _from, to) => {
      const type = stanza.attrs.type;
      if (type !== 'get' && type !== 'set') return;
      ctx.send(errorReply(stanza, 'cancel', rooms.get(to.bare) ? 'service-unavailable' : 'item-not-found'));
    }), -10);

    // Several nodes (the cluster module): a room taken over from another node is read from
    // storage again; occupants whose node died leave the rooms held here
    module.hook('address-owned', ({ address }) => { rooms.forget(address); });
    module.hook('session-lost', ({ session, reason }) => {
      if (session.fullJid !== undefined) handleSessionLost(rooms, session.fullJid, reason);
    });

    // XEP-0045 §6.3: the public rooms
    module.hook(`iq-get/host/${NS_DISCO_ITEMS}:query`, withEnds((stanza) => {
      if (stanza.getChild('query', NS_DISCO_ITEMS)?.attrs.node !== undefined) return ctx.send(errorReply(stanza, 'cancel', 'item-not-found'));
      ctx.send(serviceItems(rooms, stanza));
    }), 1);
  },
});
