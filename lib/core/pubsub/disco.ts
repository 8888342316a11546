/**
 * @module pubsub/disco
 * Service discovery of a pubsub service (XEP-0060 §5): the nodes a requester may see
 * (disco#items, §5.2) and a node's identity and meta-data (disco#info, §5.3, §5.4).
 */
import { xml, NS_DISCO_INFO, NS_DISCO_ITEMS, type Element } from '../xml.js';
import { buildForm } from '../data-forms.js';
import type { PubsubService } from './service.js';

export const NS_META_DATA = 'http://jabber.org/protocol/pubsub#meta-data';

/** `<item jid node name/>` for each node `actor` may see (XEP-0060 §5.2). */
export function nodeItems(service: PubsubService, actor: string): Element[] {
  return service.nodeNames().filter((n) => service.canSee(n, actor)).map((node) => {
    const title = service.node(node)!.config.title;
    return xml('item', { jid: service.jid, node, name: title || undefined });
  });
}

/** disco#info of a node (XEP-0060 §5.3, §5.4), or undefined when `actor` may not see it (item-not-found). */
export function nodeInfo(service: PubsubService, node: string, actor: string): Element | undefined {
  const record = service.node(node);
  if (!record || !service.canSee(node, actor)) return undefined;
  const c = record.config;
  return xml('query', { xmlns: NS_DISCO_INFO, node },
    xml('identity', { category: 'pubsub', type: 'leaf' }),
    xml('feature', { var: 'http://jabber.org/protocol/pubsub' }),
    xml('feature', { var: NS_DISCO_INFO }),
    xml('feature', { var: NS_DISCO_ITEMS }),
    buildForm('result', NS_META_DATA, [
      { var: 'pubsub#title', value: c.title },
      { var: 'pubsub#access_model', value: c.access_model },
      { var: 'pubsub#publish_model', value: c.publish_model },
      { var: 'pubsub#max_items', value: String(c.max_items) },
      { var: 'pubsub#persist_items', value: c.persist_items ? '1' : '0' },
    ]));
}

/** disco#items of a node: its item ids (XEP-0060 §5.5), when `actor` may see it. */
export function nodeItemIds(service: PubsubService, node: string, actor: string): Element[] | undefined {
  const r = service.items(actor, node);
  if (!r.ok) return undefined;
  return r.value.map((i) => xml('item', { jid: service.jid, name: i.id }));
}
