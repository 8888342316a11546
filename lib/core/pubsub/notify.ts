/**
 * @module pubsub/notify
 * Event notifications (XEP-0060 §7.1.2, §7.2.2, §8.2.3.3, §8.4.2, §8.5.2): the
 * `<event xmlns='http://jabber.org/protocol/pubsub#event'/>` messages, and who gets them.
 */
import { xml, NS_DELAY, type Element } from '../xml.js';
import type { NodeConfig } from './config.js';
import type { NodeRecord, StoredItem } from './storage.js';

export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';

/** An `<item/>` as notifications and retrievals carry it; the publisher when it is exposed. */
export function itemElement(item: StoredItem, payload: boolean, exposePublisher: boolean): Element {
  const el = xml('item', { id: item.id, publisher: exposePublisher ? item.publisher : undefined });
  if (payload && item.payload) el.append(item.payload);
  return el;
}

/** A notification message from the service to one recipient. */
export function eventMessage(from: string, to: string, config: NodeConfig, content: Element, delayed?: number): Element {
  const msg = xml('message', { from, to, type: config.notification_type === 'normal' ? undefined : 'headline' },
    xml('event', { xmlns: NS_PUBSUB_EVENT }, content));
  // XEP-0060 §6.1.7: a last published item sent later carries its publication time
  if (delayed !== undefined) msg.append(xml('delay', { xmlns: NS_DELAY, from, stamp: new Date(delayed).toISOString() }));
  return msg;
}

/** `<items node><item/></items>` for a publication. */
export function publishedContent(node: string, item: StoredItem, config: NodeConfig, exposePublisher: boolean): Element {
  return xml('items', { node }, itemElement(item, config.deliver_payloads, exposePublisher || config.itemreply === 'publisher'));
}

/** `<items node><retract id/></items>` (XEP-0060 §7.2.2.1). */
export function retractContent(node: string, id: string): Element {
  return xml('items', { node }, xml('retract', { id }));
}

/**
 * The explicit subscribers that receive notifications (XEP-0060 §6.1, §6.3: pubsub#deliver),
 * as JIDs (full or bare) as they subscribed.
 */
export function subscriberJids(record: NodeRecord): string[] {
  const out: string[] = [];
  for (const [jid, sub] of Object.entries(record.subscriptions)) if (sub.state === 'subscribed' && sub.deliver) out.push(jid);
  return out;
}
