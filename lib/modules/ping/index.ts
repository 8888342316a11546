/**
 * @module ping
 * XMPP Ping (XEP-0199): the server answers pings addressed to it, or sent with no 'to' (to the
 * user's own account), with an empty result; advertised in disco as urn:xmpp:ping.
 */
import { defineModule, xml, NS_PING, type StanzaEvent } from '../../core/api.js';

export default defineModule({
  name: 'ping',
  description: 'Answers XMPP pings to the server (XEP-0199).',
  load(module) {
    module.provides('feature', NS_PING);
    // XEP-0199 §4.2: client-to-server ping; the server answers with an empty result
    const pong = ({ origin, stanza }: StanzaEvent): true => {
      const reply = xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to });
      if (origin) origin.send(reply);
      else module.server.route(reply);
      return true;
    };
    module.hook(`iq-get/host/${NS_PING}:ping`, pong);
    module.hook(`iq-get/self/${NS_PING}:ping`, pong);
  },
});
