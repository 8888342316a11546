/**
 * @module bind
 * Resource binding (RFC 6120 §7): the bind feature after authentication, the client's
 * resource or a generated one, conflicts won by the new session (Session.bindResource), and
 * RFC 3921 session establishment advertised as optional for old clients.
 */
import {
  defineModule, errorReply, parseJid, xml, NS_BIND, NS_SESSION,
  type StanzaEvent, type StreamFeaturesEvent,
} from '../../core/api.js';

export default defineModule({
  name: 'bind',
  description: 'Resource binding and legacy session establishment.',
  options: {},

  load(module) {
    module.hook('stream-features', ({ session, features }: StreamFeaturesEvent) => {
      if (!session.authenticated || session.bound) return;
      features.append(xml('bind', { xmlns: NS_BIND }));
      // RFC 6121 §1.4 dropped session establishment; old clients still look for it.
      features.append(xml('session', { xmlns: NS_SESSION }, xml('optional')));
    });

    module.hook(`iq-set/self/${NS_BIND}:bind`, ({ origin, stanza }: StanzaEvent) => {
      if (origin === undefined) return undefined;
      if (origin.bound) {
        // RFC 6120 §7.7.2.2: one resource per stream here.
        origin.send(errorReply(stanza, 'cancel', 'not-allowed', 'A resource is already bound to this stream'));
        return true;
      }
      const requested = stanza.getChild('bind', NS_BIND)?.getChildText('resource') ?? '';
      if (requested !== '' && parseJid(`${origin.username}@${origin.host}/${requested}`)?.resource === undefined) {
        // RFC 6120 §7.7.2.1
        origin.send(errorReply(stanza, 'modify', 'bad-request', 'The resource is not valid (RFC 7622 §3.4)'));
        return true;
      }
      origin.bindResource(requested || undefined);
      origin.send(xml('iq', { type: 'result', id: stanza.attrs.id }, xml('bind', { xmlns: NS_BIND }, xml('jid', {}, origin.fullJid))));
      return true;
    });

    // RFC 3921 §3: answer legacy session establishment with an empty result.
    module.hook(`iq-set/self/${NS_SESSION}:session`, ({ origin, stanza }: StanzaEvent) => {
      if (origin === undefined) return undefined;
      origin.send(xml('iq', { type: 'result', id: stanza.attrs.id }));
      return true;
    });
  },
});
