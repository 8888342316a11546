/**
 * End to end: XMPP over WebSocket through a real nginx and a real Apache httpd running the
 * snippets examples/nginx.conf and examples/apache.conf ship (spec/helpers/proxies.ts). Over
 * the proxies' TLS ports a raw client and @xmpp/client log in (secure from X-Forwarded-Proto,
 * client IP from X-Forwarded-For, VirtualHost from Host); over their plain ports the session
 * is refused with a text naming the proxy header. Pings and the closing handshake pass through.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WebSocket as WsWebSocket, type ClientOptions } from 'ws';
import { defineModule, type Session } from '../../lib/core/api.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import { startApache, startNginx, type ProxyOptions, type ProxyProcess } from '../helpers/proxies.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { xmppjsClient } from '../helpers/ws-clients.js';
import { WsProbe, errorCondition, errorText } from '../helpers/ws-probe.js';

const PW = 'through the proxy';
const opened: Session[] = [];
const recorder = defineModule({
  name: 'opened_recorder',
  global: true,
  addHost(module) {
    module.hook('websocket-session-opened', ({ session }) => { opened.push(session); });
  },
});

let server: TestServer;
let cert: TestCertificate;

before(async () => {
  cert = selfSignedCertificate(['a.example', 'chat.b.example', 'localhost']);
  server = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'ping', 'opened_recorder'],
    // As shipped: loopback on both families (the proxies resolve "localhost").
    http_interfaces: ['127.0.0.1', '::1'],
    https_ports: [],
    websocket_ping_interval: 0.2,
    VirtualHost: { 'a.example': {}, 'b.example': { http_host: 'chat.b.example' } },
  }, { modules: [recorder] });
  server.server.accounts.create('a.example', 'alice', PW);
  server.server.accounts.create('b.example', 'bob', PW);
});

after(async () => {
  await server?.stop();
  cert?.remove();
});

function proxyTests(kind: 'nginx' | 'apache', start: (o: ProxyOptions) => Promise<ProxyProcess>): void {
  describe(`behind ${kind}`, () => {
    let proxy: ProxyProcess;
    before(async () => {
      proxy = await start({ upstreamPort: server.port('http'), certificate: cert.certificate, key: cert.key });
    });
    after(async () => {
      // Every tunnel must be closed before the proxy stops: an Apache worker still holding
      // one outlives its parent (and the test's pipes).
      for (let i = 0; i < 100 && server.server.sessions.count > 0; i++) await new Promise((r) => setTimeout(r, 50));
      await proxy?.stop();
    });

    it('logs in over the proxy\'s TLS port: secure, client IP and VirtualHost from the proxy', async () => {
      const p = await WsProbe.connect(proxy.httpsPort, { host: 'chat.b.example' }, { tls: { servername: 'chat.b.example' }, localAddress: '127.0.0.3' });
      const jid = await p.login('bob', PW, 'proxied', 'b.example');
      assert.equal(jid, 'bob@b.example/proxied');
      const session = server.server.sessions.get(jid)!;
      assert.deepEqual([session.host, session.ip, session.secure, session.encrypted], ['b.example', '127.0.0.3', true, false]);
      assert.equal(opened.at(-1), session);
      // Keepalive pings reach the client through the proxy, and its pongs reach us.
      await p.waitFor(() => p.pings.length >= 2, 5000, `pings through ${kind}`);
      p.sendText("<iq type='get' id='ping1' to='b.example'><ping xmlns='urn:xmpp:ping'/></iq>");
      assert.match((await p.until(/id="ping1"/)).input, /type="result"/);
      p.sendText("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
      assert.match(await p.next(), /^<close /);
      assert.equal((await p.waitClose()).code, 1000, proxy.output());
      await p.waitEnd();
    });

    it('lets @xmpp/client log in with SCRAM through the proxy (wss://)', async () => {
      const ca = readFileSync(cert.certificate);
      class TrustingWebSocket extends WsWebSocket {
        constructor(address: string, protocols?: string | string[], options?: ClientOptions) {
          // servername (SNI) is passed on to tls.connect; it is missing from ws's typings.
          super(address, protocols, { ...options, ca, headers: { host: 'a.example' }, ...({ servername: 'a.example' } as ClientOptions) });
        }
      }
      const g = globalThis as { WebSocket?: unknown };
      const previous = g.WebSocket;
      g.WebSocket = TrustingWebSocket;
      try {
        const c = await xmppjsClient(`wss://127.0.0.1:${proxy.httpsPort}/xmpp-websocket`, 'alice', PW, kind, 'a.example');
        assert.equal(c.jid, `alice@a.example/${kind}`);
        assert.equal(server.server.sessions.get(c.jid)?.secure, true);
        await c.ping();
        await c.stop();
      } finally {
        g.WebSocket = previous;
      }
    });

    it('refuses a login over the proxy\'s plain port, naming the header to fix', async () => {
      const p = await WsProbe.connect(proxy.httpPort, { host: 'a.example', headers: { 'X-Forwarded-Proto': 'https' } }, { localAddress: '127.0.0.2' });
      p.sendText("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='a.example' version='1.0'/>");
      assert.match(await p.next(), /^<open /);
      const error = await p.next();
      assert.equal(errorCondition(error), 'policy-violation', 'the client\'s own X-Forwarded-Proto is not believed');
      assert.match(errorText(error), /X-Forwarded-Proto: https/);
      assert.match(await p.next(), /^<close /);
      p.sendText("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
      assert.equal((await p.waitClose()).code, 1008);
      await p.waitEnd();
    });
  });
}

proxyTests('nginx', startNginx);
proxyTests('apache', startApache);
