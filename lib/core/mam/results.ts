/**
 * @module mam/results
 * Answering a MAM query (XEP-0313 §4.2): one `<message><result/></message>` per archived
 * message, forwarded (XEP-0297) with its archive time (XEP-0203), then the iq result with
 * `<fin/>` and the result set (XEP-0059 first/last), `complete` when the page was the last
 * in the direction of paging. Metadata (XEP-0313 §4.3 #extended): the archive's first and last.
 */
import { xml, type Element } from '../xml.js';
import { parseElement } from '../xml-frame.js';
import type { Archive, ArchiveRecord } from '../archives.js';
import type { Logger } from '../log.js';
import { NS_MAM, NS_RSM, type QueryPlan } from './query.js';

export const NS_FORWARD = 'urn:xmpp:forward:0';
export const NS_DELAY = 'urn:xmpp:delay';

/** An XEP-0082 DateTime, to the second. */
export const stamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The page a plan selects: oldest first (or flipped), and whether it is the last one. */
export function page(rows: readonly ArchiveRecord[], plan: QueryPlan): { items: ArchiveRecord[]; complete: boolean } {
  const complete = rows.length <= plan.max;
  const items = rows.slice(0, plan.max);
  if (plan.backwards) items.reverse(); // fetched newest first
  if (plan.flip) items.reverse();
  return { items, complete };
}

/** Where the results of one query go. */
export interface ResultTarget {
  /** The archive's JID (a user's bare JID, a room's): the results come from it. */
  readonly from: string;
  /** The querying full JID. */
  readonly to: string;
  send(stanza: Element): void;
  /** Adjust an archived message before it is forwarded (a room hides real JIDs); undefined skips it. */
  readonly prepare?: (message: Element) => Element | undefined;
}

/** Send the results and the `<fin/>` for `iq`, a query of `user`'s archive planned as `plan`. */
export async function sendResults(target: ResultTarget, iq: Element, archive: Archive, user: string, plan: QueryPlan, log: Logger): Promise<void> {
  const rows = await archive.query(user, plan.query);
  const { items, complete } = page(rows, plan);
  for (const rec of items) {
    const parsed = parseElement(rec.value);
    const original = parsed === undefined ? undefined : target.prepare ? target.prepare(parsed) : parsed;
    if (original === undefined) {
      log.warn({ user, id: rec.id }, 'an archived message could not be read; skipped');
      continue;
    }
    target.send(xml('message', { to: target.to, from: target.from, id: `mam-${rec.id}` },
      xml('result', { xmlns: NS_MAM, queryid: plan.queryId, id: rec.id },
        xml('forwarded', { xmlns: NS_FORWARD },
          xml('delay', { xmlns: NS_DELAY, stamp: stamp(rec.when) }),
          original))));
  }
  const inOrder = plan.flip ? [...items].reverse() : items;
  const set = xml('set', { xmlns: NS_RSM });
  if (inOrder.length > 0) {
    set.append(xml('first', {}, inOrder[0]!.id));
    set.append(xml('last', {}, inOrder[inOrder.length - 1]!.id));
  }
  const fin = xml('fin', { xmlns: NS_MAM, complete: complete ? 'true' : undefined }, set);
  target.send(xml('iq', { type: 'result', id: iq.attrs.id, to: target.to, from: iq.attrs.to }, fin));
}

/** The `<metadata/>` answer: the first and last archived messages, or nothing for an empty archive. */
export async function metadataElement(archive: Archive, user: string): Promise<Element> {
  const b = await archive.bounds(user);
  const el = xml('metadata', { xmlns: NS_MAM });
  if (b !== undefined) {
    el.append(xml('start', { id: b.first.id, timestamp: stamp(b.first.when) }));
    el.append(xml('end', { id: b.last.id, timestamp: stamp(b.last.when) }));
  }
  return el;
}
