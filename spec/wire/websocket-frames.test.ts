/**
 * Wire probes for the WebSocket layer with hand-built frames: text only
 * (binary -> 1003), fragments reassembled (with a ping in between), unmasked frames, RSV bits
 * and reserved opcodes refused, invalid UTF-8 -> 1007, ping -> pong, and the per-state size
 * limits: policy-violation, <close/>, Close 1009, and the session ended for good.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sessionSpy } from '../helpers/session-spy.js';
import { OP, encodeFrame } from '../helpers/ws-frames.js';
import { WsProbe, errorCondition, errorText, wsLogin } from '../helpers/ws-probe.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const UNAUTHED = 2000;
const AUTHED = 20000;
const SMALL_HOST_LIMIT = 12000;

let t: TestServer;
let port: number;
const spy = sessionSpy();

before(async () => {
  t = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'ping', 'spy'],
    consider_websocket_secure: true,
    c2s_unauthed_stanza_size_limit: UNAUTHED,
    c2s_stanza_size_limit: AUTHED,
    websocket_max_fragments: 8,
    VirtualHost: { localhost: {}, 'small.example': { c2s_stanza_size_limit: SMALL_HOST_LIMIT } },
  }, { users: { juliet: 'pw' }, modules: [spy.module] });
  t.server.accounts.create('small.example', 'tiny', 'pw');
  port = t.port('http');
});

after(() => t?.stop());

/** A message stanza of exactly `bytes` bytes. */
function messageOf(bytes: number, to: string): string {
  const head = `<message to='${to}' type='chat'><body>`;
  const tail = '</body></message>';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

describe('frames', () => {
  it('answers a binary message with unsupported-encoding, <close/> and Close 1003', async () => {
    const p = await WsProbe.connect(port);
    await p.open();
    p.sendFrame('<presence/>', { opcode: OP.BINARY });
    const error = await p.next();
    assert.equal(errorCondition(error), 'unsupported-encoding');
    assert.match(errorText(error), /RFC 7395 §3\.2/);
    assert.match(await p.next(), /^<close /);
    assert.equal((await p.waitClose()).code, 1003);
    await p.waitEnd();
  });

  it('reassembles a fragmented message, answering a ping sent between the fragments', async () => {
    const { probe: p } = await wsLogin(port, 'juliet', 'pw');
    const text = "<iq type='get' id='frag' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>";
    p.sendFrame(text.slice(0, 10), { fin: false });
    p.sendFrame(text.slice(10, 30), { opcode: OP.CONT, fin: false });
    p.ping('between');
    p.sendFrame(text.slice(30), { opcode: OP.CONT });
    const reply = await p.until(/id="frag"/);
    assert.match(reply.input, /type="result"/);
    await p.waitFor(() => p.pongs.length > 0);
    assert.equal(p.pongs[0]!.toString(), 'between');
    p.destroy();
  });

  it('fails a message split into more than websocket_max_fragments frames (1008)', async () => {
    const p = await WsProbe.connect(port);
    for (let i = 0; i < 9; i++) p.sendFrame('<', { opcode: i === 0 ? OP.TEXT : OP.CONT, fin: false });
    assert.equal((await p.waitClose()).code, 1008);
    await p.waitEnd();
  });

  it('answers a ping with a pong carrying the same payload, and ignores an unsolicited pong', async () => {
    const p = await WsProbe.connect(port);
    p.sendFrame('unsolicited', { opcode: OP.PONG });
    p.ping('abc');
    await p.waitFor(() => p.pongs.length === 1);
    assert.equal(p.pongs[0]!.toString(), 'abc');
    assert.equal(p.frames.find((f) => f.opcode === OP.PONG)?.masked, false, 'server frames are never masked');
    await p.open();
    p.destroy();
  });

  const protocolErrors: [string, (p: WsProbe) => void, number][] = [
    ['an unmasked client frame', (p) => p.sendFrame(`<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`, { mask: false }), 1002],
    ['RSV1 without an extension', (p) => p.sendFrame('<presence/>', { rsv: 4 }), 1002],
    ['a reserved opcode', (p) => p.sendFrame('<presence/>', { opcode: 0x3 }), 1002],
    ['a control frame over 125 bytes', (p) => p.sendFrame('x'.repeat(126), { opcode: OP.PING }), 1002],
    ['a fragmented control frame', (p) => p.sendFrame('x', { opcode: OP.PING, fin: false }), 1002],
    ['invalid UTF-8', (p) => p.sendFrame(Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x2f, 0x3e])), 1007],
  ];
  for (const [what, send, code] of protocolErrors) {
    it(`fails the connection on ${what} (${code})`, async () => {
      const p = await WsProbe.connect(port);
      send(p);
      assert.equal((await p.waitClose()).code, code);
      await p.waitEnd();
      assert.equal(p.messages.length, 0);
    });
  }

  it('fails a message beyond the buffer limit with 1009 from its header, and ends the session', async () => {
    spy.clear();
    const p = await WsProbe.connect(port);
    await p.open();
    // The buffer limit defaults to twice the largest c2s_stanza_size_limit.
    const size = 2 * AUTHED + 1;
    p.sendRaw(encodeFrame(Buffer.alloc(size, 0x20)).subarray(0, 20));
    assert.equal((await p.waitClose()).code, 1009);
    const closed = await spy.waitFor((r) => r.event === 'c2s-closed');
    assert.equal(closed.reason?.condition, 'policy-violation');
    p.destroy();
  });
});

describe('size limits', () => {
  it('closes an unauthenticated stream over c2s_unauthed_stanza_size_limit: error, <close/>, 1009', async () => {
    spy.clear();
    const p = await WsProbe.connect(port);
    await p.open();
    p.sendText(messageOf(UNAUTHED + 1, 'juliet@localhost'));
    const error = await p.next();
    assert.equal(errorCondition(error), 'policy-violation');
    assert.match(errorText(error), /too large/);
    assert.match(await p.next(), /^<close /);
    assert.equal((await p.waitClose()).code, 1009);
    await p.waitEnd();
    // The session was closed (pre-session-close), not merely dropped: a resume cannot re-send it.
    const session = (await spy.waitFor((r) => r.event === 'c2s-closed')).session;
    assert.ok(spy.of(session).some((r) => r.event === 'pre-session-close' && r.reason?.condition === 'policy-violation'));
  });

  it('raises the limit after authentication, to the host\'s c2s_stanza_size_limit', async () => {
    const { probe: p, jid } = await wsLogin(port, 'juliet', 'pw', { resource: 'big' });
    p.sendText(messageOf(AUTHED, jid));
    const echoed = await p.until(/^<message /);
    assert.ok(echoed.input.length >= AUTHED - 100);
    p.sendText(messageOf(AUTHED + 1, jid));
    assert.equal(errorCondition(await p.next()), 'policy-violation');
    assert.match(await p.next(), /^<close /);
    assert.equal((await p.waitClose()).code, 1009);
    p.destroy();
  });

  it('uses the limit of the session\'s own VirtualHost', async () => {
    const { probe: p, jid } = await wsLogin(port, 'tiny', 'pw', { to: 'small.example' });
    p.sendText(messageOf(SMALL_HOST_LIMIT, jid));
    await p.until(/^<message /);
    p.sendText(messageOf(SMALL_HOST_LIMIT + 1, jid));
    assert.equal(errorCondition(await p.next()), 'policy-violation');
    p.destroy();
  });
});
