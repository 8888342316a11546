/**
 * An example third-party module: a "message of the day" sent to every client when it binds a
 * resource. It hooks a core event, reads a typed per-host option and sends a stanza.
 * Enable it with `"plugin_paths": ["path/to/examples/modules"], "modules_enabled": ["motd"]`.
 */
// A module outside this repository imports the same API from 'xmpp-server-core/api'.
import { defineModule, option, xml } from '../../lib/core/api.js';

export default defineModule({
  name: 'motd',
  options: {
    motd_text: option.string({ default: 'Welcome to this server!', doc: 'Message sent to each client when it binds a resource (example module).' }),
    motd_enabled: option.boolean({ default: true, doc: 'Send the message of the day (example module).' }),
  },
  load(module) {
    if (!module.options.motd_enabled) return;
    // Priority -10: after the core's own resource-bind handlers have run.
    module.hook('resource-bind', ({ session }) => {
      session.send(xml('message', { xmlns: 'jabber:client', from: module.host, to: session.fullJid, type: 'headline', id: `motd-${session.id}` },
        xml('body', {}, module.options.motd_text)));
      module.log.debug({ session: session.id }, 'motd sent');
    }, -10);
  },
});
