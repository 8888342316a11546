/**
 * Tests for lib/modules/websocket/index.ts and endpoint.ts: the hooks (`websocket-session`
 * before the 101 can refuse or annotate, `websocket-session-opened` on the host after
 * <open/>), global vs per-VirtualHost endpoints, per-host options (on the host-agnostic
 * endpoint: the VirtualHost the http module resolved, req.vhost), shared stanzas never
 * mutated, channel binding over wss://, and unload/reload.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, xml, type Session } from '../../../lib/core/api.js';
import type { HttpRequest } from '../../../lib/core/http-api.js';
import type { WebSocketRequest } from '../../../lib/core/websocket-api.js';
import { collectors } from '../../../lib/core/memory-release.js';
import { request, selfSignedCertificate } from '../../helpers/http.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { WsProbe, errorCondition, errorText, wsLogin } from '../../helpers/ws-probe.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

describe('hooks', () => {
  const calls: { host: string | undefined; request: HttpRequest; same: boolean; state: string }[] = [];
  const opened: { host: string | undefined; bus: string; session: Session; request: WebSocketRequest }[] = [];
  const shared = xml('message', { type: 'headline', from: 'localhost' }, xml('body', {}, 'shared'));
  const gate = defineModule({
    name: 'gate',
    global: true,
    load(module) {
      module.hook('websocket-session', ({ session, request }) => {
        calls.push({ host: session.host, request, same: session.data.request === request, state: session.state });
        const mode = request.url.searchParams.get('gate');
        if (mode === 'false') return false;
        if (mode === 'busy') return { status: 429, message: 'Too many connections from you.' };
        if (mode === 'weird') return { status: 200 };
        if (mode === 'throw') throw new Error('handler bug');
        if (mode === 'close') session.close('policy-violation');
        if (mode === 'tag') session.data.tag = request.url.searchParams.get('tag');
        return undefined;
      });
    },
    addHost(module) {
      module.hook('websocket-session-opened', ({ session, request }) => { opened.push({ host: session.host, bus: module.host, session, request }); });
      module.hook('resource-bind', ({ session }) => { session.send(shared); }, -10);
    },
  });
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({ modules_enabled: ['saslauth', 'websocket', 'gate'], consider_websocket_secure: true }, { users: { juliet: 'pw' }, modules: [gate] });
    port = t.port('http');
  });
  after(() => t?.stop());

  const status = async (query: string): Promise<{ status: number; body: string }> => {
    const p = await WsProbe.open(port, { path: `/xmpp-websocket?${query}` });
    const head = await p.head;
    if (head.status === 101) {
      p.destroy();
      return { status: 101, body: '' };
    }
    await p.ended;
    return { status: head.status, body: p.body };
  };

  it('fires websocket-session on the global bus before the 101, with the request on the session', async () => {
    calls.length = 0;
    assert.equal((await status('gate=ok')).status, 101);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.host, undefined, 'no <open/> yet');
    assert.equal(calls[0]!.state, 'connected');
    assert.equal(calls[0]!.same, true, 'session.data.request is the request');
    assert.equal(calls[0]!.request.url.searchParams.get('gate'), 'ok');
    assert.equal(calls[0]!.request.ip, '127.0.0.1');
  });

  it('refuses with 403 on false, or the status a handler returns', async () => {
    assert.equal((await status('gate=false')).status, 403);
    const busy = await status('gate=busy');
    assert.equal(busy.status, 429);
    assert.match(busy.body, /Too many connections from you/);
    assert.equal((await status('gate=weird')).status, 403, 'a non-error status counts as a refusal');
    assert.equal((await status('gate=close')).status, 403, 'a handler that closes the session refuses it');
    assert.equal((await status('gate=throw')).status, 500);
    assert.equal(t.server.sessions.count, 0, 'refused sessions are gone');
  });

  it('lets a handler annotate the session', async () => {
    const { probe, jid } = await wsLogin(port, 'juliet', 'pw', { request: { path: '/xmpp-websocket?gate=tag&tag=blue' } });
    assert.equal(t.server.sessions.get(jid)?.data.tag, 'blue');
    probe.destroy();
  });

  it('keeps the request without Node\'s request object once the handshake is done; the opened event gets the same', async () => {
    calls.length = 0;
    opened.length = 0;
    const { probe, jid } = await wsLogin(port, 'juliet', 'pw', { request: { path: '/xmpp-websocket?gate=ok&x=%C3%A9' } });
    const session = t.server.sessions.get(jid)!;
    const raw = new WeakRef(calls[0]!.request.raw);
    calls.length = 0; // the test's own reference to the upgrade request
    const kept = session.data.request as WebSocketRequest & { raw?: unknown };
    assert.equal(kept.raw, undefined, 'no raw request');
    assert.equal(kept.url.searchParams.get('x'), '\u00e9', 'the URL with its query');
    assert.equal(kept.url.protocol, 'http:', 'the scheme of the request (plain HTTP here)');
    assert.equal(kept.path, '/xmpp-websocket');
    assert.equal(kept.headers['sec-websocket-protocol'], 'xmpp', 'the headers');
    assert.equal(kept.ip, '127.0.0.1');
    assert.equal(kept.secure, false, 'the request\'s own secure (the session is secure by consider_websocket_secure)');
    assert.equal(session.secure, true);
    assert.equal(kept.app, 'websocket');
    assert.equal(kept.host, '*');
    assert.equal(kept.vhost, 'localhost');
    assert.equal(typeof kept.remotePort, 'number');
    const event = opened.find((o) => o.session === session);
    assert.equal(event?.request, kept, 'websocket-session-opened carries what the session keeps');
    // Nothing else holds the IncomingMessage: it is collected while the session lives on.
    await new Promise((resolve) => setImmediate(resolve));
    collectors().full();
    assert.equal(raw.deref(), undefined, 'the IncomingMessage was collected');
    assert.equal(session.closed, false);
    probe.destroy();
  });

  it('fires websocket-session-opened on the host once the first <open/> is accepted, not on restarts', async () => {
    opened.length = 0;
    const { probe, jid } = await wsLogin(port, 'juliet', 'pw');
    const session = t.server.sessions.get(jid)!;
    assert.deepEqual(opened.map((o) => [o.host, o.bus]), [['localhost', 'localhost']]);
    assert.equal(opened[0]!.session, session);
    probe.destroy();
    const refused = await WsProbe.connect(port);
    refused.sendText(`<open xmlns='${FRAMING}' to='nowhere.example' version='1.0'/>`);
    await refused.until(/^<stream:error/);
    assert.equal(opened.length, 1, 'not for a refused stream');
    refused.destroy();
  });

  it('never mutates a stanza it frames: the shared element keeps no xmlns', async () => {
    const { probe } = await wsLogin(port, 'juliet', 'pw');
    const got = probe.messages.find((m) => m.includes('<body>shared</body>'));
    assert.match(got ?? '', /^<message [^>]*xmlns="jabber:client"/);
    assert.equal(shared.attrs.xmlns, undefined);
    probe.destroy();
  });
});

describe('per-VirtualHost endpoints and options', () => {
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth'],
      consider_websocket_secure: true,
      VirtualHost: {
        'a.example': { modules_enabled: ['websocket'], websocket_ping_interval: 0.1 },
        'b.example': { modules_enabled: ['websocket'] },
        'c.example': {},
      },
    });
    port = t.port('http');
  });
  after(() => t?.stop());

  it('serves the endpoint only on hosts that enable it (no host-agnostic route)', async () => {
    for (const [host, expected] of [['a.example', 101], ['b.example', 101], ['c.example', 404], ['127.0.0.1', 404]] as const) {
      const p = await WsProbe.open(port, { host });
      assert.equal((await p.head).status, expected, host);
      p.destroy();
    }
    const page = await request({ port, path: '/xmpp-websocket', headers: { host: 'c.example' } });
    assert.equal(page.status, 404);
  });

  it('accepts streams only to its own host on a per-host endpoint', async () => {
    const p = await WsProbe.connect(port, { host: 'a.example' });
    p.sendText(`<open xmlns='${FRAMING}' to='b.example' version='1.0'/>`);
    assert.match(await p.next(), /^<open /);
    const error = await p.next();
    assert.equal(errorCondition(error), 'host-unknown');
    assert.match(errorText(error), /serves a\.example/);
    p.destroy();
  });

  it('applies each host\'s keepalive settings', async () => {
    const a = await WsProbe.connect(port, { host: 'a.example' });
    await a.open('a.example');
    const b = await WsProbe.connect(port, { host: 'b.example' });
    await b.open('b.example');
    await a.waitFor(() => a.pings.length >= 3, 3000, 'pings on a.example');
    assert.equal(b.pings.length, 0, 'b.example keeps the 30 s default');
    a.destroy();
    b.destroy();
  });
});

describe('enabled globally', () => {
  it('answers for any Host header, and the stream picks the VirtualHost', async (ctx) => {
    const t = await startTestServer({ modules_enabled: ['saslauth', 'websocket'], consider_websocket_secure: true, VirtualHost: { localhost: {}, 'b.example': {} } });
    ctx.after(() => t.stop());
    const p = await WsProbe.connect(t.port('http'), { host: '127.0.0.1' });
    const [open] = await p.open('b.example');
    assert.match(open, /from="b\.example"/);
    p.destroy();
  });
});

describe('host-agnostic endpoint: the VirtualHost of the request (req.vhost)', () => {
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket'],
      consider_websocket_secure: true,
      VirtualHost: {
        'a.example': {},
        'b.example': { http_host: 'chat.b.example', websocket_get_response_body: '<p>b page</p>', websocket_allowed_origins: ['https://b.example'] },
      },
    });
    port = t.port('http');
  });
  after(() => t?.stop());

  it('applies the settings of the host the http_host name routes to, the global ones otherwise', async () => {
    assert.equal((await request({ port, path: '/xmpp-websocket', headers: { host: 'chat.b.example' } })).body, '<p>b page</p>');
    for (const host of ['a.example', 'unknown.example']) {
      assert.match((await request({ port, path: '/xmpp-websocket', headers: { host } })).body, /It works!/, host);
    }
  });

  it('checks the Origin against that host\'s allow-list before the upgrade', async () => {
    const refused = await WsProbe.open(port, { host: 'chat.b.example', origin: 'https://evil.example' });
    assert.equal((await refused.head).status, 403);
    refused.destroy();
    const allowed = await WsProbe.open(port, { host: 'chat.b.example', origin: 'https://b.example' });
    assert.equal((await allowed.head).status, 101);
    allowed.destroy();
    const elsewhere = await WsProbe.open(port, { host: 'a.example', origin: 'https://evil.example' });
    assert.equal((await elsewhere.head).status, 101, 'the global settings allow any origin');
    elsewhere.destroy();
  });
});

describe('wss:// channel binding (XEP-0440)', () => {
  const cert = selfSignedCertificate(['localhost']);
  let t: TestServer;
  let features: string;
  before(async () => {
    t = await startTestServer({ modules_enabled: ['saslauth', 'websocket'], VirtualHost: { localhost: { certificate: cert.certificate, key: cert.key } } });
    const p = await WsProbe.connect(t.port('https'), {}, { tls: { servername: 'localhost' } });
    [, features] = await p.open();
    p.destroy();
  });
  after(async () => {
    await t?.stop();
    cert.remove();
  });

  it('offers SCRAM-*-PLUS with tls-exporter over TLS 1.3 (RFC 9266)', () => {
    assert.match(features, /<mechanism>SCRAM-SHA-256-PLUS<\/mechanism>/);
    assert.match(features, /<sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0">.*<channel-binding type="tls-exporter"\/>.*<\/sasl-channel-binding>/);
  });

  it('offers tls-server-end-point too (RFC 5929), as STARTTLS does', () => {
    assert.match(features, /<sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0"><channel-binding type="tls-exporter"\/><channel-binding type="tls-server-end-point"\/><\/sasl-channel-binding>/);
  });
});

describe('unload and reload', () => {
  it('removes the routes and closes the sessions; loading again serves new ones', async (ctx) => {
    const t = await startTestServer({ modules_enabled: ['saslauth'], consider_websocket_secure: true, c2s_close_timeout: 1, VirtualHost: { localhost: { modules_enabled: ['websocket'] } } });
    ctx.after(() => t.stop());
    const port = t.port('http');
    const p = await WsProbe.connect(port);
    await p.open();
    const unloading = t.server.modules.unload('localhost', 'websocket');
    assert.equal(errorCondition(await p.next()), 'system-shutdown');
    p.sendText(`<close xmlns='${FRAMING}'/>`);
    assert.equal((await p.waitClose()).code, 1001);
    await unloading;
    assert.equal((await request({ port, path: '/xmpp-websocket', headers: { host: 'localhost' } })).status, 404);
    assert.equal(t.server.host('localhost').events.handlers('c2s-read-timeout').length, 0, 'nothing of websocket\'s is left (the keepalive is the session\'s own fallback)');
    await t.server.modules.load('localhost', 'websocket');
    const again = await WsProbe.connect(port);
    const [open] = await again.open();
    assert.match(open, /^<open /);
    again.destroy();
  });
});
