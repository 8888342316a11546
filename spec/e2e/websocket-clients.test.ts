/**
 * Real client libraries over WebSocket in Node: @xmpp/client, strophe.js and stanza log in
 * with their own SASL (SCRAM), exchange messages and directed presence with each other and
 * with a TCP client (both ways), ping the server, and close cleanly (<close/> -> session
 * ended, not merely dropped). @xmpp/client also logs in over wss:// on the https port.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WebSocket as WsWebSocket, type ClientOptions } from 'ws';
import { defineModule, type AuthSuccessEvent, type Session } from '../../lib/core/api.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import { xmppJsClient, type ImClient } from '../helpers/im-clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sessionSpy } from '../helpers/session-spy.js';
import { stanzaClient, stropheClient, xmppjsClient, type WsClient } from '../helpers/ws-clients.js';

const PW = 'correct horse battery';
const mechanisms = new Map<string, string>();
const recorder = defineModule({
  name: 'mech_recorder',
  load(module) {
    module.hook('authentication-success', ({ session, mechanism }: AuthSuccessEvent) => { mechanisms.set(session.username ?? '', mechanism); });
  },
});
const spy = sessionSpy();

let t: TestServer;
let url: string;
const ws: WsClient[] = [];
let tcp: ImClient;

before(async () => {
  t = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'ping', 'roster', 'mech_recorder', 'spy'],
    consider_websocket_secure: true,
    c2s_require_encryption: false,
    allow_unencrypted_plain_auth: true,
  }, { users: { alice: PW, bob: PW, carol: PW, dave: PW }, modules: [recorder, spy.module] });
  url = `ws://127.0.0.1:${t.port('http')}/xmpp-websocket`;
});

after(async () => {
  await Promise.all(ws.map((c) => c.stop().catch(() => undefined)));
  await tcp?.stop();
  await t?.stop();
});

describe('three WebSocket libraries and a TCP client', () => {
  it('log in with each library\'s own SASL (SCRAM) and binding', async () => {
    ws.push(await xmppjsClient(url, 'alice', PW, 'xmppjs'));
    ws.push(await stropheClient(url, 'bob', PW, 'strophe'));
    ws.push(await stanzaClient(url, 'carol', PW, 'stanza'));
    tcp = await xmppJsClient(t.c2sPort, 'dave', PW, 'tcp');
    assert.deepEqual(ws.map((c) => c.jid), ['alice@localhost/xmppjs', 'bob@localhost/strophe', 'carol@localhost/stanza']);
    for (const user of ['alice', 'bob', 'carol']) assert.match(mechanisms.get(user) ?? '', /^SCRAM-SHA-/, user);
    for (const c of ws) assert.equal(t.server.sessions.get(c.jid)?.transport.kind, 'websocket');
    assert.equal(t.server.sessions.get(tcp.jid)?.transport.kind, 'tcp');
  });

  it('exchange messages with each other and with the TCP client, both ways', async () => {
    const [alice, bob, carol] = ws as [WsClient, WsClient, WsClient];
    const ring: [WsClient | 'tcp', WsClient | 'tcp'][] = [[alice, bob], [bob, carol], [carol, 'tcp'], ['tcp', alice], [bob, alice], [alice, 'tcp'], ['tcp', bob], ['tcp', carol]];
    for (const [from, to] of ring) {
      const fromJid = from === 'tcp' ? tcp.jid : from.jid;
      const toJid = to === 'tcp' ? tcp.jid : to.jid;
      const body = `hello from ${fromJid} to ${toJid} <&>`;
      if (from === 'tcp') {
        const { xml } = await import('../../lib/core/api.js');
        await tcp.send(xml('message', { to: toJid, type: 'chat' }, xml('body', {}, body)));
      } else {
        from.sendMessage(toJid, body);
      }
      if (to === 'tcp') {
        const got = await tcp.next((el) => el.name === 'message' && el.getChildText('body') === body, `message ${body}`);
        assert.equal(got.attrs.from, fromJid);
      } else {
        const got = await to.next((s) => s.kind === 'message' && s.body === body);
        assert.equal(got.from, fromJid);
      }
    }
  });

  it('exchange directed presence, WebSocket <-> WebSocket and WebSocket <-> TCP', async () => {
    const [alice, bob, carol] = ws as [WsClient, WsClient, WsClient];
    const { xml } = await import('../../lib/core/api.js');
    alice.sendPresence(bob.jid);
    assert.equal((await bob.next((s) => s.kind === 'presence' && s.from === alice.jid)).type, undefined);
    carol.sendPresence(tcp.jid);
    await tcp.next((el) => el.name === 'presence' && el.attrs.from === carol.jid, 'presence from carol');
    await tcp.send(xml('presence', { to: alice.jid }));
    await alice.next((s) => s.kind === 'presence' && s.from === tcp.jid);
    await tcp.send(xml('presence', { to: carol.jid }));
    await carol.next((s) => s.kind === 'presence' && s.from === tcp.jid);
  });

  it('ping the server (XEP-0199)', async () => {
    for (const c of ws) await c.ping();
  });

  it('close cleanly: <close/> ends each session through the close path', async () => {
    const sessions = new Map<string, Session>();
    for (const c of ws) sessions.set(c.library, t.server.sessions.get(c.jid)!);
    for (const c of ws.splice(0)) {
      await c.stop();
      const session = sessions.get(c.library)!;
      const closed = await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
      assert.equal(closed.reason?.condition, undefined, `${c.library}: no stream error`);
      assert.ok(spy.of(session).some((r) => r.event === 'pre-session-close'), `${c.library}: closed by <close/>, not dropped`);
    }
  });
});

describe('wss:// on the https port', () => {
  let tls: TestServer;
  let cert: TestCertificate;
  before(async () => {
    cert = selfSignedCertificate(['localhost']);
    tls = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'ping'],
      VirtualHost: { localhost: { certificate: cert.certificate, key: cert.key } },
    }, { users: { erin: PW } });
  });
  after(async () => {
    await tls?.stop();
    cert?.remove();
  });

  it('@xmpp/client logs in over TLS; the session is secure and encrypted', async () => {
    const ca = readFileSync(cert.certificate);
    class TrustingWebSocket extends WsWebSocket {
      constructor(address: string, protocols?: string | string[], options?: ClientOptions) {
        super(address, protocols, { ...options, ca });
      }
    }
    const g = globalThis as { WebSocket?: unknown };
    const previous = g.WebSocket;
    g.WebSocket = TrustingWebSocket;
    try {
      const c = await xmppjsClient(`wss://localhost:${tls.port('https')}/xmpp-websocket`, 'erin', PW, 'tls');
      const session = tls.server.sessions.get(c.jid)!;
      assert.equal(session.secure, true);
      assert.equal(session.encrypted, true);
      await c.ping();
      await c.stop();
    } finally {
      g.WebSocket = previous;
    }
  });
});
