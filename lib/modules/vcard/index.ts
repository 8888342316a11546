/**
 * @module vcard
 * vcard-temp (XEP-0054): each user stores one vCard on the server; the user sets it, and
 * anyone may read it (it is a public profile). `vcard-updated` tells other modules (an avatar
 * bridge, say) when one changes.
 */
import {
  defineModule, elementFromJson, elementToJson, errorReply, option, parseJid, serialize, xml,
  type Element, type JsonElement, type Session, type StanzaErrorType, type StanzaEvent,
} from '../../core/api.js';

const NS_VCARD = 'vcard-temp';

/** `vcard-updated` (host bus): a user stored a new vCard (Prosody's name). */
export interface VcardUpdatedEvent {
  readonly username: string;
  readonly host: string;
  readonly vcard: Element;
}

declare module '../../core/api.js' {
  interface Events {
    'vcard-updated': VcardUpdatedEvent;
  }
}

export default defineModule({
  name: 'vcard',
  events: ['vcard-updated'],
  description: 'Stores and serves vcard-temp profiles (XEP-0054).',
  options: {
    vcard_max_size: option.integer({
      default: 262144, min: 1024,
      doc: 'Largest vCard in bytes (with its photo) a user may store (XEP-0054); a larger one is refused with not-acceptable.',
    }),
  },
  load(module) {
    const { host, server } = module;
    const store = module.openStore<JsonElement>('vcard');
    const maxSize = module.options.vcard_max_size;
    module.provides('feature', NS_VCARD);
    module.provides('account-feature', NS_VCARD);

    const send = (origin: Session | undefined, el: Element): true => {
      if (origin) origin.send(el);
      else server.route(el);
      return true;
    };
    const fail = (origin: Session | undefined, stanza: Element, type: StanzaErrorType, condition: string, text?: string): true =>
      send(origin, errorReply(stanza, type, condition, text));
    const result = (stanza: Element, payload?: Element): Element =>
      xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, payload);

    /** XEP-0054 §3.1: the stored vCard, or item-not-found (no vCard) / service-unavailable (no account, RFC 6121 §8.5.1). */
    const get = (user: string | undefined, { origin, stanza }: StanzaEvent): true => {
      if (!user || !server.accounts.exists(host, user)) return fail(origin, stanza, 'cancel', 'service-unavailable');
      const stored = store.get(user);
      if (!stored) return fail(origin, stanza, 'cancel', 'item-not-found');
      return send(origin, result(stanza, elementFromJson(stored)));
    };
    module.hook(`iq-get/self/${NS_VCARD}:vCard`, (e: StanzaEvent) => get(e.origin?.username, e));
    // XEP-0054 §3.2: anyone may view another user's vCard
    module.hook(`iq-get/bare/${NS_VCARD}:vCard`, (e: StanzaEvent) => get(parseJid(e.stanza.attrs.to as string | undefined)?.local, e));
    // The server has no vCard of its own
    module.hook(`iq-get/host/${NS_VCARD}:vCard`, ({ origin, stanza }: StanzaEvent) => fail(origin, stanza, 'cancel', 'item-not-found'));

    // XEP-0054 §3.3: a user updates their own vCard (the whole of it)
    module.hook(`iq-set/self/${NS_VCARD}:vCard`, ({ origin, stanza }: StanzaEvent) => {
      const user = origin?.username;
      if (!user) return undefined;
      const vcard = stanza.getChild('vCard', NS_VCARD)!;
      if (Buffer.byteLength(serialize(vcard)) > maxSize) return fail(origin, stanza, 'modify', 'not-acceptable', `A vCard may take at most ${maxSize} bytes`);
      store.set(user, elementToJson(vcard));
      send(origin, result(stanza));
      module.fire('vcard-updated', { username: user, host, vcard });
      return true;
    });
    // Nobody writes another's vCard (nor the server's)
    const forbidden = ({ origin, stanza }: StanzaEvent): true => fail(origin, stanza, 'auth', 'forbidden');
    module.hook(`iq-set/bare/${NS_VCARD}:vCard`, forbidden);
    module.hook(`iq-set/host/${NS_VCARD}:vCard`, forbidden);
  },
});
