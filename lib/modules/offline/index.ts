/**
 * @module offline
 * Offline messages (RFC 6121 §8.5.2.2.1, XEP-0160): chat and normal messages for a user with no
 * available resource are stored with a XEP-0203 delay stamp, and delivered (then deleted) when
 * the user sends initial presence with a non-negative priority.
 */
import { defineModule, option, xml, NS_DELAY, type Element } from '../../core/api.js';

/** An element as stored: name, attributes, children (text or elements). */
interface StoredElement {
  n: string;
  a: Record<string, string>;
  c: (StoredElement | string)[];
}

function toStored(el: Element): StoredElement {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) if (v !== undefined && v !== null) a[k] = String(v);
  return { n: el.name, a, c: el.children.map((c) => (typeof c === 'string' ? c : toStored(c))) };
}

function fromStored(s: StoredElement): Element {
  return xml(s.n, s.a, ...s.c.map((c) => (typeof c === 'string' ? c : fromStored(c))));
}

export default defineModule({
  name: 'offline',
  description: 'Stores messages for offline users and delivers them at their next login (XEP-0160).',
  options: {
    offline_max_messages: option.integer({
      default: 1000, min: 0,
      doc: 'Most messages stored per offline user; beyond it new messages are bounced with service-unavailable (XEP-0160).',
    }),
  },
  load(module) {
    const list = module.openList<StoredElement>('offline');
    const max = module.options.offline_max_messages;
    /** Stored counts of users seen since load (so a store is not re-read for every message). */
    const counts = new Map<string, number>();
    const countOf = (user: string): number => {
      let n = counts.get(user);
      if (n === undefined) counts.set(user, (n = list.items(user).length));
      return n;
    };

    // XEP-0160 §2: advertised as 'msgoffline'
    module.provides('feature', 'msgoffline');

    module.hook('message/offline/handle', ({ stanza, username }) => {
      const type = (stanza.attrs.type as string | undefined) ?? 'normal';
      // XEP-0160 §3: only normal and chat messages are stored
      if (type !== 'normal' && type !== 'chat') return undefined;
      if (countOf(username) >= max) {
        module.log.info({ user: username, max }, 'offline storage full; message bounced');
        return undefined; // the message module bounces it with service-unavailable (XEP-0160 §3)
      }
      const copy = toStored(stanza);
      // XEP-0203: when and where the message was delayed
      copy.c.push({ n: 'delay', a: { xmlns: NS_DELAY, from: module.host, stamp: new Date().toISOString() }, c: ['Offline Storage'] });
      list.append(username, copy);
      counts.set(username, countOf(username) + 1);
      return true;
    }, -1);

    module.hook('message/offline/broadcast', ({ origin }) => {
      const user = origin.username;
      if (!user) return undefined;
      const items = list.items(user);
      if (items.length === 0) return true;
      for (const item of items) origin.send(fromStored(item.value));
      // Only what was delivered is deleted: a message stored meanwhile stays for next time.
      list.remove(user, items.map((i) => i.id));
      counts.delete(user);
      module.log.debug({ user, count: items.length }, 'offline messages delivered');
      return true;
    }, -1);
  },
});
