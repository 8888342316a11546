/**
 * @module muc_mam
 * The room archive (XEP-0313 on room JIDs, as Prosody's mod_muc_mam) on a muc component:
 * every groupchat message of a room that logs (muc#roomconfig_enablearchiving; on by default,
 * muc_log_by_default; forced by muc_log_all_rooms) is archived once, in the room's own
 * archive (keyed by the room's bare JID), and broadcast with the archive's id as the room's
 * `<stanza-id/>` (XEP-0359). Anyone who may read the room queries it (XEP-0313 §4, with the
 * shared query, paging and result mechanism of xmpp-server-core/mam); joins get their
 * history from it, so history survives restarts. A destroyed room's archive is deleted, as
 * Prosody does: a new room of the same name, with other owners and members, must not show it.
 */
import { defineModule, errorReply, iqResult, parseJid, serialize, type Element, type StanzaEvent, type StanzaErrorType } from '../../core/api.js';
import type {
  MucConfigFormEvent, MucDiscoInfoEvent, MucHistoryEvent, MucHistoryResult, MucMessageEvent, MucRoom, MucRoomDefaultsEvent, MucRoomEvent,
} from '../../core/muc-api.js';
import {
  addStanzaId, metadataElement, NS_MAM, NS_MAM_EXTENDED, NS_SID, parseQuery, queryFormElement, sendResults, startExpiry, stripStanzaIds,
} from '../../core/mam-api.js';
import { archivable } from './eligibility.js';
import { historyFromArchive, type HistoryBound } from './history.js';
import { MUC_MAM_OPTIONS } from './options.js';
import { shown, storedCopy } from './stored.js';

/** The room configuration fields that turn archiving on and off (hidden when every room logs). */
const LOGGING_FIELDS = new Set(['muc#roomconfig_enablearchiving', 'muc#roomconfig_enablelogging']);

export default defineModule({
  name: 'muc_mam',
  description: 'Message Archive Management (XEP-0313) for the rooms of a muc component, with room stanza ids (XEP-0359) and history from the archive.',
  depends: ['muc'],
  options: MUC_MAM_OPTIONS,
  load(module) {
    const { server, host, options } = module;
    const archive = module.openArchive('muc_log');
    /** Joins whose history is being read, per room: where each one's history ends. */
    const joining = new Map<string, Set<HistoryBound>>();
    const logs = (room: MucRoom): boolean => options.muc_log_all_rooms || room.config.logging;
    const route = (el: Element): true => {
      server.route(el);
      return true;
    };
    const fail = (stanza: Element, type: StanzaErrorType, condition: string, text?: string): true => route(errorReply(stanza, type, condition, text));

    module.provides('feature', NS_MAM);

    module.hook('muc-room-defaults', (event: MucRoomDefaultsEvent) => {
      event.config = { ...event.config, logging: options.muc_log_all_rooms || options.muc_log_by_default };
      return undefined;
    });
    if (options.muc_log_all_rooms) {
      module.hook('muc-config-form', ({ fields }: MucConfigFormEvent) => {
        for (let i = fields.length - 1; i >= 0; i--) if (LOGGING_FIELDS.has(fields[i]!.var)) fields.splice(i, 1);
        return undefined;
      });
    }
    // XEP-0313 §7 and XEP-0359 §6: a room that archives says so
    module.hook('muc-disco-info', ({ room, features }: MucDiscoInfoEvent) => {
      if (logs(room)) features.push(NS_MAM, NS_MAM_EXTENDED, NS_SID);
      return undefined;
    });

    // XEP-0359 §5: stanza-ids in the room's (or the service's) name come only from us
    module.hook('muc-broadcast-message', ({ stanza }: MucMessageEvent) => {
      stripStanzaIds(stanza, (domain) => domain === host);
      return undefined;
    }, 1000);
    // archived after the other handlers have added what they add; the id goes out with the message
    module.hook('muc-broadcast-message', ({ room, occupant, stanza }: MucMessageEvent) => {
      if (!logs(room) || !archivable(stanza)) return undefined;
      const nick = parseJid(stanza.attrs.from as string | undefined)?.resource;
      const rec = archive.append(room.jid, { with: room.jid, withResource: nick, value: serialize(storedCopy(room, occupant, stanza)) });
      const reading = joining.get(room.jid);
      if (reading !== undefined) for (const bound of reading) bound.before ??= rec.sort;
      addStanzaId(stanza, room.jid, rec.id);
      return undefined;
    }, -100);

    // XEP-0045 §7.2.15: history on join, from the archive (it outlives restarts)
    module.hook('muc-get-history', ({ room, to, request }: MucHistoryEvent): MucHistoryResult | undefined => {
      if (!logs(room)) return undefined;
      const bound: HistoryBound = {};
      let reading = joining.get(room.jid);
      if (reading === undefined) joining.set(room.jid, (reading = new Set()));
      reading.add(bound);
      return historyFromArchive(archive, room, to, request, module.log, bound).catch((err: unknown) => {
        module.log.error({ err, room: room.jid }, 'reading the room history from the archive failed');
        return [];
      }).finally(() => {
        reading.delete(bound);
        if (reading.size === 0 && joining.get(room.jid) === reading) joining.delete(room.jid);
      });
    });

    // Prosody deletes the archive of a destroyed room (see the module comment)
    module.hook('muc-room-destroyed', ({ room }: MucRoomEvent) => {
      archive.clear(room.jid).catch((err: unknown) => module.log.error({ err, room: room.jid }, 'deleting the archive of a destroyed room failed'));
      return undefined;
    });

    /**
     * The room a query is for, when the sender may read its archive (as Prosody: not banned,
     * and a member of a members-only room), else the error sent.
     */
    const readable = (stanza: Element): MucRoom | undefined => {
      const room = module.requireService('muc').room(parseJid(stanza.attrs.to as string | undefined)?.bare ?? '');
      if (room === undefined) {
        fail(stanza, 'cancel', 'item-not-found');
        return undefined;
      }
      const from = parseJid(stanza.attrs.from as string | undefined)?.bare;
      if (from === undefined || room.affiliation(from) === 'outcast' || !room.mayRead(from)) {
        fail(stanza, 'auth', 'forbidden');
        return undefined;
      }
      return room;
    };
    /** Answer later (the archive is read once what was archived before is stored). */
    const later = (stanza: Element, work: (room: MucRoom) => Promise<unknown>): true => {
      const room = readable(stanza);
      if (room === undefined) return true;
      work(room).catch((err: unknown) => {
        module.log.error({ err, room: room.jid }, 'room archive request failed');
        fail(stanza, 'wait', 'internal-server-error');
      });
      return true;
    };

    // XEP-0313 §4: a query of the room's archive
    module.hook(`iq-set/bare/${NS_MAM}:query`, ({ stanza }: StanzaEvent) => later(stanza, async (room) => {
      const plan = await parseQuery(stanza.getChild('query', NS_MAM)!, archive, room.jid, { maxResults: options.max_archive_query_results });
      if ('condition' in plan) return fail(stanza, plan.type, plan.condition, plan.text);
      const target = { from: room.jid, to: stanza.attrs.from as string, send: route, prepare: (m: Element) => shown(room, m) };
      return sendResults(target, stanza, archive, room.jid, plan, module.log);
    }));
    // XEP-0313 §4.1.5: the query form
    module.hook(`iq-get/bare/${NS_MAM}:query`, ({ stanza }: StanzaEvent) => (readable(stanza) === undefined ? true
      : route(iqResult(stanza, queryFormElement()))));
    // XEP-0313 §4.3 (#extended): the archive's first and last
    module.hook(`iq-get/bare/${NS_MAM}:metadata`, ({ stanza }: StanzaEvent) => later(stanza,
      async (room) => route(iqResult(stanza, await metadataElement(archive, room.jid)))));

    startExpiry(module, archive, {
      expiresAfter: options.muc_log_expires_after, interval: options.muc_log_cleanup_interval, limit: options.muc_log_cleanup_limit,
    });
  },
});
