/**
 * examples/config.json, the config an operator copies, is valid and does what the README says:
 * started as written (only ports, paths and the certificate swapped for test ones), it serves
 * the chat page and the WebSocket at chat.example.org, advertises the public wss:// URL through
 * host-meta to a request from the trusted proxy, and prints no warning.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingWarnings } from '../../lib/cli/announce.js';
import { Config, type RawConfig } from '../../lib/core/config.js';
import { createServer, type Server } from '../../lib/index.js';
import { request, selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import { captureLog } from '../helpers/log.js';
import { reportedListeners } from '../helpers/server.js';

const FILE = join(import.meta.dirname, '..', '..', '..', 'examples', 'config.json');

describe('examples/config.json', () => {
  let server: Server;
  let cert: TestCertificate;
  let data: string;
  let port: number;

  before(async () => {
    const raw = JSON.parse(readFileSync(FILE, 'utf8')) as RawConfig;
    cert = selfSignedCertificate(['example.org', 'chat.example.org']);
    data = mkdtempSync(join(tmpdir(), 'xs-example-config-'));
    const host = raw.VirtualHost!['example.org']!;
    const config: RawConfig = {
      ...raw,
      data_path: data,
      c2s_ports: [0], c2s_direct_tls_ports: [0], c2s_interfaces: ['127.0.0.1'],
      http_ports: [0], http_interfaces: ['127.0.0.1'],
      VirtualHost: { 'example.org': { ...host, certificate: cert.certificate, key: cert.key } },
    };
    // The file's own path, so "http_files_dir": "web" means examples/web as it does for an operator.
    server = createServer(new Config(config, FILE), { logger: captureLog('silent').logger });
    await server.start();
    port = reportedListeners(server).find((l) => l.service === 'http')!.port;
  });

  after(async () => {
    await server?.stop();
    cert?.remove();
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it('serves the chat page at / and the WebSocket endpoint on its http_host', async () => {
    const page = await request({ port, path: '/', headers: { host: 'chat.example.org' } });
    assert.equal(page.status, 200);
    assert.match(page.body, /app\.bundle\.js/);
    const endpoint = await request({ port, path: '/xmpp-websocket', headers: { host: 'chat.example.org' } });
    assert.equal(endpoint.status, 200);
  });

  it('advertises wss://chat.example.org/xmpp-websocket through host-meta behind the TLS proxy', async () => {
    const reply = await request({ port, path: '/.well-known/host-meta.json', headers: { host: 'chat.example.org', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { links: [{ rel: 'urn:xmpp:alt-connections:websocket', href: 'wss://chat.example.org/xmpp-websocket' }] });
  });

  it('starts without a warning', () => {
    assert.deepEqual(settingWarnings(server, reportedListeners(server)), []);
  });
});
