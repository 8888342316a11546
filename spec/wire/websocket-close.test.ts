/**
 * Wire probes for closing, one code path for every case: client <close/>
 * -> our <close/> -> Close 1000 -> session ended; a bare Close frame or a dropped connection
 * -> session destroyed (resumable later); stream errors -> <stream:error> -> <close/> -> the
 * table's close code; server-initiated closes wait c2s_close_timeout and complete the closing
 * handshake; server stop -> system-shutdown, or <close see-other-uri/> when configured.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Session } from '../../lib/core/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sessionSpy } from '../helpers/session-spy.js';
import { WsProbe, errorCondition, wsLogin } from '../helpers/ws-probe.js';

const CLOSE = "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('closing a running server\'s sessions', () => {
  let t: TestServer;
  let port: number;
  const spy = sessionSpy();

  before(async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'spy'],
      consider_websocket_secure: true,
      c2s_close_timeout: 30,
      VirtualHost: { localhost: {}, 'quick.example': { c2s_close_timeout: 0.3 } },
    }, { users: { juliet: 'pw' }, modules: [spy.module] });
    t.server.accounts.create('quick.example', 'q', 'pw');
    port = t.port('http');
  });
  after(() => t?.stop());

  const sessionOf = async (): Promise<Session> => (await spy.waitFor((r) => r.event === 'websocket-session')).session;

  it('client <close/> -> our <close/> -> Close 1000 -> session ended (not resumable)', async () => {
    spy.clear();
    const { probe: p } = await wsLogin(port, 'juliet', 'pw');
    const session = await sessionOf();
    p.sendText(CLOSE);
    assert.match(await p.next(), /^<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"\/>$/);
    const close = await p.waitClose();
    assert.equal(close.code, 1000);
    await p.waitEnd();
    const events = spy.of(session).map((r) => r.event);
    assert.deepEqual(events.filter((e) => e !== 'websocket-session' && e !== 'websocket-session-opened'), ['pre-session-close', 'c2s-closed']);
    assert.equal(spy.of(session).find((r) => r.event === 'c2s-closed')?.reason, undefined, 'a clean close has no condition');
    assert.equal(session.state, 'closed');
  });

  it('a bare Close frame is echoed and the session ends as dropped, with no <close/> of ours', async () => {
    spy.clear();
    const { probe: p } = await wsLogin(port, 'juliet', 'pw');
    const session = await sessionOf();
    p.close(1000, 'bye');
    assert.equal((await p.waitClose()).code, 1000, 'RFC 6455 §5.5.1: the code is echoed');
    await p.waitEnd();
    const closed = await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
    assert.match(closed.reason?.text ?? '', /WebSocket closed \(1000\)/);
    const pre = spy.of(session).find((r) => r.event === 'pre-session-close');
    assert.equal(pre?.reason?.dropped, true, 'the one close path, as a drop (the stream was not closed)');
    assert.equal(p.messages.filter((m) => m.startsWith('<close')).length, 0, 'we send no <close/> after the Close frame');
  });

  it('a dropped connection destroys the session', async () => {
    spy.clear();
    const { probe: p } = await wsLogin(port, 'juliet', 'pw', { resource: 'drop' });
    const session = await sessionOf();
    p.destroy();
    await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
    assert.equal(spy.of(session).find((r) => r.event === 'pre-session-close')?.reason?.dropped, true);
    assert.equal(t.server.sessions.get('juliet@localhost/drop'), undefined);
  });

  it('a server-initiated close waits c2s_close_timeout for the client\'s <close/>', async () => {
    const first = await wsLogin(port, 'juliet', 'pw', { resource: 'same' });
    // Binding the same resource again closes the first session with <conflict/>.
    const second = await wsLogin(port, 'juliet', 'pw', { resource: 'same' });
    const p = first.probe;
    assert.equal(errorCondition(await p.until(/^<stream:error/).then((m) => m.input)), 'conflict');
    assert.match(await p.next(), /^<close /);
    await sleep(300);
    assert.equal(p.closeFrame, undefined, 'the server still waits for our <close/>');
    p.sendText(CLOSE);
    assert.equal((await p.waitClose()).code, 1000, 'conflict closes with 1000 (stream-errors table)');
    await p.waitEnd();
    second.probe.destroy();
  });

  it('after c2s_close_timeout it sends the Close frame itself and waits for the echo before dropping TCP', async () => {
    const p = await WsProbe.connect(port, { host: 'quick.example' }, { echoClose: false });
    await p.open('quick.example');
    await p.authPlain('q', 'pw');
    await p.open('quick.example');
    await p.bind('x');
    const other = await wsLogin(port, 'q', 'pw', { to: 'quick.example', resource: 'x' });
    assert.equal(errorCondition((await p.until(/^<stream:error/)).input), 'conflict');
    const close = await p.waitClose(3000);
    assert.equal(close.code, 1000);
    await sleep(200);
    assert.equal(p.isEnded, false, 'RFC 6455 §7.1.1: the server waits for the client\'s Close');
    p.close(1000);
    await p.waitEnd();
    other.probe.destroy();
  });
});

describe('server stop', () => {
  it('closes every WebSocket session with system-shutdown, <close/>, Close 1001, after their <close/>', async () => {
    const t = await startTestServer({ modules_enabled: ['saslauth', 'websocket'], consider_websocket_secure: true, c2s_close_timeout: 10 }, { users: { juliet: 'pw' } });
    const port = t.port('http');
    const polite = await wsLogin(port, 'juliet', 'pw', { resource: 'polite' });
    const unopened = await WsProbe.connect(port);
    let stopped = false;
    const stopping = t.stop().then(() => { stopped = true; });
    for (const p of [polite.probe, unopened]) {
      const error = await p.until(/^<stream:error/);
      assert.equal(errorCondition(error.input), 'system-shutdown');
      assert.match(await p.next(), /^<close /);
    }
    assert.equal(stopped, false, 'stop waits for the clients\' <close/>');
    polite.probe.sendText(CLOSE);
    unopened.sendText(CLOSE);
    assert.equal((await polite.probe.waitClose()).code, 1001);
    assert.equal((await unopened.waitClose()).code, 1001);
    await stopping;
    await polite.probe.waitEnd();
  });

  it('sends <close see-other-uri/> instead when websocket_see_other_uri is set, never downgrading a secure session', async () => {
    const t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket'],
      c2s_require_encryption: false,
      websocket_see_other_uri: 'ws://other.example:5280/xmpp-websocket',
      VirtualHost: { localhost: {}, 'tls.example': { consider_websocket_secure: true } },
    }, { users: { juliet: 'pw' } });
    const port = t.port('http');
    const plain = await WsProbe.connect(port);
    await plain.open();
    const fresh = await WsProbe.connect(port);
    const secure = await WsProbe.connect(port, { host: 'tls.example' });
    await secure.open('tls.example');
    const stopping = t.stop();
    assert.equal(await plain.next(), '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="ws://other.example:5280/xmpp-websocket"/>');
    // RFC 7395 §3.6.1: before any <open/>, the redirect is the whole answer.
    assert.equal(await fresh.next(), '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="ws://other.example:5280/xmpp-websocket"/>');
    assert.equal(errorCondition(await secure.next()), 'system-shutdown', 'no ws: redirect for a secure session');
    for (const p of [plain, fresh, secure]) p.sendText(CLOSE);
    assert.equal((await plain.waitClose()).code, 1001);
    assert.equal((await fresh.waitClose()).code, 1001);
    await stopping;
  });
});
