/**
 * @module time
 * Entity Time (XEP-0202) of the server: its UTC time and its time zone offset. Answered for
 * the host's JID (a user's time is their client's to give).
 */
import { defineModule, xml, type StanzaEvent } from '../../core/api.js';

const NS_TIME = 'urn:xmpp:time';

/** The local time zone offset as XEP-0082 writes it: '+02:00', '-05:30', '+00:00'. */
export function zoneOffset(at: Date): string {
  const minutes = -at.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export default defineModule({
  name: 'time',
  description: "Answers entity time requests to the server (XEP-0202).",
  load(module) {
    module.provides('feature', NS_TIME);
    // XEP-0202 §4: <tzo/> and <utc/> (XEP-0082 DateTime in UTC)
    module.hook(`iq-get/host/${NS_TIME}:time`, ({ origin, stanza }: StanzaEvent) => {
      const now = new Date();
      const reply = xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to },
        xml('time', { xmlns: NS_TIME }, xml('tzo', {}, zoneOffset(now)), xml('utc', {}, now.toISOString())));
      if (origin) origin.send(reply);
      else module.server.route(reply);
      return true;
    });
  },
});
