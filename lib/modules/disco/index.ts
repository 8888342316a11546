/**
 * @module disco
 * Service Discovery (XEP-0030) for the host and for user accounts. Features come from the
 * items other modules provide (`module.provides('feature', ns)`, 'identity', 'disco-item',
 * 'account-feature', and 'disco-extension' for XEP-0128 data forms); the host's disco#items
 * lists the components named under it, and the `disco_items` option adds items by hand.
 * A component's module may depend on disco: on a component, disco answers for the component's
 * own JID with the identities and features its modules provide, and leaves its bare JIDs alone.
 */
import {
  defineModule, elementFromJson, elementToJson, errorReply, option, INVALID, parseJid, xml, NS_DISCO_INFO as NS_INFO, NS_DISCO_ITEMS as NS_ITEMS,
  type Element, type Session, type StanzaErrorType, type StanzaEvent,
} from '../../core/api.js';

/** A disco identity (XEP-0030 §3.1). */
export interface DiscoIdentity {
  readonly category: string;
  readonly type: string;
  readonly name?: string;
}

/** A disco item (XEP-0030 §4.1). */
export interface DiscoItem {
  readonly jid: string;
  readonly name?: string;
  readonly node?: string;
}

declare module '../../core/api.js' {
  interface Events {
    'host-disco-info': DiscoQueryEvent;
    'host-disco-info-node': DiscoNodeEvent;
    'account-disco-info': DiscoQueryEvent;
    'account-disco-items': DiscoQueryEvent;
  }
  interface Items {
    /** A feature var the host supports (XEP-0030 §3.1), e.g. 'urn:xmpp:ping'. */
    feature: string;
    /** An extra identity of the host. */
    identity: DiscoIdentity;
    /** An item listed by the host's disco#items (a component, say). */
    'disco-item': DiscoItem;
    /** A feature var of user accounts (listed by disco#info to a bare JID). */
    'account-feature': string;
    /**
     * Extended information (XEP-0128): a `<x xmlns='jabber:x:data' type='result'>` form with a
     * hidden FORM_TYPE, appended to the host's disco#info (contact addresses, XEP-0157, say).
     */
    'disco-extension': Element;
  }
}

/** `host-disco-info`, `account-disco-info`, `account-disco-items`: add to `reply` (the query). */
export interface DiscoQueryEvent {
  readonly origin: Session | undefined;
  readonly stanza: Element;
  readonly reply: Element;
}

/** `host-disco-info-node`: answer a node query by filling `reply`; return true when handled. */
export interface DiscoNodeEvent extends DiscoQueryEvent {
  readonly node: string;
}

function parseItems(raw: unknown): DiscoItem[] | typeof INVALID {
  if (!Array.isArray(raw)) return INVALID;
  const out: DiscoItem[] = [];
  for (const entry of raw) {
    if (typeof entry === 'string' && parseJid(entry)) out.push({ jid: entry });
    else if (typeof entry === 'object' && entry !== null && typeof entry.jid === 'string' && parseJid(entry.jid)
      && (entry.name === undefined || typeof entry.name === 'string')) out.push({ jid: entry.jid, name: entry.name });
    else return INVALID;
  }
  return out;
}

export default defineModule({
  name: 'disco',
  events: ['host-disco-info', 'host-disco-info-node', 'account-disco-info', 'account-disco-items'],
  description: 'Service Discovery (XEP-0030) for the host and its accounts.',
  options: {
    disco_items: option.custom<readonly DiscoItem[]>({
      default: [],
      describe: 'an array of JIDs or { "jid": ..., "name": ... } objects',
      parse: parseItems,
      doc: 'Extra items listed by disco#items on the host (e.g. a MUC or upload service).',
    }),
    server_name: option.string<string | undefined>({
      default: undefined,
      doc: "The name of the host's server/im identity in disco#info (none when unset).",
    }),
  },
  load(module) {
    const component = module.server.isComponent(module.host);
    module.provides('feature', NS_INFO);
    module.provides('feature', NS_ITEMS);
    module.provides('account-feature', NS_INFO);
    module.provides('account-feature', NS_ITEMS);

    const reply = (origin: Session | undefined, stanza: Element, payload?: Element): true => {
      const el = xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, payload);
      if (origin) origin.send(el);
      else module.server.route(el);
      return true;
    };
    const fail = (origin: Session | undefined, stanza: Element, type: StanzaErrorType, condition: string): true => {
      const el = errorReply(stanza, type, condition);
      if (origin) origin.send(el);
      else module.server.route(el);
      return true;
    };
    const unique = (list: readonly string[]): string[] => [...new Set(list)];
    /** Components named under this host (conference.example.org under example.org), as Prosody lists them. */
    const components = (): DiscoItem[] => module.server.componentNames
      .filter((c) => c.endsWith(`.${module.host}`))
      .map((jid) => {
        const name = module.server.config.raw(jid, 'name');
        return typeof name === 'string' ? { jid, name } : { jid };
      });

    // XEP-0030 §3: the host's identities and features
    module.hook(`iq-get/host/${NS_INFO}:query`, ({ origin, stanza }: StanzaEvent) => {
      const node = stanza.getChild('query', NS_INFO)?.attrs.node as string | undefined;
      if (node) {
        const query = xml('query', { xmlns: NS_INFO, node });
        const handled = module.fire('host-disco-info-node', { origin, stanza, reply: query, node });
        return handled === undefined ? fail(origin, stanza, 'cancel', 'item-not-found') : reply(origin, stanza, query);
      }
      // A component's identities are only those its modules provide (a MUC is conference/text, not server/im).
      const own: DiscoIdentity[] = component ? [] : [{ category: 'server', type: 'im', name: module.options.server_name }];
      const identities = [...own, ...module.items('identity').map((r) => r.item)];
      const query = xml('query', { xmlns: NS_INFO },
        ...identities.map((i) => xml('identity', { category: i.category, type: i.type, name: i.name })),
        ...unique(module.items('feature').map((r) => r.item)).map((v) => xml('feature', { var: v })),
        // XEP-0128 §3: extensions follow the identities and features
        ...module.items('disco-extension').map((r) => elementFromJson(elementToJson(r.item))));
      module.fire('host-disco-info', { origin, stanza, reply: query });
      return reply(origin, stanza, query);
    });

    // XEP-0030 §4: the host's items
    module.hook(`iq-get/host/${NS_ITEMS}:query`, ({ origin, stanza }: StanzaEvent) => {
      const node = stanza.getChild('query', NS_ITEMS)?.attrs.node as string | undefined;
      if (node) return fail(origin, stanza, 'cancel', 'item-not-found');
      const items = [...module.options.disco_items, ...components(), ...module.items('disco-item').map((r) => r.item)];
      return reply(origin, stanza, xml('query', { xmlns: NS_ITEMS },
        ...items.map((i) => xml('item', { jid: i.jid, name: i.name, node: i.node }))));
    });

    /** The account itself, or a contact it shares presence with, may look (as Prosody does). */
    const allowed = (origin: Session | undefined, stanza: Element, self: boolean): string | undefined => {
      const to = parseJid(stanza.attrs.to as string | undefined);
      const user = self ? origin?.username : to?.local;
      if (!user) return undefined;
      if (self) return user;
      const from = parseJid(stanza.attrs.from as string | undefined);
      if (from && module.service('rosters')?.isSubscribed(user, from.bare)) return user;
      return undefined;
    };

    // XEP-0030 §3 for an account: identity account/registered (RFC 6120 §10.3.3: on the user's behalf)
    const accountInfo = (self: boolean) => ({ origin, stanza }: StanzaEvent): true | undefined => {
      if (!allowed(origin, stanza, self)) return undefined; // router: service-unavailable
      const node = stanza.getChild('query', NS_INFO)?.attrs.node as string | undefined;
      if (node) return fail(origin, stanza, 'cancel', 'item-not-found');
      const query = xml('query', { xmlns: NS_INFO },
        xml('identity', { category: 'account', type: 'registered' }),
        ...unique(module.items('account-feature').map((r) => r.item)).map((v) => xml('feature', { var: v })));
      module.fire('account-disco-info', { origin, stanza, reply: query });
      return reply(origin, stanza, query);
    };
    // On a component, bare JIDs are its own entities (rooms, nodes): its module answers for them.
    if (component) return;
    module.hook(`iq-get/bare/${NS_INFO}:query`, accountInfo(false));
    module.hook(`iq-get/self/${NS_INFO}:query`, accountInfo(true));

    const accountItems = (self: boolean) => ({ origin, stanza }: StanzaEvent): true | undefined => {
      if (!allowed(origin, stanza, self)) return undefined;
      const query = xml('query', { xmlns: NS_ITEMS });
      module.fire('account-disco-items', { origin, stanza, reply: query });
      return reply(origin, stanza, query);
    };
    module.hook(`iq-get/bare/${NS_ITEMS}:query`, accountItems(false));
    module.hook(`iq-get/self/${NS_ITEMS}:query`, accountItems(true));
  },
});
