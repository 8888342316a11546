/**
 * An example third-party module: Entity Time (XEP-0202) with a fixed offset, in place of the
 * built-in `time` module (its script disables that one: `modules_disabled`). The server answers
 * `<time xmlns='urn:xmpp:time'/>` requests with its UTC time and a configured offset, and
 * advertises the feature in disco. Its conversation test is `example_time.scs`, next to it, run by
 * `xmpp-server-core/testing` (see spec/examples/example_time.test.ts).
 */
// A module outside this repository imports the same API from 'xmpp-server-core/api'.
import { defineModule, option, xml, type StanzaEvent } from '../../lib/core/api.js';

const NS_TIME = 'urn:xmpp:time';

export default defineModule({
  name: 'example_time',
  options: {
    example_time_tzo: option.string({ default: '+00:00', doc: 'Offset from UTC the server reports in Entity Time answers, as [+-]hh:mm (example module).' }),
  },
  load(module) {
    module.provides('feature', NS_TIME);
    // XEP-0202 §4: <tzo/> and <utc/> (UTC, XEP-0082 DateTime)
    module.hook(`iq-get/host/${NS_TIME}:time`, ({ origin, stanza }: StanzaEvent) => {
      const utc = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const reply = xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to },
        xml('time', { xmlns: NS_TIME }, xml('tzo', {}, module.options.example_time_tzo), xml('utc', {}, utc)));
      if (origin) origin.send(reply);
      else module.server.route(reply);
      return true;
    });
  },
});
