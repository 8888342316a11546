/**
 * @module vcard4
 * vCard4 over XMPP (XEP-0292): the profile is the `urn:xmpp:vcard4` PEP node of the account
 * (item 'current'); as Prosody's mod_vcard4, an iq get or set of `<vcard/>` on the account's
 * bare JID reads or publishes it, and the account advertises the vCard4 namespace.
 */
import { answerIq, bareJid, defineModule, errorReply, iqResult, parseJid, replyTo, type Element, type Session, type StanzaEvent } from '../../core/api.js';
import { pubsubError } from '../../core/pubsub-api.js';

const NS_VCARD4 = 'urn:ietf:params:xml:ns:vcard-4.0';
/** XEP-0292 §3: the PEP node. */
const NODE = 'urn:xmpp:vcard4';

export default defineModule({
  name: 'vcard4',
  depends: ['pep'],
  description: 'vCard4 profiles in PEP, with iq get/set on the account (XEP-0292).',
  load(module) {
    const { host, server } = module;
    module.provides('account-feature', NS_VCARD4);
    const pep = () => module.requireService('pep');

    const send = (origin: Session | undefined, el: Element): void => { replyTo(server, origin, el); };
    const answer = (origin: Session | undefined, stanza: Element, work: () => Promise<Element>): true => answerIq(module, origin, stanza, work);

    // XEP-0292 §3.2 (Prosody's mod_vcard4): read an account's vCard4, as its node's access model allows
    const get = (user: string | undefined, { origin, stanza }: StanzaEvent): true => answer(origin, stanza, async () => {
      if (!user || !server.accounts.exists(host, user)) return errorReply(stanza, 'cancel', 'service-unavailable');
      const from = stanza.attrs.from as string | undefined;
      const requester = from !== undefined ? bareJid(from) : origin?.bareJid;
      const exists = (await pep().nodeConfig(user, NODE)) !== undefined;
      if (exists && (requester === undefined || !(await pep().mayRead(user, NODE, requester)))) return errorReply(stanza, 'auth', 'forbidden');
      const [item] = (await pep().items(user, NODE, { max: 1 })) ?? [];
      if (!item?.payload) return errorReply(stanza, 'cancel', 'item-not-found');
      return iqResult(stanza, item.payload);
    });
    module.hook(`iq-get/self/${NS_VCARD4}:vcard`, (e: StanzaEvent) => get(e.origin?.username, e));
    module.hook(`iq-get/bare/${NS_VCARD4}:vcard`, (e: StanzaEvent) => get(parseJid(e.stanza.attrs.to as string | undefined)?.local, e));

    // XEP-0292 §3.1: the account publishes its vCard4 (item 'current')
    module.hook(`iq-set/self/${NS_VCARD4}:vcard`, ({ origin, stanza }: StanzaEvent) => {
      const user = origin?.username;
      if (!user) return undefined;
      const vcard = stanza.getChild('vcard', NS_VCARD4)!;
      return answer(origin, stanza, async () => {
        const published = await pep().publish(user, NODE, { id: 'current', payload: vcard }, { actor: origin.fullJid });
        return published.ok ? iqResult(stanza) : pubsubError(stanza, published);
      });
    });
    const forbidden = ({ origin, stanza }: StanzaEvent): true => {
      send(origin, errorReply(stanza, 'auth', 'forbidden'));
      return true;
    };
    module.hook(`iq-set/bare/${NS_VCARD4}:vcard`, forbidden);
  },
});
