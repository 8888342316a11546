/**
 * Wire probes for keepalive and back-pressure: WebSocket pings
 * every websocket_ping_interval, a pong deadline that drops dead peers, the c2s-read-timeout
 * chain (pings for WebSocket sessions, never whitespace; higher handlers first; TCP untouched),
 * and a client that stops reading ending with resource-constraint and Close 1013.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, xml, type SessionEvent } from '../../lib/core/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sessionSpy } from '../helpers/session-spy.js';
import { WireClient, openStream } from '../helpers/wire-client.js';
import { WsProbe, errorCondition, errorText, wsLogin } from '../helpers/ws-probe.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('WebSocket pings (websocket_ping_interval, websocket_pong_timeout)', () => {
  let t: TestServer;
  const spy = sessionSpy();
  after(() => t?.stop());

  it('pings every interval, keeps answering clients, and never sends whitespace', async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'spy'],
      consider_websocket_secure: true,
      websocket_ping_interval: 0.15,
      websocket_pong_timeout: 1,
    }, { users: { juliet: 'pw' }, modules: [spy.module] });
    const port = t.port('http');
    const { probe: p } = await wsLogin(port, 'juliet', 'pw');
    await p.waitFor(() => p.pings.length >= 4, 5000, 'four pings');
    assert.equal(p.closeFrame, undefined);
    assert.equal(p.isEnded, false);
    for (const m of p.messages) assert.notEqual(m.trim(), '', 'RFC 7395 §3.8: no whitespace keepalives');
    p.destroy();
  });

  it('drops a peer that does not answer: connection-timeout, <close/>, Close 1011, session resumable', async () => {
    spy.clear();
    const port = t.port('http');
    const p = await WsProbe.connect(port, {}, { autoPong: false });
    await p.login('juliet', 'pw', 'silent');
    const error = await p.until(/^<stream:error/);
    assert.equal(errorCondition(error.input), 'connection-timeout');
    assert.match(errorText(error.input), /websocket_pong_timeout/);
    assert.match(await p.next(), /^<close /);
    assert.equal((await p.waitClose()).code, 1011);
    const closed = await spy.waitFor((r) => r.event === 'c2s-closed');
    assert.equal(spy.of(closed.session).find((r) => r.event === 'pre-session-close')?.reason?.dropped, true, 'a dead connection is a drop, not a close');
    p.destroy();
  });

  it('counts any message as an answer', async () => {
    const port = t.port('http');
    const p = await WsProbe.connect(port, {}, { autoPong: false });
    await p.login('juliet', 'pw', 'chatty');
    const until = Date.now() + 1800;
    while (Date.now() < until) {
      p.sendText('<presence/>');
      await sleep(100);
    }
    assert.equal(p.closeFrame, undefined, 'traffic proves the peer alive');
    assert.ok(p.pings.length > 0);
    p.destroy();
  });
});

describe('the c2s-read-timeout chain', () => {
  let t: TestServer;
  after(() => t?.stop());
  /** Sends an SM-style request on the first timeout of sessions whose resource is 'sm' (a higher handler). */
  const sm = defineModule({
    name: 'fake_sm',
    load(module) {
      module.hook('c2s-read-timeout', ({ session }: SessionEvent) => {
        if (session.resource !== 'sm') return undefined;
        session.send(xml('r', { xmlns: 'urn:xmpp:sm:3' }));
        return true;
      }, 0);
    },
  });

  it('pings WebSocket sessions after read_timeout silence, after higher handlers, and leaves TCP to c2s', async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'fake_sm'],
      consider_websocket_secure: true,
      c2s_require_encryption: false,
      websocket_ping_interval: 0,
      network_settings: { read_timeout: 0.3 },
    }, { users: { juliet: 'pw' }, modules: [sm] });
    const port = t.port('http');
    const plain = await wsLogin(port, 'juliet', 'pw', { resource: 'plain' });
    const withSm = await wsLogin(port, 'juliet', 'pw', { resource: 'sm' });
    const tcp = await WireClient.connect(t.c2sPort);
    await openStream(tcp);
    await plain.probe.waitFor(() => plain.probe.pings.length >= 2, 5000, 'pings from the chain');
    await withSm.probe.until(/^<r xmlns="urn:xmpp:sm:3"\/>$/);
    assert.equal(withSm.probe.pings.length, 0, 'the higher handler answered first');
    await tcp.expect(/^ +/); // c2s's whitespace keepalive (RFC 6120 §4.6.1)
    for (const m of [...plain.probe.messages, ...withSm.probe.messages]) assert.notEqual(m.trim(), '');
    plain.probe.destroy();
    withSm.probe.destroy();
    tcp.destroy();
  });
});

describe('back-pressure (websocket_max_buffered_bytes)', () => {
  let t: TestServer;
  const spy = sessionSpy();
  after(() => t?.stop());

  it('ends the session of a client that stops reading with resource-constraint and Close 1013', async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'spy'],
      consider_websocket_secure: true,
      websocket_max_buffered_bytes: 65536,
    }, { users: { juliet: 'pw', romeo: 'pw' }, modules: [spy.module] });
    const port = t.port('http');
    const reader = await wsLogin(port, 'juliet', 'pw', { resource: 'stuck' });
    const writer = await wsLogin(port, 'romeo', 'pw');
    reader.probe.socket.pause();
    const body = 'y'.repeat(16000);
    let sent = 0;
    const closed = spy.waitFor((r) => r.event === 'c2s-closed' && r.session.resource === 'stuck', 30_000);
    let done = false;
    void closed.then(() => { done = true; });
    // Fill the socket buffers until the server gives up on the reader.
    while (!done && sent < 20_000) {
      for (let i = 0; i < 50; i++) writer.probe.sendText(`<message to='${reader.jid}' type='chat'><body>${body}</body></message>`);
      sent += 50;
      await sleep(5);
    }
    const record = await closed;
    assert.equal(record.reason?.condition, 'resource-constraint');
    reader.probe.socket.resume();
    const error = await reader.probe.until(/^<stream:error/, 15_000);
    assert.equal(errorCondition(error.input), 'resource-constraint');
    assert.match(errorText(error.input), /websocket_max_buffered_bytes/);
    assert.match(await reader.probe.next(), /^<close /);
    assert.equal((await reader.probe.waitClose()).code, 1013);
    writer.probe.destroy();
  });
});
