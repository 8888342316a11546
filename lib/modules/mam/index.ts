/**
 * @module mam
 * Message Archive Management (XEP-0313 urn:xmpp:mam:2, with #extended) for user accounts:
 * every archivable message to and from a local user is archived once in that user's archive,
 * under the preferences (XEP-0441) and Prosody's default_archive_policy, with its id added to
 * the message as a stanza-id (XEP-0359). Writes are batched (core write queue): one storage
 * transaction per turn of the event loop, flushed before any stream management ack.
 */
import {
  defineModule, errorReply, parseJid, serialize, xml, type Element, type Session, type StanzaEvent,
} from '../../core/api.js';
import { archivable } from './eligibility.js';
import { MAM_OPTIONS } from './options.js';
import {
  addStanzaId, hasStanzaId, metadataElement, NS_MAM, NS_MAM_EXTENDED, NS_SID, parseQuery, queryFormElement, removeStanzaIds,
  sendResults, startExpiry, stripStanzaIds,
} from '../../core/mam-api.js';
import { parsePrefs, prefsElement, shouldArchive, type Prefs } from './prefs.js';

/**
 * The message the sender's archive took last, with its serialised text and position: routing
 * is synchronous, so a local recipient's archive sees the same stanza next and reuses them (one
 * serialisation and one id per message). One slot, shared by every host's instance.
 */
let lastStanza: Element | undefined;
let lastValue = '';
let lastRecord: { readonly id: string; readonly sort: number } | undefined;

/** Most JIDs in one always or never list. */
const MAX_PREF_JIDS = 1000;
/** Preferences cached in memory, per host (the stanza path never reads storage for them twice). */
const PREFS_CACHE = 10_000;

export default defineModule({
  name: 'mam',
  description: 'Message Archive Management (XEP-0313) with stanza ids (XEP-0359) for user accounts.',
  options: MAM_OPTIONS,
  load(module) {
    const { server, host, options } = module;
    const archive = module.openArchive('archive');
    const stored = module.openStore<Prefs>('archive_prefs');
    const ignored = new Set(options.dont_archive_namespaces);
    const defaults: Prefs = { default: options.default_archive_policy, always: [], never: [] };
    const cache = new Map<string, Prefs>();

    const prefsOf = (user: string): Prefs => {
      let p = cache.get(user);
      if (p === undefined) {
        p = stored.get(user) ?? defaults;
        if (cache.size >= PREFS_CACHE) cache.clear();
        cache.set(user, p);
      }
      return p;
    };
    const wants = (user: string, contact: string): boolean => {
      const p = prefsOf(user);
      if (p === defaults && p.default === 'always') return true; // the common case, nothing to look up
      return shouldArchive(p, contact, () => module.service('rosters')?.hasItem(user, contact) ?? false);
    };

    for (const f of [NS_MAM, NS_MAM_EXTENDED, NS_SID]) {
      module.provides('account-feature', f);
      module.provides('feature', f);
    }

    // XEP-0359 §5: stanza-ids a client sends in our name never get further
    const strip = ({ origin, stanza }: StanzaEvent): undefined => {
      if (origin !== undefined && hasStanzaId(stanza)) stripStanzaIds(stanza, (d) => server.isLocalHost(d));
      return undefined;
    };
    // outgoing: the sender's archive (XEP-0313 §5.1.1), on the sender's host
    const outgoing = ({ origin, stanza }: StanzaEvent): undefined => {
      const user = origin?.username;
      if (user === undefined || origin!.host !== host || !archivable(stanza, ignored)) return undefined;
      const to = parseJid(stanza.attrs.to as string | undefined) ?? origin!.jid;
      if (to === undefined || to.local === undefined) return undefined; // to a server: no conversation
      if (!wants(user, to.bare)) return undefined;
      const value = serialize(stanza);
      const rec = archive.append(user, { with: to.bare, withResource: to.resource, value });
      lastStanza = stanza;
      lastValue = value;
      lastRecord = rec;
      // the id travels with the message so the sender's other resources (carbons) learn it
      if (to.bare === origin!.bareJid || server.sessions.countOf(host, user) > 1) addStanzaId(stanza, origin!.bareJid!, rec.id);
      return undefined;
    };
    // The sender's archive id is the sender's (XEP-0359 §3: 'by' is the archiving entity): once
    // the sender's other resources have it in their carbons (priority 10), it goes before the
    // message leaves, so that the recipient (and the recipient's archive) never sees it.
    const unshare = ({ origin, stanza }: StanzaEvent): undefined => {
      const own = origin?.bareJid;
      if (own === undefined || !hasStanzaId(stanza, own)) return undefined;
      if (parseJid(stanza.attrs.to as string | undefined)?.bare === own) return undefined; // to the sender's own account: its id
      removeStanzaIds(stanza, own);
      return undefined;
    };
    for (const kind of ['bare', 'full', 'host'] as const) {
      module.hook(`pre-message/${kind}`, strip, 1000);
      module.hook(`pre-message/${kind}`, outgoing, 50);
      module.hook(`pre-message/${kind}`, unshare, -1000);
    }

    // incoming: the recipient's archive, on the recipient's host, before delivery or offline storage
    const incoming = ({ stanza }: StanzaEvent): undefined => {
      if (!archivable(stanza, ignored)) return undefined;
      const to = parseJid(stanza.attrs.to as string | undefined);
      const user = to?.local;
      if (user === undefined) return undefined;
      const from = parseJid(stanza.attrs.from as string | undefined);
      const contact = from?.bare ?? host;
      if (contact === to!.bare) return undefined; // the user's own message: archived once, as outgoing
      // re-routed (a session that closed with it queued): it is in this archive already
      if (hasStanzaId(stanza, to!.bare)) return undefined;
      if (server.sessions.countOf(host, user) === 0 && !server.accounts.exists(host, user)) return undefined;
      if (!wants(user, contact)) return undefined;
      // the same stanza the sender's archive took (routed on at once, unchanged): its text and position
      const prior = lastStanza === stanza ? lastRecord : undefined;
      const value = prior !== undefined ? lastValue : serialize(stanza);
      lastStanza = undefined;
      lastValue = '';
      lastRecord = undefined;
      const rec = archive.append(user, { with: contact, withResource: from?.resource, value }, prior);
      addStanzaId(stanza, to!.bare, rec.id);
      return undefined;
    };
    module.hook('message/bare', incoming, 50);
    module.hook('message/full', incoming, 50);

    const reply = (origin: Session | undefined, stanza: Element, payload?: Element): true => {
      const r = xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, payload);
      if (origin) origin.send(r);
      else server.route(r);
      return true;
    };
    const fail = (origin: Session | undefined, stanza: Element, type: Parameters<typeof errorReply>[1], condition: string, text?: string): true => {
      const e = errorReply(stanza, type, condition, text);
      if (origin) origin.send(e);
      else server.route(e);
      return true;
    };

    /** Answer later (the archive is read once what was archived before is stored); an exception is internal-server-error. */
    const later = (origin: Session | undefined, stanza: Element, work: (origin: Session, user: string) => Promise<unknown>): true => {
      if (origin?.username === undefined) return fail(origin, stanza, 'auth', 'forbidden');
      const user = origin.username;
      work(origin, user).catch((err: unknown) => {
        module.log.error({ err, user }, 'archive request failed');
        fail(origin, stanza, 'wait', 'internal-server-error');
      });
      return true;
    };

    // XEP-0313 §4: a query of one's own archive
    module.hook(`iq-set/self/${NS_MAM}:query`, ({ origin, stanza }: StanzaEvent) => later(origin, stanza, async (o, user) => {
      const plan = await parseQuery(stanza.getChild('query', NS_MAM)!, archive, user, { maxResults: options.max_archive_query_results });
      if ('condition' in plan) return fail(o, stanza, plan.type, plan.condition, plan.text);
      return sendResults({ from: o.bareJid!, to: o.fullJid!, send: (el) => o.send(el) }, stanza, archive, user, plan, module.log);
    }));
    // XEP-0313 §4.1.5: the query form
    module.hook(`iq-get/self/${NS_MAM}:query`, ({ origin, stanza }: StanzaEvent) => reply(origin, stanza, queryFormElement()));
    // XEP-0313 §4.3 (#extended): archive metadata
    module.hook(`iq-get/self/${NS_MAM}:metadata`, ({ origin, stanza }: StanzaEvent) => later(origin, stanza,
      async (o, user) => reply(o, stanza, await metadataElement(archive, user))));
    // XEP-0441: preferences
    module.hook(`iq-get/self/${NS_MAM}:prefs`, ({ origin, stanza }: StanzaEvent) => {
      if (origin?.username === undefined) return fail(origin, stanza, 'auth', 'forbidden');
      return reply(origin, stanza, prefsElement(prefsOf(origin.username)));
    });
    module.hook(`iq-set/self/${NS_MAM}:prefs`, ({ origin, stanza }: StanzaEvent) => {
      if (origin?.username === undefined) return fail(origin, stanza, 'auth', 'forbidden');
      const p = parsePrefs(stanza.getChild('prefs', NS_MAM)!, MAX_PREF_JIDS);
      if (typeof p === 'string') return fail(origin, stanza, 'modify', 'bad-request', p);
      stored.set(origin.username, p);
      cache.set(origin.username, p);
      return reply(origin, stanza, prefsElement(p));
    });

    startExpiry(module, archive, {
      expiresAfter: options.archive_expires_after, interval: options.archive_cleanup_interval, limit: options.archive_cleanup_limit,
    });
  },
});
