/**
 * @module muc_mam/history
 * Discussion history for a joining occupant read from the room archive (XEP-0045 §7.2.15),
 * so that it survives restarts: the last messages up to the room's history length and the
 * request's maxstanzas, none older than seconds/since, and no more characters than maxchars
 * (counted newest first over the whole stanzas, as sent); each with its archive time as a
 * `<delay/>` (XEP-0203, from the room) and its id as the room's `<stanza-id/>` (XEP-0359).
 */
import { parseElement, serialize, xml, type Archive, type Element, type Logger } from '../../core/api.js';
import type { HistoryRequest, MucRoom } from '../../core/muc-api.js';
import { addStanzaId, NS_DELAY, stamp } from '../../core/mam-api.js';
import { shown } from './stored.js';

/**
 * Where a join's history ends: the position of the first message archived after the join
 * (set by the archiving hook while the read is pending). Those come live, after the history.
 */
export interface HistoryBound { before?: number }

export async function historyFromArchive(archive: Archive, room: MucRoom, to: string, request: HistoryRequest, log: Logger, bound: HistoryBound = {}): Promise<Element[]> {
  const max = Math.min(request.maxstanzas ?? room.config.historyLength, room.config.historyLength);
  if (max <= 0 || request.maxchars === 0) return [];
  let start: number | undefined;
  if (request.seconds !== undefined) start = Date.now() - request.seconds * 1000;
  if (request.since !== undefined) start = Math.max(start ?? request.since, request.since);
  let rows = await archive.query(room.jid, { start, limit: max, reverse: true });
  // XEP-0045 §7.2.15-16: a message archived after the join goes out live, after the subject
  if (bound.before !== undefined && rows.some((r) => r.sort >= bound.before!)) {
    rows = await archive.query(room.jid, { start, before: bound.before, limit: max, reverse: true });
  }
  const out: Element[] = [];
  let chars = request.maxchars ?? Infinity;
  for (const rec of rows) { // newest first
    const parsed = parseElement(rec.value);
    if (parsed === undefined) {
      log.warn({ room: room.jid, id: rec.id }, 'an archived room message could not be read; left out of the history');
      continue;
    }
    const message = shown(room, parsed);
    message.attrs.to = to;
    message.append(xml('delay', { xmlns: NS_DELAY, from: room.jid, stamp: stamp(rec.when) }));
    addStanzaId(message, room.jid, rec.id);
    if (Number.isFinite(chars)) {
      chars -= serialize(message).length;
      if (chars < 0) break;
    }
    out.push(message);
  }
  return out.reverse();
}
