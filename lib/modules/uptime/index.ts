/**
 * @module uptime
 * Server uptime through Last Activity (XEP-0012 §6): a jabber:iq:last query to the host's JID
 * is answered with the seconds since the server started.
 */
import { defineModule, xml, type StanzaEvent } from '../../core/api.js';

const NS_LAST = 'jabber:iq:last';

export default defineModule({
  name: 'uptime',
  description: 'Answers jabber:iq:last queries to the server with its uptime (XEP-0012).',
  load(module) {
    module.provides('feature', NS_LAST);
    // Modules load while the server starts: counted from then (a reload of the module restarts it).
    const started = Date.now();
    module.hook(`iq-get/host/${NS_LAST}:query`, ({ origin, stanza }: StanzaEvent) => {
      const seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
      const reply = xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to },
        xml('query', { xmlns: NS_LAST, seconds: String(seconds) }));
      if (origin) origin.send(reply);
      else module.server.route(reply);
      return true;
    });
  },
});
