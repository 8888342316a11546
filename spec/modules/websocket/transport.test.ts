/**
 * Tests for lib/modules/websocket/transport.ts: the shared transport contract (through a raw
 * WebSocket probe), and what is particular to WebSocket: the pre-RFC framing refused unless
 * the endpoint's host opts in, a binary message (1003), the per-state message limit at its
 * boundary (1009), selectHost refusing a host where the module is not enabled or an origin that
 * host does not allow (and taking that host's settings otherwise), and input held by
 * pauseInput() still processed when the connection drops.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, type Session } from '../../../lib/core/api.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { sessionSpy } from '../../helpers/session-spy.js';
import {
  NS_ECHO, STREAM_CLOSE, describeTransportContract, echo, until, type ContractClient,
} from '../../helpers/transport-contract.js';
import { OP, encodeFrame } from '../../helpers/ws-frames.js';
import { WsProbe, errorCondition, errorText } from '../../helpers/ws-probe.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const CLOSE = `<close xmlns='${FRAMING}'/>`;
const LEGACY_OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The contract's client API over a raw WebSocket probe. */
function wsClient(probe: WsProbe): ContractClient {
  return {
    async open(to = 'localhost') {
      return (await probe.open(to))[1];
    },
    async send(text, cuts = []) {
      if (cuts.length === 0) {
        probe.sendText(text);
        return;
      }
      // RFC 6455 §5.4: one message in fragments, cut where the caller says (inside characters too).
      const bytes = Buffer.from(text);
      const points = [0, ...cuts, bytes.length];
      for (let i = 0; i + 1 < points.length; i++) {
        if (i > 0) await sleep(10);
        probe.sendFrame(bytes.subarray(points[i], points[i + 1]), { opcode: i === 0 ? OP.TEXT : OP.CONT, fin: i + 2 === points.length });
      }
    },
    sendTogether: (texts) => probe.sendRaw(Buffer.concat(texts.map((x) => encodeFrame(x)))),
    async next(ms) {
      const m = await probe.next(ms);
      return m.startsWith('<close ') ? STREAM_CLOSE : m;
    },
    close: () => probe.sendText(CLOSE),
    cut: () => probe.destroy(),
    ended: probe.ended,
    get isEnded() { return probe.isEnded; },
    pauseReading: () => { probe.socket.pause(); },
    resumeReading: () => { probe.socket.resume(); },
    get keepalives() { return probe.pings.length; },
  };
}

describeTransportContract('WebSocketTransport', {
  kind: 'websocket',
  modules: ['websocket'],
  config: { consider_websocket_secure: true },
  connect: async (t) => wsClient(await WsProbe.connect(t.port('http'))),
});

describe('WebSocketTransport', () => {
  let t: TestServer;
  let port: number;
  const spy = sessionSpy();
  const received: { session: Session; n: string }[] = [];
  const echoes = defineModule({
    name: 'echo_log',
    load(m) {
      m.hook(`stanza/${NS_ECHO}:echo`, ({ session, stanza }) => {
        received.push({ session, n: String(stanza.attrs.n) });
        if (stanza.attrs.pause === 'true') session.transport.pauseInput?.();
        return true;
      });
    },
  });

  before(async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'spy', 'echo_log'],
      consider_websocket_secure: true,
      c2s_close_timeout: 1,
      c2s_unauthed_stanza_size_limit: 2000,
      VirtualHost: {
        localhost: {},
        'legacy.example': { websocket_legacy_framing: true },
        'nows.example': { modules_disabled: ['websocket'] },
        'strict.example': { websocket_allowed_origins: ['https://good.example'], websocket_ping_interval: 0.1 },
      },
    }, { users: { juliet: 'pw' }, modules: [spy.module, echoes] });
    port = t.port('http');
  });
  after(() => t?.stop());

  /** Read the stream error and `<close/>`, answer with ours; returns the error and the Close frame's code. */
  const streamEnd = async (p: WsProbe): Promise<{ error: string; code: number }> => {
    const error = await p.next();
    assert.match(await p.next(), /^<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"\/>$/);
    p.sendText(CLOSE);
    const { code } = await p.waitClose();
    await p.waitEnd();
    return { error, code };
  };

  describe('the pre-RFC framing (RFC 7395 §3.3.3)', () => {
    it('is refused with not-well-formed naming <open/> where the endpoint\'s host did not opt in', async () => {
      const p = await WsProbe.connect(port, { host: 'localhost' });
      p.sendText(LEGACY_OPEN);
      // Our header still comes first (RFC 6120 §4.9.1.2), in the RFC framing.
      assert.match(await p.next(), /^<open xmlns="urn:ietf:params:xml:ns:xmpp-framing"/);
      const { error } = await streamEnd(p);
      assert.equal(errorCondition(error), 'not-well-formed');
      assert.match(errorText(error), /RFC 7395 §3\.3\.3.*&lt;open xmlns=/);
    });

    it('is spoken back, header and close, where the endpoint\'s host opts in', async () => {
      const p = await WsProbe.connect(port, { host: 'legacy.example' });
      p.sendText(LEGACY_OPEN.replace("to='localhost'", "to='legacy.example'"));
      assert.match(await p.next(), /^<stream:stream xmlns="jabber:client" xmlns:stream="http:\/\/etherx\.jabber\.org\/streams" from="legacy\.example"/);
      assert.match(await p.next(), /^<stream:features /);
      p.sendText('</stream:stream>');
      assert.equal(await p.next(), '</stream:stream>');
      assert.equal((await p.waitClose()).code, 1000);
      await p.waitEnd();
    });
  });

  it('answers a binary message with unsupported-encoding and Close 1003; the session records the code', async () => {
    spy.clear();
    const p = await WsProbe.connect(port);
    const { session } = await spy.waitFor((r) => r.event === 'websocket-session');
    await p.open();
    p.sendFrame('<presence/>', { opcode: OP.BINARY });
    const { error, code } = await streamEnd(p);
    assert.equal(errorCondition(error), 'unsupported-encoding');
    assert.equal(code, 1003);
    const closed = await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
    assert.deepEqual([closed.reason?.condition, closed.reason?.code], ['unsupported-encoding', 1003]);
  });

  describe('the message limit (c2s_unauthed_stanza_size_limit = 2000 here)', () => {
    const sized = (bytes: number, n: string): string => {
      const bare = echo(n, '');
      return echo(n, 'z'.repeat(bytes - bare.length));
    };

    it('accepts a message of exactly the limit', async () => {
      received.length = 0;
      const p = await WsProbe.connect(port);
      await p.open();
      const message = sized(2000, 'edge');
      assert.equal(Buffer.byteLength(message), 2000);
      p.sendText(message);
      await until(() => received.some((r) => r.n === 'edge'), 'the element at the limit');
      assert.equal(p.closeFrame, undefined);
      p.destroy();
    });

    it('closes on one byte more: policy-violation naming the limit, Close 1009', async () => {
      received.length = 0;
      const p = await WsProbe.connect(port);
      await p.open();
      p.sendText(sized(2001, 'over'));
      const { error, code } = await streamEnd(p);
      assert.equal(errorCondition(error), 'policy-violation');
      assert.match(errorText(error), /accepts 2000 bytes per message/);
      assert.equal(code, 1009);
      assert.deepEqual(received, []);
    });
  });

  describe('selectHost', () => {
    it('refuses a host where the module is not enabled with host-unknown', async () => {
      const p = await WsProbe.connect(port, { host: 'localhost' });
      p.sendText(`<open xmlns='${FRAMING}' to='nows.example' version='1.0'/>`);
      assert.match(await p.next(), /^<open /);
      const { error } = await streamEnd(p);
      assert.equal(errorCondition(error), 'host-unknown');
      assert.match(errorText(error), /not enabled for nows\.example/);
    });

    it('refuses an origin the named host does not allow, though the endpoint let it in', async () => {
      // The request names localhost (no origin list), the stream strict.example.
      const p = await WsProbe.connect(port, { host: 'localhost', origin: 'https://evil.example' });
      p.sendText(`<open xmlns='${FRAMING}' to='strict.example' version='1.0'/>`);
      assert.match(await p.next(), /^<open /);
      const { error } = await streamEnd(p);
      assert.equal(errorCondition(error), 'policy-violation');
      assert.match(errorText(error), /origin.*strict\.example.*websocket_allowed_origins/);
    });

    it('takes the named host\'s settings when it accepts: its ping interval applies', async () => {
      const p = await WsProbe.connect(port, { host: 'localhost', origin: 'https://good.example' });
      const [open, features] = await p.open('strict.example');
      assert.match(open, /from="strict\.example"/);
      assert.match(features, /<mechanisms /);
      await p.waitFor(() => p.pings.length >= 2, 3000, 'pings at strict.example\'s 0.1 s interval');
      assert.equal(p.closeFrame, undefined);
      p.destroy();
    });
  });

  it('still processes input held by pauseInput() when the connection drops', async () => {
    received.length = 0;
    const p = await WsProbe.connect(port);
    await p.open();
    // One write: ws has read all three when the first pauses input.
    p.sendRaw(Buffer.concat([echo('1', 'a', ' pause="true"'), echo('2', 'b'), echo('3', 'c')].map((m) => encodeFrame(m))));
    await until(() => received.length >= 1, 'the first element');
    await sleep(100);
    assert.deepEqual(received.map((r) => r.n), ['1'], 'the others are held');
    const session = received[0]!.session;
    p.destroy();
    const pre = await spy.waitFor((r) => r.event === 'pre-session-close' && r.session === session);
    assert.equal(pre.reason?.dropped, true);
    assert.deepEqual(received.map((r) => r.n), ['1', '2', '3'], 'RFC 7395 §3.6: what arrived before the drop is processed, in order');
  });
});
