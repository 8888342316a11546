/**
 * Tests for lib/cli/announce.ts: what `xmpp-server start` prints: listeners, module endpoints,
 * the chat page of the default configuration, and one warning per risky setting (and none
 * for a careful configuration).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { announce, isLoopback, settingWarnings } from '../../lib/cli/announce.js';
import { defineModule } from '../../lib/core/api.js';
import { defaultConfig } from '../../lib/cli/default-config.js';
import type { Server } from '../../lib/core/server.js';
import { selfSignedCertificate } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';

function printed(server: Server): string {
  let text = '';
  announce(server, new Writable({ write(chunk: Buffer, _enc, done) { text += chunk.toString(); done(); } }));
  return text;
}

const endpointModule = defineModule({
  name: 'test_endpoint',
  load(module) {
    module.provides('endpoint', { label: 'Test thing', url: 'test://somewhere', warning: 'the test thing is wide open' });
  },
});

describe('announce', () => {
  it('prints listeners, the chat page, module endpoints and their warnings', async (t) => {
    const s = await startTestServer({ ...defaultConfig(), https_ports: [], modules_enabled: [...defaultConfig().modules_enabled as string[], 'test_endpoint'] }, { modules: [endpointModule] });
    t.after(() => s.stop());
    const out = printed(s.server);
    const http = s.port('http');
    assert.match(out, /^xmpp-server running for localhost; components conference\.localhost \(muc\)\n/);
    assert.match(out, new RegExp(`\\n  c2s {20}xmpp://127\\.0\\.0\\.1:${s.c2sPort}\\n`));
    assert.match(out, new RegExp(`\\n  http {19}http://127\\.0\\.0\\.1:${http}\\n`));
    assert.match(out, new RegExp(`\\n  Chat page {14}http://localhost:${http}/  \\(localhost\\)\\n`));
    // The websocket module's own endpoint item (plain ws:// here: no https listener).
    assert.match(out, new RegExp(`\\n  WebSocket {14}ws://localhost:${http}/xmpp-websocket\\n`));
    assert.match(out, /\n {2}Test thing {13}test:\/\/somewhere {2}\(localhost\)\n/);
    assert.match(out, /\n {2}warning: the test thing is wide open\n/);
    // The defaults still have risks worth a line: no certificate for TCP, memory storage in tests.
    assert.match(out, new RegExp(`warning: localhost has no certificate and key: TCP clients on port ${s.c2sPort} cannot sign in`));
    assert.match(out, /warning: storage is "memory"/);
  });

  it('warns about each insecure or surprising setting', async (t) => {
    const s = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'register'],
      consider_websocket_secure: true,
      trusted_proxies: ['10.0.0.1', '0.0.0.0/0'],
      VirtualHost: {
        localhost: { c2s_require_encryption: false, allow_unencrypted_plain_auth: true, allow_registration: true },
      },
    });
    t.after(() => s.stop());
    // Tests only bind loopback: describe the listener a config with http_interfaces ["*"] would have.
    const warnings = settingWarnings(s.server, [{ service: 'http', address: '::', port: 5280 }, { service: 'c2s', address: '127.0.0.1', port: 5222 }]);
    const expected = [
      /^plain HTTP listens on \[::\]:5280, which is not loopback/,
      /^trusted_proxies contains 0\.0\.0\.0\/0, which trusts every address/,
      /^storage is "memory"/,
      /^consider_websocket_secure is on for localhost while plain HTTP is reachable from the network/,
      /^c2s_require_encryption is off for localhost/,
      /^allow_unencrypted_plain_auth is on for localhost: passwords may cross the network in clear text/,
      /^allow_registration is on for localhost: anyone who can reach the server can create accounts/,
    ];
    assert.equal(warnings.length, expected.length, warnings.join('\n'));
    expected.forEach((re, i) => assert.match(warnings[i]!, re));
  });

  it('prints no warning for a careful configuration', async (t) => {
    const cert = selfSignedCertificate(['localhost']);
    const data = mkdtempSync(join(tmpdir(), 'xs-announce-'));
    t.after(() => { cert.remove(); rmSync(data, { recursive: true, force: true }); });
    const s = await startTestServer({
      storage: 'sqlite', data_path: data,
      modules_enabled: ['saslauth', 'websocket'],
      VirtualHost: { localhost: { certificate: cert.certificate, key: cert.key } },
    });
    t.after(() => s.stop());
    const out = printed(s.server);
    assert.doesNotMatch(out, /warning/);
    // consider_websocket_secure on loopback-only HTTP is the default config's, and fine.
    assert.deepEqual(settingWarnings(s.server, [{ service: 'http', address: '127.0.0.1', port: 1 }, { service: 'http', address: '::1', port: 1 }]), []);
  });

  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
    for (const a of ['0.0.0.0', '::', '*', '10.0.0.1', '192.168.1.2', 'fe80::1']) assert.ok(!isLoopback(a), a);
  });
});
