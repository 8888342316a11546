/**
 * @module lastactivity
 * Last Activity (XEP-0012) of user accounts: the server records when a user's last resource
 * went away and the status text of its unavailable presence, and answers jabber:iq:last
 * queries to the bare JID for the user and for contacts subscribed to the user's presence
 * (RFC 6121; forbidden for anyone else). While the user is online the answer is 0 seconds, or
 * the idle time when every available resource says it is idle (XEP-0319).
 */
import { defineModule, errorReply, parseJid, xml, type Element, type Session, type StanzaErrorType, type StanzaEvent } from '../../core/api.js';

const NS_LAST = 'jabber:iq:last';
const NS_IDLE = 'urn:xmpp:idle:1';
/** Keys in session.data. */
const STATUS = 'lastactivity.status';
const IDLE = 'lastactivity.idleSince';

/** What is stored per user: when the last resource left (ms since the epoch) and its status text. */
interface LastLogout {
  readonly t: number;
  readonly status?: string;
}

export default defineModule({
  name: 'lastactivity',
  description: "Records users' last logout and answers jabber:iq:last for them (XEP-0012).",
  load(module) {
    const { host, server } = module;
    const store = module.openStore<LastLogout>('lastactivity');
    module.provides('feature', NS_LAST);
    module.provides('account-feature', NS_LAST);

    const answer = (origin: Session | undefined, el: Element): true => {
      if (origin) origin.send(el);
      else server.route(el);
      return true;
    };
    const fail = (origin: Session | undefined, stanza: Element, type: StanzaErrorType, condition: string): true =>
      answer(origin, errorReply(stanza, type, condition));

    // The client's own broadcast presence (no 'to'): remember its status and idle time (XEP-0319).
    module.hook('pre-presence/self', ({ origin, stanza }: StanzaEvent) => {
      if (!origin?.username || stanza.attrs.to !== undefined) return undefined;
      const type = stanza.attrs.type as string | undefined;
      if (type === 'unavailable') {
        origin.data[STATUS] = stanza.getChildText('status') ?? undefined;
        store.set(origin.username, { t: Date.now(), status: origin.data[STATUS] as string | undefined });
      } else if (type === undefined) {
        delete origin.data[STATUS];
        const since = Date.parse(String(stanza.getChild('idle', NS_IDLE)?.attrs.since ?? ''));
        if (Number.isFinite(since)) origin.data[IDLE] = since;
        else delete origin.data[IDLE];
      }
      return undefined;
    }, 10);

    // XEP-0012 §1: "when a disconnected user last accessed its server": the session's end
    module.hook('resource-unbind', ({ session, reason }) => {
      if (!session.username || reason?.resumable === true) return;
      const status = session.data[STATUS];
      store.set(session.username, { t: Date.now(), status: typeof status === 'string' ? status : undefined });
    });

    /** Seconds since the user was last active: 0 when online and not idle; undefined when unknown. */
    const lastSeconds = (user: string): { seconds: number; status?: string } | undefined => {
      const online = server.sessions.ofUser(host, user).filter((s) => s.presence !== undefined);
      if (online.length > 0) {
        const idle = online.map((s) => s.data[IDLE]);
        if (!idle.every((t): t is number => typeof t === 'number')) return { seconds: 0 };
        return { seconds: Math.max(0, Math.floor((Date.now() - Math.max(...idle)) / 1000)) };
      }
      const last = store.get(user);
      if (!last || typeof last.t !== 'number') return undefined;
      return { seconds: Math.max(0, Math.floor((Date.now() - last.t) / 1000)), status: last.status };
    };

    /** The user's own request, or one from a contact that receives the user's presence (RFC 6121 §3). */
    const mayLook = (user: string, stanza: Element, origin: Session | undefined): boolean => {
      const from = parseJid(stanza.attrs.from as string | undefined);
      if (from?.bare === `${user}@${host}` || (origin?.username === user && origin.host === host)) return true;
      return from !== undefined && module.service('rosters')?.isSubscribed(user, from.bare) === true;
    };

    // XEP-0012 §3: offline user query (and §4's on-behalf answer while the user is online)
    const query = ({ origin, stanza }: StanzaEvent): true => {
      const to = parseJid(stanza.attrs.to as string | undefined);
      const user = to?.local ?? origin?.username;
      if (!user) return fail(origin, stanza, 'cancel', 'service-unavailable');
      if (!mayLook(user, stanza, origin)) return fail(origin, stanza, 'auth', 'forbidden');
      if (!server.accounts.exists(host, user)) return fail(origin, stanza, 'cancel', 'service-unavailable'); // RFC 6121 §8.5.1
      const last = lastSeconds(user);
      if (!last) return fail(origin, stanza, 'cancel', 'item-not-found');
      return answer(origin, xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to },
        xml('query', { xmlns: NS_LAST, seconds: String(last.seconds) }, last.status || undefined)));
    };
    module.hook(`iq-get/bare/${NS_LAST}:query`, query);
    module.hook(`iq-get/self/${NS_LAST}:query`, query);

    // XEP-0012 §4 (v1.3): a query to a full JID is blocked unless the sender may see the user's presence
    module.hook(`iq-get/full/${NS_LAST}:query`, ({ origin, stanza }: StanzaEvent) => {
      const user = parseJid(stanza.attrs.to as string | undefined)?.local;
      if (user && !mayLook(user, stanza, origin)) return fail(origin, stanza, 'auth', 'forbidden');
      return undefined;
    });
  },
});
