/**
 * @module private
 * Private XML Storage (XEP-0049): a user stores XML fragments on the server, one per
 * (element name, namespace), and gets them back; nobody else can read or write them.
 */
import {
  defineModule, elementFromJson, elementToJson, errorReply, option, serialize, xml,
  type Element, type JsonElement, type Session, type StanzaErrorType, type StanzaEvent,
} from '../../core/api.js';

const NS_PRIVATE = 'jabber:iq:private';
/** XEP-0049 §2: namespaces a fragment may not use (the stream's and this protocol's own). */
const RESERVED = new Set(['jabber:client', 'jabber:server', 'jabber:component:accept', NS_PRIVATE]);

/** The storage key of a fragment: Prosody's "name:namespace". */
const keyOf = (el: Element): string => `${el.name}:${el.attrs.xmlns as string}`;

export default defineModule({
  name: 'private',
  description: 'Private XML storage for each account (XEP-0049).',
  options: {
    private_max_item_size: option.integer({
      default: 65536, min: 256,
      doc: 'Largest stored fragment in bytes (XEP-0049); a larger one is refused with not-acceptable.',
    }),
    private_max_items: option.integer({
      default: 256, min: 1,
      doc: 'Most fragments (distinct element name and namespace pairs) one account may store; more are refused with not-acceptable.',
    }),
  },
  load(module) {
    const store = module.openMap<JsonElement>('private');
    const { private_max_item_size: maxSize, private_max_items: maxItems } = module.options;
    module.provides('feature', NS_PRIVATE);
    module.provides('account-feature', NS_PRIVATE);

    const send = (origin: Session | undefined, el: Element): true => {
      if (origin) origin.send(el);
      else module.server.route(el);
      return true;
    };
    const fail = (origin: Session | undefined, stanza: Element, type: StanzaErrorType, condition: string, text?: string): true =>
      send(origin, errorReply(stanza, type, condition, text));
    const result = (stanza: Element, payload?: Element): Element =>
      xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, payload);

    /** The fragments of a request, or why they are not acceptable (XEP-0049 §2). */
    const fragments = (stanza: Element): Element[] | string => {
      const children = stanza.getChild('query', NS_PRIVATE)?.getChildElements() ?? [];
      if (children.length === 0) return 'The query must hold one element in its own namespace';
      for (const c of children) {
        const ns = c.attrs.xmlns as string | undefined;
        if (!ns || RESERVED.has(ns)) return `The namespace ${ns ? `'${ns}' is reserved` : 'is missing'}`;
      }
      return children;
    };

    // XEP-0049 §2: retrieval, one namespace per request; nothing stored gives the query back empty
    module.hook(`iq-get/self/${NS_PRIVATE}:query`, ({ origin, stanza }: StanzaEvent) => {
      const user = origin?.username;
      if (!user) return undefined;
      const asked = fragments(stanza);
      if (typeof asked === 'string') return fail(origin, stanza, 'modify', 'not-acceptable', asked);
      if (asked.length !== 1) return fail(origin, stanza, 'modify', 'not-acceptable', 'Ask for one namespace at a time');
      const stored = store.get(user, keyOf(asked[0]!));
      const fragment = stored ? elementFromJson(stored) : xml(asked[0]!.name, { xmlns: asked[0]!.attrs.xmlns as string });
      return send(origin, result(stanza, xml('query', { xmlns: NS_PRIVATE }, fragment)));
    });

    // XEP-0049 §2: storage; an empty element removes what was stored under its name and namespace
    module.hook(`iq-set/self/${NS_PRIVATE}:query`, ({ origin, stanza }: StanzaEvent) => {
      const user = origin?.username;
      if (!user) return undefined;
      const given = fragments(stanza);
      if (typeof given === 'string') return fail(origin, stanza, 'modify', 'not-acceptable', given);
      const keys = new Set(given.map(keyOf));
      const added = [...keys].filter((k) => store.get(user, k) === undefined).length;
      if (store.count(user) + added > maxItems) return fail(origin, stanza, 'modify', 'not-acceptable', `At most ${maxItems} fragments can be stored`);
      for (const el of given) {
        if (Buffer.byteLength(serialize(el)) > maxSize) return fail(origin, stanza, 'modify', 'not-acceptable', `A fragment may take at most ${maxSize} bytes`);
      }
      module.server.storage.transaction(() => {
        for (const el of given) store.set(user, keyOf(el), el.children.length === 0 ? undefined : elementToJson(el));
      });
      return send(origin, result(stanza));
    });

    // XEP-0049 §2: another user's data is forbidden (XEP-0086: auth)
    const forbidden = ({ origin, stanza }: StanzaEvent): true => fail(origin, stanza, 'auth', 'forbidden');
    module.hook(`iq-get/bare/${NS_PRIVATE}:query`, forbidden);
    module.hook(`iq-set/bare/${NS_PRIVATE}:query`, forbidden);
    module.hook(`iq-get/host/${NS_PRIVATE}:query`, forbidden);
    module.hook(`iq-set/host/${NS_PRIVATE}:query`, forbidden);
  },
});
