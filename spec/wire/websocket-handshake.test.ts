/**
 * Wire probes for the WebSocket endpoint's HTTP side: the GET info page,
 * the upgrade checks (xmpp subprotocol, version 426, Origin allow-list 403, malformed
 * requests), and security: `secure` from wss / X-Forwarded-Proto (trusted proxies only) /
 * consider_websocket_secure, the client IP, no STARTTLS, and the operator-facing error text.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, type Session } from '../../lib/core/api.js';
import { request, selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { acceptFor, encodeFrame, newKey, upgradeRequest } from '../helpers/ws-frames.js';
import { WsProbe, errorCondition, errorText } from '../helpers/ws-probe.js';

const seen: { ip: string; secure: boolean; encrypted: boolean; host: string | undefined }[] = [];
const spy = defineModule({
  name: 'spy',
  load(module) {
    module.hookGlobal('websocket-session', ({ session }: { session: Session }) => {
      seen.push({ ip: session.ip, secure: session.secure, encrypted: session.encrypted, host: session.host });
    });
  },
});

let t: TestServer;
let cert: TestCertificate;
let port: number;

before(async () => {
  cert = selfSignedCertificate(['localhost', 'secure.example']);
  t = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'spy'],
    VirtualHost: {
      localhost: { certificate: cert.certificate, key: cert.key },
      'secure.example': { consider_websocket_secure: true },
      'custom.example': { websocket_get_response_body: '<p>custom page</p>' },
      'origins.example': { websocket_allowed_origins: ['https://chat.example.com', '*.example.org', 'null'] },
    },
  }, { modules: [spy] });
  port = t.port('http');
});

after(async () => {
  await t?.stop();
  cert?.remove();
});

describe('GET without an upgrade (point 1)', () => {
  it('answers 200 with the info page, with or without a trailing slash, and warns when not secure', async () => {
    for (const path of ['/xmpp-websocket', '/xmpp-websocket/']) {
      const r = await request({ port, path, headers: { host: 'localhost' } });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/html/);
      assert.match(r.body, /It works! Now point your XMPP client to this URL/);
      assert.match(r.body, /ws:\/\/localhost\/xmpp-websocket/);
      assert.match(r.body, /not considered secure/);
    }
  });

  it('does not warn when a trusted proxy says https, or the host is declared secure', async () => {
    const viaProxy = await request({ port, path: '/xmpp-websocket', headers: { host: 'localhost', 'x-forwarded-proto': 'https' } });
    assert.equal(viaProxy.status, 200);
    assert.doesNotMatch(viaProxy.body, /not considered secure/);
    assert.match(viaProxy.body, /wss:\/\/localhost\/xmpp-websocket/);
    const declared = await request({ port, path: '/xmpp-websocket', headers: { host: 'secure.example' } });
    assert.doesNotMatch(declared.body, /not considered secure/);
  });

  it('warns when the https claim comes from an untrusted peer', async () => {
    const r = await request({ port, path: '/xmpp-websocket', localAddress: '127.0.0.2', headers: { host: 'localhost', 'x-forwarded-proto': 'https' } });
    assert.match(r.body, /not considered secure/);
  });

  it('serves websocket_get_response_body verbatim when set', async () => {
    const r = await request({ port, path: '/xmpp-websocket', headers: { host: 'custom.example' } });
    assert.equal(r.body, '<p>custom page</p>');
  });

  it('sends the info page with a Content-Security-Policy and anti-framing headers', async () => {
    for (const host of ['localhost', 'custom.example']) {
      const r = await request({ port, path: '/xmpp-websocket', headers: { host } });
      assert.equal(r.status, 200, host);
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/, host);
      assert.equal(r.headers['x-frame-options'], 'DENY', host);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', host);
    }
  });

  it('answers HEAD without a body', async () => {
    const r = await request({ port, path: '/xmpp-websocket', method: 'HEAD', headers: { host: 'localhost' } });
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
  });
});

describe('the upgrade (point 2)', () => {
  it('switches protocols naming exactly `xmpp`, with the right accept hash and no extensions', async () => {
    const key = newKey();
    const p = await WsProbe.open(port, { key, protocol: 'chat, xmpp', headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate, x-foo' } });
    const head = await p.head;
    assert.equal(head.status, 101);
    assert.equal(head.headers['sec-websocket-protocol'], 'xmpp');
    assert.equal(head.headers['sec-websocket-accept'], acceptFor(key));
    assert.equal(head.headers['sec-websocket-extensions'], undefined, 'RFC 6455 §9.1: no extension is negotiated');
    assert.equal(head.headers['content-length'], undefined);
    p.destroy();
  });

  it('matches the token case-insensitively and still answers `xmpp`', async () => {
    const p = await WsProbe.open(port, { protocol: 'XMPP' });
    const head = await p.head;
    assert.equal(head.status, 101);
    assert.equal(head.headers['sec-websocket-protocol'], 'xmpp');
    p.destroy();
  });

  it('refuses an upgrade without the xmpp token, with a body that says why', async () => {
    for (const protocol of [null, 'chat', 'xmpp-framing']) {
      const p = await WsProbe.open(port, { protocol });
      const head = await p.head;
      await p.ended;
      assert.equal(head.status, 400, `protocol ${protocol}`);
      assert.match(p.body, /xmpp.{0,20}subprotocol/);
      assert.match(p.body, /RFC 7395/);
    }
  });

  it('refuses a malformed Sec-WebSocket-Protocol with 400', async () => {
    const p = await WsProbe.open(port, { protocol: 'xmpp,,chat' });
    assert.equal((await p.head).status, 400);
    await p.ended;
    assert.match(p.body, /malformed/);
  });

  it('answers a wrong Sec-WebSocket-Version with 426 naming version 13', async () => {
    for (const version of ['8', '14', null]) {
      const p = await WsProbe.open(port, { version });
      const head = await p.head;
      await p.ended;
      assert.equal(head.status, 426, `version ${version}`);
      assert.equal(head.headers['sec-websocket-version'], '13');
      assert.match(p.body, /version 13/);
    }
  });

  it('refuses a bad key, a foreign Upgrade and a non-GET method', async () => {
    const cases: [Parameters<typeof WsProbe.open>[1], number][] = [
      [{ key: 'short' }, 400],
      [{ upgrade: 'h2c' }, 400],
      [{ method: 'POST', headers: { 'Content-Length': '0' } }, 405],
    ];
    for (const [req, status] of cases) {
      const p = await WsProbe.open(port, req);
      assert.equal((await p.head).status, status, JSON.stringify(req));
      await p.ended;
    }
  });

  it('refuses an HTTP/1.0 upgrade with 400 saying HTTP/1.1 is needed (RFC 6455 §4.1)', async () => {
    seen.length = 0;
    const request = upgradeRequest({ host: 'localhost' });
    assert.match(request, /^GET \/xmpp-websocket HTTP\/1\.1\r\n/);
    const p = await WsProbe.open(port, request.replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n'));
    const head = await p.head;
    if (head.status !== 400) p.destroy();
    assert.equal(head.status, 400);
    assert.equal(head.headers['sec-websocket-accept'], undefined);
    await p.ended;
    assert.match(p.body, /HTTP\/1\.1 or later/);
    assert.match(p.body, /RFC 6455 §4\.1/);
    assert.match(head.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, 'the refusal page is not framable');
    assert.deepEqual(seen, [], 'no session was created');
    // The same request as HTTP/1.1 is accepted.
    const ok = await WsProbe.open(port, request);
    assert.equal((await ok.head).status, 101);
    ok.destroy();
  });

  it('reads frames pipelined right behind the request head', async () => {
    const bytes = Buffer.concat([
      Buffer.from(upgradeRequest({ host: 'localhost' })),
      encodeFrame("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"),
    ]);
    const p = await WsProbe.open(port, bytes);
    assert.equal((await p.head).status, 101);
    assert.match(await p.next(), /^<open /);
    p.destroy();
  });

  describe('Origin allow-list', () => {
    const tryOrigin = async (origin: string | undefined): Promise<number> => {
      const p = await WsProbe.open(port, { host: 'origins.example', origin });
      const { status } = await p.head;
      if (status !== 101) {
        await p.ended;
        if (status === 403) assert.match(p.body, /origin/i);
      }
      p.destroy();
      return status;
    };

    it('accepts listed origins, wildcard subdomains and requests without Origin', async () => {
      assert.equal(await tryOrigin('https://chat.example.com'), 101);
      assert.equal(await tryOrigin('https://CHAT.example.com:443'), 101);
      assert.equal(await tryOrigin('https://a.example.org'), 101);
      assert.equal(await tryOrigin('http://b.c.example.org:8080'), 101);
      assert.equal(await tryOrigin('null'), 101);
      assert.equal(await tryOrigin(undefined), 101, 'native clients send no Origin');
    });

    it('refuses other origins with 403', async () => {
      assert.equal(await tryOrigin('https://evil.example.com'), 403);
      assert.equal(await tryOrigin('https://example.org'), 403, 'the wildcard does not cover the apex');
      assert.equal(await tryOrigin('https://chat.example.com.evil.test'), 403);
      assert.equal(await tryOrigin('not an origin'), 403);
    });

    it('accepts any origin where no list is set', async () => {
      const p = await WsProbe.open(port, { host: 'localhost', origin: 'https://anything.test' });
      assert.equal((await p.head).status, 101);
      p.destroy();
    });
  });
});

describe('security (point 3)', () => {
  it('closes an insecure session with a stream error that tells the operator what to set', async () => {
    const p = await WsProbe.connect(port, { host: 'localhost' });
    p.sendText("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
    assert.match(await p.next(), /^<open /);
    const error = await p.next();
    assert.equal(errorCondition(error), 'policy-violation');
    assert.match(errorText(error), /not secure/);
    assert.match(errorText(error), /wss:\/\//);
    assert.match(errorText(error), /consider_websocket_secure/);
    assert.match(errorText(error), /X-Forwarded-Proto/);
    assert.match(await p.next(), /^<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"\/>$/);
    // RFC 6120 §4.4: the server waits for our <close/> before closing the WebSocket.
    p.sendText("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    const close = await p.waitClose();
    assert.equal(close.code, 1008);
    await p.waitEnd();
  });

  it('trusts X-Forwarded-Proto and X-Forwarded-For from a trusted proxy only', async () => {
    seen.length = 0;
    const trusted = await WsProbe.connect(port, { host: 'localhost', headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' } });
    const [, features] = await trusted.open();
    assert.match(features, /<mechanism>PLAIN<\/mechanism>/);
    assert.deepEqual(seen.at(-1), { ip: '203.0.113.9', secure: true, encrypted: false, host: undefined });
    assert.doesNotMatch(features, /-PLUS/, 'no channel binding through a proxy');
    trusted.destroy();

    const untrusted = await WsProbe.connect(port, { host: 'localhost', headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' } }, { localAddress: '127.0.0.2' });
    untrusted.sendText("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
    await untrusted.next();
    assert.equal(errorCondition(await untrusted.next()), 'policy-violation');
    assert.deepEqual(seen.at(-1), { ip: '127.0.0.2', secure: false, encrypted: false, host: undefined });
    untrusted.destroy();
  });

  it('names the proxy header in the error when the session came through a trusted proxy', async () => {
    const p = await WsProbe.connect(port, { host: 'localhost', headers: { 'X-Forwarded-For': '203.0.113.9' } });
    p.sendText("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
    await p.next();
    assert.match(errorText(await p.next()), /proxy in front did not send X-Forwarded-Proto: https/);
    p.destroy();
  });

  it('treats every session of a host with consider_websocket_secure as secure', async () => {
    const p = await WsProbe.connect(port, { host: 'secure.example' });
    const [open, features] = await p.open('secure.example');
    assert.match(open, /from="secure\.example"/);
    assert.match(features, /<mechanism>PLAIN<\/mechanism>/);
    p.destroy();
  });

  it('never offers STARTTLS, even where TCP clients get it, and refuses <starttls/>', async () => {
    const p = await WsProbe.connect(port, { host: 'localhost', headers: { 'X-Forwarded-Proto': 'https' } });
    const [, features] = await p.open();
    assert.doesNotMatch(features, /xmpp-tls/);
    p.sendText("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert.match(await p.next(), /^<failure xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/>$/);
    assert.match(await p.next(), /^<close /);
    p.destroy();
  });

  it('serves wss on the https port: secure, encrypted, with channel binding (-PLUS)', async () => {
    seen.length = 0;
    const p = await WsProbe.connect(t.port('https'), { host: 'localhost' }, { tls: { servername: 'localhost' } });
    const [, features] = await p.open();
    assert.match(features, /<mechanism>PLAIN<\/mechanism>/);
    assert.match(features, /<mechanism>SCRAM-SHA-256-PLUS<\/mechanism>/);
    assert.doesNotMatch(features, /xmpp-tls/);
    assert.deepEqual(seen.at(-1), { ip: '127.0.0.1', secure: true, encrypted: true, host: undefined });
    p.destroy();
  });
});
