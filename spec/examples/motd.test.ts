/**
 * Tests for examples/modules/motd.ts, loaded the way an operator would: by name from
 * plugin_paths, then a real @xmpp/client login over TCP receives the message of the day.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { client } from '@xmpp/client';
import { startTestServer } from '../helpers/server.js';

const pluginDir = join(import.meta.dirname, '..', '..', 'examples', 'modules');

describe('examples/modules/motd', () => {
  it('loads from plugin_paths and greets a client that binds a resource, per host option', async (t) => {
    const srv = await startTestServer({
      plugin_paths: [pluginDir],
      modules_enabled: ['saslauth', 'motd'],
      c2s_require_encryption: false,
      allow_unencrypted_plain_auth: true,
      VirtualHost: { localhost: { motd_text: 'Hello from the example' } },
    }, { users: { romeo: 'pw' } });
    t.after(() => srv.stop());
    assert.ok(srv.server.modules.isLoaded('localhost', 'motd'));

    const xmpp = client({ service: `xmpp://127.0.0.1:${srv.c2sPort}`, domain: 'localhost', username: 'romeo', password: 'pw', resource: 'r1' });
    xmpp.on('error', () => undefined);
    const got = new Promise<string>((resolve) => {
      xmpp.on('stanza', (s) => { if (s.is('message') && s.attrs.type === 'headline') resolve(s.getChildText('body') ?? ''); });
    });
    await xmpp.start();
    assert.equal(await got, 'Hello from the example');
    await xmpp.stop();

    // Unloading removes exactly its hook; loading it again adds it back.
    const loaded = srv.server.host('localhost').events.handlers('resource-bind').length;
    await srv.server.modules.unload('localhost', 'motd');
    const before = srv.server.host('localhost').events.handlers('resource-bind').length;
    await srv.server.modules.load('localhost', 'motd');
    assert.equal(before, loaded - 1);
    assert.equal(srv.server.host('localhost').events.handlers('resource-bind').length, loaded);
  });
});
