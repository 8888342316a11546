/**
 * Tests for lib/modules/websocket/discovery.ts: XEP-0156 host-meta (XRD)
 * and host-meta.json (JRD) per VirtualHost, advertising only the public wss:// URL (from the
 * https listener or http_external_url), with `Access-Control-Allow-Origin: *`, over HTTPS only.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hostMetaJrd, hostMetaXrd } from '../../../lib/modules/websocket/discovery.js';
import { request, selfSignedCertificate, type TestCertificate } from '../../helpers/http.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const REL = 'urn:xmpp:alt-connections:websocket';

describe('documents', () => {
  it('renders XRD and JRD with one link, or none', () => {
    assert.equal(hostMetaXrd('wss://a.example/ws?x=1&y=2'),
      `<?xml version="1.0" encoding="utf-8"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n  <Link rel="${REL}" href="wss://a.example/ws?x=1&amp;y=2"/>\n</XRD>\n`);
    assert.doesNotMatch(hostMetaXrd(undefined), /<Link/);
    assert.deepEqual(JSON.parse(hostMetaJrd('wss://a.example/ws')), { links: [{ rel: REL, href: 'wss://a.example/ws' }] });
    assert.deepEqual(JSON.parse(hostMetaJrd(undefined)), { links: [] });
  });
});

describe('host-meta per VirtualHost', () => {
  let t: TestServer;
  let cert: TestCertificate;
  before(async () => {
    cert = selfSignedCertificate(['localhost']);
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket'],
      access_control_allow_origins: ['https://only.example'],
      VirtualHost: {
        localhost: { certificate: cert.certificate, key: cert.key },
        'ext.example': { http_external_url: 'https://chat.ext.example/prefix/' },
        'off.example': { websocket_host_meta: false },
      },
    });
  });
  after(async () => {
    await t?.stop();
    cert?.remove();
  });

  it('serves XRD over https with the wss:// URL of the endpoint and ACAO *', async () => {
    const https = t.port('https');
    const r = await request({ port: https, path: '/.well-known/host-meta', tls: { servername: 'localhost' }, headers: { host: 'localhost', origin: 'https://other.example' } });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/xrd\+xml/);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.match(r.body, new RegExp(`<Link rel="${REL}" href="wss://localhost:${https}/xmpp-websocket"/>`));
  });

  it('serves JRD at host-meta.json', async () => {
    const https = t.port('https');
    const r = await request({ port: https, path: '/.well-known/host-meta.json', tls: { servername: 'localhost' }, headers: { host: 'localhost' } });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.deepEqual(JSON.parse(r.body), { links: [{ rel: REL, href: `wss://localhost:${https}/xmpp-websocket` }] });
  });

  it('honours http_external_url behind a TLS proxy', async () => {
    const r = await request({ port: t.port('http'), path: '/.well-known/host-meta.json', headers: { host: 'ext.example', 'x-forwarded-proto': 'https' } });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body).links, [{ rel: REL, href: 'wss://chat.ext.example/prefix/xmpp-websocket' }]);
  });

  it('is not served over plain HTTP (XEP-0156 §3.2), and not where websocket_host_meta is off', async () => {
    const plain = await request({ port: t.port('http'), path: '/.well-known/host-meta', headers: { host: 'ext.example' } });
    assert.equal(plain.status, 404);
    assert.match(plain.body, /only served over HTTPS/);
    const off = await request({ port: t.port('http'), path: '/.well-known/host-meta', headers: { host: 'off.example', 'x-forwarded-proto': 'https' } });
    assert.equal(off.status, 404);
  });
});

describe('without any https URL', () => {
  it('lists no WebSocket link rather than a ws:// one (XEP-0156 §3.2 rule 1)', async (ctx) => {
    const t = await startTestServer({ modules_enabled: ['saslauth', 'websocket'], consider_websocket_secure: true });
    ctx.after(() => t.stop());
    const xrd = await request({ port: t.port('http'), path: '/.well-known/host-meta', headers: { host: 'localhost' } });
    assert.equal(xrd.status, 200);
    assert.doesNotMatch(xrd.body, /<Link/);
    const jrd = await request({ port: t.port('http'), path: '/.well-known/host-meta.json', headers: { host: 'localhost' } });
    assert.deepEqual(JSON.parse(jrd.body), { links: [] });
  });
});
