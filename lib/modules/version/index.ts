/**
 * @module version
 * Software Version (XEP-0092) of the server: its name and version, and the operating system
 * unless `hide_os_type` is set. Answered for the host's JID only (as Prosody does); other
 * requests fall through to the router (service-unavailable).
 */
import { readFileSync } from 'node:fs';
import { type as osType, release as osRelease } from 'node:os';
import { defineModule, option, xml, type StanzaEvent } from '../../core/api.js';

const NS_VERSION = 'jabber:iq:version';

/** This package's name and version, from its package.json (build/lib/modules/version/ → root). */
function packageInfo(): { name: string; version: string } {
  for (const rel of ['../../../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (typeof pkg.name === 'string' && typeof pkg.version === 'string') return { name: pkg.name, version: pkg.version };
    } catch {
      // try the next candidate
    }
  }
  return { name: 'xmpp-server-core', version: 'unknown' };
}

export default defineModule({
  name: 'version',
  description: 'Answers software version requests to the server (XEP-0092).',
  options: {
    hide_os_type: option.boolean({
      default: false,
      doc: 'Leave the operating system (<os/>) out of software version answers (XEP-0092 §5: it helps attackers).',
    }),
  },
  load(module) {
    module.provides('feature', NS_VERSION);
    const { name, version } = packageInfo();
    const os = module.options.hide_os_type ? undefined : `${osType()} ${osRelease()}`;
    // XEP-0092 §2: name and version required, os optional
    module.hook(`iq-get/host/${NS_VERSION}:query`, ({ origin, stanza }: StanzaEvent) => {
      const reply = xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to },
        xml('query', { xmlns: NS_VERSION }, xml('name', {}, name), xml('version', {}, version), os === undefined ? undefined : xml('os', {}, os)));
      if (origin) origin.send(reply);
      else module.server.route(reply);
      return true;
    });
  },
});
