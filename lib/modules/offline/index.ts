/**
 * @module offline
 * Offline messages (RFC 6121 §8.5.2.2.1, XEP-0160): chat and normal messages for a user with no
 * available resource are stored with a XEP-0203 delay stamp, bounded by count and by bytes,
 * and delivered when the user sends initial presence with a non-negative priority. Delivery
 * is paced by the client's reading (a page at a time, only while its output is writable) and
 * a message is deleted only once it was handed to the live stream: if the session ends
 * midway, the rest stays stored for next time.
 */
import {
  defineModule, option, elementFromJson as fromStored, elementToJson as toStored, NS_DELAY, type JsonElement as StoredElement, type Session,
} from '../../core/api.js';

/** Messages read from storage per page while delivering a backlog. */
const PAGE = 64;

/** `offline` store usage of one user, kept current after the first look. */
interface Usage { count: number; bytes: number }

export default defineModule({
  name: 'offline',
  description: 'Stores messages for offline users and delivers them at their next login (XEP-0160).',
  options: {
    offline_max_messages: option.integer({
      default: 1000, min: 0,
      doc: 'Most messages stored per offline user; beyond it new messages are bounced with service-unavailable (XEP-0160).',
    }),
    offline_max_bytes: option.integer({
      default: 10 * 1024 * 1024, min: 0,
      doc: 'Most bytes of stored messages per offline user; a message that would exceed it is bounced to its sender with resource-constraint (type wait).',
    }),
  },
  load(module) {
    const list = module.openList<StoredElement>('offline');
    const { offline_max_messages: maxCount, offline_max_bytes: maxBytes } = module.options;
    /** Usage of users seen since load: read once from the store's index, then kept in step. */
    const usage = new Map<string, Usage>();
    const usageOf = (user: string): Usage => {
      let u = usage.get(user);
      if (u === undefined) {
        u = { ...list.stats(user) };
        if (usage.size >= 10_000) usage.delete(usage.keys().next().value!);
        usage.set(user, u);
      }
      return u;
    };
    /** Users whose backlog is being delivered, and to which session (one at a time per user). */
    const delivering = new Map<string, Session>();

    // XEP-0160 §2: advertised as 'msgoffline'
    module.provides('feature', 'msgoffline');

    module.hook('message/offline/handle', ({ stanza, username }) => {
      const type = (stanza.attrs.type as string | undefined) ?? 'normal';
      // XEP-0160 §3: only normal and chat messages are stored
      if (type !== 'normal' && type !== 'chat') return undefined;
      const u = usageOf(username);
      if (u.count >= maxCount) {
        module.log.info({ user: username, max: maxCount }, 'offline storage full (offline_max_messages); message bounced');
        return undefined; // the message module bounces it with service-unavailable (XEP-0160 §3)
      }
      const copy = toStored(stanza);
      // XEP-0203: when and where the message was delayed (once: a re-routed message keeps its stamp)
      if (!stanza.getChild('delay', NS_DELAY)) {
        copy.c.push({ n: 'delay', a: { xmlns: NS_DELAY, from: module.host, stamp: new Date().toISOString() }, c: ['Offline Storage'] });
      }
      const bytes = Buffer.byteLength(JSON.stringify(copy));
      if (u.bytes + bytes > maxBytes) {
        module.log.info({ user: username, max: maxBytes }, 'offline storage full (offline_max_bytes); message bounced');
        // RFC 6120 §8.3.3.18: the recipient's storage lacks the room
        return 'resource-constraint';
      }
      list.append(username, copy);
      u.count += 1;
      u.bytes += bytes;
      return true;
    }, -1);

    /** Hand stored messages to `session` while it can take them; delete only what was handed over. */
    const deliver = (session: Session, user: string, afterId: number): void => {
      while (true) {
        if (!session.writable) {
          if (session.closed) break;
          session.whenWritable(() => { deliver(session, user, afterId); });
          return;
        }
        const page = list.items(user, PAGE, afterId);
        if (page.length === 0) break;
        const handed: number[] = [];
        for (const item of page) {
          if (!session.writable) break;
          session.send(fromStored(item.value));
          handed.push(item.id);
          afterId = item.id;
        }
        list.remove(user, handed);
        usage.delete(user);
        module.log.debug({ user, count: handed.length }, 'offline messages delivered');
      }
      if (delivering.get(user) === session) delivering.delete(user);
    };

    module.hook('message/offline/broadcast', ({ origin }) => {
      const user = origin.username;
      if (!user) return undefined;
      if (delivering.has(user)) return true; // another resource is taking the backlog
      delivering.set(user, origin);
      deliver(origin, user, 0);
      return true;
    }, -1);

    // A session that ends midway leaves the rest stored; another available resource takes it on.
    module.hook('pre-resource-unbind', ({ session }) => {
      const user = session.username;
      if (user === undefined || delivering.get(user) !== session) return;
      delivering.delete(user);
      const next = module.server.sessions.available(module.host, user).find((s) => s !== session && !s.closed);
      if (next !== undefined) {
        delivering.set(user, next);
        setImmediate(() => { if (delivering.get(user) === next) deliver(next, user, 0); });
      }
    });
  },
});
