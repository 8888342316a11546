/**
 * Wire probes for RFC 7395 §3 framing: our `<open/>` and its attributes,
 * features and stanzas as self-contained messages, restarts with new ids, stanzas without
 * xmlns, and every inbound framing error (two elements, text, `<stream:stream>`, wrong
 * namespaces, first message not `<open/>`, unknown hosts) with the opt-in legacy framing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WsProbe, errorCondition, errorText, parseStandalone, wsLogin } from '../helpers/ws-probe.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const OPEN = `<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`;

let t: TestServer;
let port: number;

before(async () => {
  t = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'ping'],
    consider_websocket_secure: true,
    c2s_close_timeout: 1,
    VirtualHost: {
      localhost: {},
      'legacy.example': { websocket_legacy_framing: true },
      'nows.example': { modules_disabled: ['websocket'] },
    },
  }, { users: { juliet: 'pw', romeo: 'pw' } });
  t.server.accounts.create('legacy.example', 'old', 'pw');
  port = t.port('http');
});

after(() => t?.stop());

/** Read the stream error, `<close/>` and Close frame that end a stream; answer politely. */
async function expectStreamEnd(p: WsProbe, condition: string, code: number): Promise<string> {
  const error = await p.next();
  assert.equal(errorCondition(error), condition, error);
  parseStandalone(error);
  assert.match(await p.next(), /^<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"\/>$/);
  p.sendText(`<close xmlns='${FRAMING}'/>`);
  assert.equal((await p.waitClose()).code, code);
  await p.waitEnd();
  return errorText(error);
}

describe('our side of the stream', () => {
  it('answers <open/> with from, id, version and xml:lang, then features in their own message', async () => {
    const p = await WsProbe.connect(port);
    p.sendText(`<open xmlns='${FRAMING}' to='localhost' version='1.0' xml:lang='de' id='ignored'/>`);
    const open = await p.next();
    const root = parseStandalone(open);
    assert.equal(root.name, 'open');
    assert.equal(root.attrs.xmlns, FRAMING);
    assert.equal(root.attrs.from, 'localhost');
    assert.equal(root.attrs.version, '1.0');
    assert.equal(root.attrs['xml:lang'], 'de');
    assert.match(root.attrs.id ?? '', /^[\w-]{8,}$/);
    assert.notEqual(root.attrs.id, 'ignored', 'RFC 6120 §4.7.3: a client id is ignored');
    assert.equal(root.attrs.to, undefined, 'no to without a from');
    assert.match(open, /\/>$/, 'RFC 7395 App. A: <open/> is empty');
    const features = await p.next();
    assert.equal(parseStandalone(features).name, 'stream:features');
    assert.match(features, /^<stream:features xmlns:stream="http:\/\/etherx\.jabber\.org\/streams">/);
    p.destroy();
  });

  it('reflects the client\'s from as to (RFC 6120 §4.7.2)', async () => {
    const p = await WsProbe.connect(port);
    p.sendText(`<open xmlns='${FRAMING}' to='localhost' from='juliet@localhost' version='1.0'/>`);
    assert.equal(parseStandalone(await p.next()).attrs.to, 'juliet@localhost');
    p.destroy();
  });

  it('sends every message as one standalone element: stanzas carry jabber:client, restarts get new ids', async () => {
    const p = await WsProbe.connect(port);
    const [open1] = await p.open();
    assert.equal(await p.authPlain('juliet', 'pw'), '<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>');
    const [open2, features] = await p.open();
    assert.notEqual(parseStandalone(open1).attrs.id, parseStandalone(open2).attrs.id, 'RFC 6120 §4.3.3: a new stream id');
    assert.match(features, /urn:ietf:params:xml:ns:xmpp-bind/);
    assert.doesNotMatch(features, /mechanisms/);
    await p.bind('r1');
    // No xmlns on the client's stanza: treated as jabber:client.
    p.sendText("<iq type='get' id='ping1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    const pong = await p.until(/id="ping1"/);
    assert.match(pong.input, /^<iq [^>]*type="result"/);
    for (const m of p.messages) {
      const root = parseStandalone(m);
      if (['iq', 'message', 'presence'].includes(root.name)) assert.equal(root.attrs.xmlns, 'jabber:client', m);
      assert.doesNotMatch(m, /<stream:stream/);
      assert.doesNotMatch(m, /^\s|\s$/, 'no whitespace around messages');
    }
    p.destroy();
  });

  it('delivers stanzas between two WebSocket sessions, each a message of its own', async () => {
    const a = await wsLogin(port, 'juliet', 'pw', { resource: 'a' });
    const b = await wsLogin(port, 'romeo', 'pw', { resource: 'b' });
    a.probe.sendText(`<message to='${b.jid}' type='chat' id='m1'><body>hi &amp; bye</body></message>`);
    const got = await b.probe.until(/^<message /);
    const root = parseStandalone(got.input);
    assert.equal(root.attrs.xmlns, 'jabber:client');
    assert.equal(root.attrs.from, a.jid);
    assert.match(got.input, /<body>hi &amp; bye<\/body>/);
    a.probe.destroy();
    b.probe.destroy();
  });
});

describe('inbound framing errors cite RFC 7395 §3.3.3', () => {
  const opened = async (): Promise<WsProbe> => {
    const p = await WsProbe.connect(port);
    await p.open();
    return p;
  };

  it('two elements in one message', async () => {
    const p = await opened();
    p.sendText('<presence/><presence/>');
    assert.match(await expectStreamEnd(p, 'not-well-formed', 1007), /RFC 7395 §3\.3\.3/);
  });

  it('text outside the element', async () => {
    const p = await opened();
    p.sendText('<presence/>trailing text');
    assert.match(await expectStreamEnd(p, 'not-well-formed', 1007), /RFC 7395 §3\.3\.3/);
  });

  it('a message that does not start with <', async () => {
    const p = await opened();
    p.sendText(' <presence/>');
    assert.match(await expectStreamEnd(p, 'not-well-formed', 1007), /RFC 7395 §3\.3\.3/);
  });

  it('half an element', async () => {
    const p = await opened();
    p.sendText('<message><body>x</message>');
    await expectStreamEnd(p, 'not-well-formed', 1007);
  });

  it('a <stream:stream> opening without the legacy opt-in', async () => {
    const p = await WsProbe.connect(port);
    p.sendText("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
    assert.match(await p.next(), /^<open /, 'RFC 6120 §4.9.1.2: our header first');
    assert.match(await expectStreamEnd(p, 'not-well-formed', 1007), /RFC 7395 §3\.3\.3/);
  });

  it('restricted XML (a comment)', async () => {
    const p = await opened();
    p.sendText('<presence><!-- hi --></presence>');
    await expectStreamEnd(p, 'restricted-xml', 1007);
  });
});

describe('stream headers', () => {
  it('refuses <open/> in the wrong namespace with invalid-namespace (RFC 7395 §3.3.2)', async () => {
    const p = await WsProbe.connect(port);
    p.sendText("<open xmlns='jabber:client' to='localhost' version='1.0'/>");
    assert.match(await p.next(), new RegExp(`^<open xmlns="${FRAMING}"`));
    assert.match(await expectStreamEnd(p, 'invalid-namespace', 1007), /RFC 7395 §3\.3\.2/);
  });

  it('answers a first message that is not <open/> with <open/>, not-authorized, <close/>', async () => {
    const p = await WsProbe.connect(port);
    p.sendText('<presence/>');
    assert.match(await p.next(), /^<open /);
    await expectStreamEnd(p, 'not-authorized', 1008);
  });

  it('answers host-unknown for a missing or foreign to', async () => {
    for (const attr of ['', " to='elsewhere.example'"]) {
      const p = await WsProbe.connect(port);
      p.sendText(`<open xmlns='${FRAMING}'${attr} version='1.0'/>`);
      assert.match(await p.next(), /^<open /);
      await expectStreamEnd(p, 'host-unknown', 1008);
    }
  });

  it('refuses a stream to a host where the module is not enabled', async () => {
    const p = await WsProbe.connect(port);
    p.sendText(`<open xmlns='${FRAMING}' to='nows.example' version='1.0'/>`);
    await p.next();
    assert.match(await expectStreamEnd(p, 'host-unknown', 1008), /not enabled for nows\.example/);
  });

  it('refuses a second <open/> outside a restart', async () => {
    const p = await WsProbe.connect(port);
    await p.open();
    p.sendText(OPEN);
    await expectStreamEnd(p, 'bad-format', 1007);
  });

  it('accepts the pre-RFC framing where websocket_legacy_framing is on', async () => {
    const header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='legacy.example' version='1.0'>";
    const p = await WsProbe.connect(port, { host: 'legacy.example' });
    p.sendText(header);
    assert.match(await p.next(), /^<stream:stream xmlns="jabber:client" xmlns:stream="http:\/\/etherx\.jabber\.org\/streams" from="legacy\.example" id="[^"]+" version="1\.0" xml:lang="en">$/);
    assert.match(await p.next(), /<mechanism>PLAIN<\/mechanism>/);
    assert.match(await p.authPlain('old', 'pw'), /^<success/);
    p.sendText(header);
    assert.match(await p.next(), /^<stream:stream /);
    assert.match(await p.next(), /xmpp-bind/);
    assert.match(await p.bind('legacy'), /^old@legacy\.example\/legacy$/);
    p.sendText('</stream:stream>');
    assert.equal(await p.next(), '</stream:stream>');
    assert.equal((await p.waitClose()).code, 1000);
    await p.waitEnd();
  });
});
