/**
 * End to end: the server behind a real nginx and a real Apache httpd, each configured with the
 * snippet examples/nginx.conf or examples/apache.conf ships, on loopback. Requests through each
 * proxy (plain and TLS) must reach the VirtualHost named by Host, with the client IP taken from
 * the forwarding headers (not spoofable by the client) and `secure` from X-Forwarded-Proto.
 * Clients connect from 127.0.0.2 / 127.0.0.3, which are not trusted proxies.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule } from '../../lib/core/api.js';
import { request, selfSignedCertificate, startHttpServer, type HttpTestServer, type Reply, type TestCertificate } from '../helpers/http.js';
import { startApache, startNginx, type ProxyOptions, type ProxyProcess } from '../helpers/proxies.js';

/** What the probe app saw: the VirtualHost, client IP, secure flag and the socket peer. */
interface Seen {
  readonly host: string;
  readonly ip: string;
  readonly secure: boolean;
  readonly peer: string;
  readonly path: string;
  readonly query: string;
}

// The probe answers plain GETs at the WebSocket path; when the websocket module lands it
// takes the upgrades at the same path (an app without `upgrade` never receives them).
const probe = defineModule({
  name: 'probe',
  depends: ['http'],
  load(module) {
    module.provides('http', {
      name: 'probe',
      default_path: '/xmpp-websocket',
      route: {
        'GET': (req, res) => res.json({ host: req.host, ip: req.ip, secure: req.secure, peer: req.remoteAddress, path: req.path, query: req.url.search } satisfies Seen),
      },
    });
  },
});

let server: HttpTestServer;
let cert: TestCertificate;

before(async () => {
  cert = selfSignedCertificate(['a.example', 'chat.b.example', 'localhost']);
  server = await startHttpServer({
    modules_enabled: ['http', 'probe'],
    // As shipped: loopback on both families, one port (the proxies resolve "localhost").
    http_interfaces: ['127.0.0.1', '::1'],
    VirtualHost: {
      'a.example': {},
      'b.example': { http_host: 'chat.b.example' },
    },
  }, [probe]);
});

after(async () => {
  await server?.stop();
  cert?.remove();
});

function seen(reply: Reply): Seen {
  assert.equal(reply.status, 200, `status ${reply.status}: ${reply.body.slice(0, 300)}`);
  return JSON.parse(reply.body) as Seen;
}

const LOOPBACK_PEERS = ['127.0.0.1', '::1'];

describe('direct, without a proxy', () => {
  it('ignores forwarding headers from an untrusted client', async () => {
    const s = seen(await request({
      port: server.port, path: '/xmpp-websocket', localAddress: '127.0.0.2',
      headers: { host: 'a.example', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' },
    }));
    assert.deepEqual([s.host, s.ip, s.secure, s.peer], ['a.example', '127.0.0.2', false, '127.0.0.2']);
  });
});

function proxyTests(kind: 'nginx' | 'apache', start: (o: ProxyOptions) => Promise<ProxyProcess>): void {
  describe(`behind ${kind}`, () => {
    let proxy: ProxyProcess;
    before(async () => {
      proxy = await start({ upstreamPort: server.port, certificate: cert.certificate, key: cert.key });
    });
    after(() => proxy?.stop());

    const via = (o: { host: string; tls?: boolean; from?: string; path?: string; headers?: Record<string, string> }): Promise<Reply> => request({
      port: o.tls ? proxy.httpsPort : proxy.httpPort,
      path: o.path ?? '/xmpp-websocket',
      localAddress: o.from ?? '127.0.0.2',
      headers: { host: o.host, ...o.headers },
      tls: o.tls ? { servername: o.host.split(':')[0] } : undefined,
    });

    it('routes each Host to its VirtualHost (http_host included), query intact', async () => {
      const a = seen(await via({ host: 'a.example', path: '/xmpp-websocket?x=1' }));
      assert.deepEqual([a.host, a.path, a.query], ['a.example', '/xmpp-websocket', '?x=1']);
      const b = seen(await via({ host: `chat.b.example:${proxy.httpPort}` }));
      assert.equal(b.host, 'b.example');
    });

    it('passes the server\'s 404 for a host that is not served', async () => {
      const r = await via({ host: 'unknown.example' });
      assert.equal(r.status, 404, proxy.output());
      assert.match(r.body, /Unknown host/);
    });

    it('takes the client IP from X-Forwarded-For, not from what the client claims', async () => {
      const s = seen(await via({ host: 'a.example', headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' } }));
      assert.equal(s.ip, '127.0.0.2');
      assert.equal(s.secure, false, 'the proxy says the client used http');
      assert.ok(LOOPBACK_PEERS.includes(s.peer), `the socket peer is the proxy (${s.peer})`);
    });

    it('marks requests that reached the proxy over TLS as secure', async () => {
      const s = seen(await via({ host: 'chat.b.example', tls: true, from: '127.0.0.3' }));
      assert.deepEqual([s.host, s.ip, s.secure], ['b.example', '127.0.0.3', true]);
      assert.ok(LOOPBACK_PEERS.includes(s.peer));
    });

    // WebSocket logins through these same snippets (session host, ip and secure flag, pings,
    // the closing handshake): spec/e2e/websocket-proxies.test.ts, on a server of its own.
  });
}

proxyTests('nginx', startNginx);
proxyTests('apache', startApache);
