/**
 * Fan-out (core fanout.ts): one stanza to many recipients serialises its content once.
 * Unit checks that a prepared copy serialises exactly as the same stanza built by hand, and
 * real-socket checks: a broadcast to three WebSocket and three TCP sessions (raw clients that
 * read the exact bytes) costs one content serialisation, also when the recipients' output is
 * congested and the copies wait in the session's queue.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { prepareBroadcast, serialize, withAttrs, withDelay, xml, type Element } from '../../lib/index.js';
import { broadcastSerializations } from '../../lib/core/fanout.js';
import { frameText } from '../../lib/modules/websocket/framing.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { login, type WireClient } from '../helpers/wire-client.js';
import { wsLogin, type WsProbe } from '../helpers/ws-probe.js';
import { authenticated, resumeSession, smLogin, type Kind } from '../helpers/sm-client.js';

const ROOM = 'room@conference.localhost';

function groupchat(id: string, text: string): Element {
  return xml('message', { from: `${ROOM}/nick`, type: 'groupchat', id },
    xml('body', {}, text),
    xml('x', { xmlns: 'urn:example:nested' }, xml('item', { a: 'q"<&\'' }, 'deep ', xml('leaf')), ' tail'),
    xml('empty', { xmlns: 'urn:example:empty' }));
}

describe('prepared copies', () => {
  it('serialise exactly like the same stanza addressed by hand, with and without WebSocket framing', () => {
    const template = groupchat('g1', 'café & <3 ]]> \r');
    const prepared = prepareBroadcast(template);
    const before = broadcastSerializations();
    for (const to of ['a@localhost/r1', 'b@localhost/r&2']) {
      const copy = prepared.copyTo(to);
      const byHand = withAttrs(template, { to });
      assert.equal(serialize(copy), serialize(byHand));
      assert.equal(frameText(copy), frameText(byHand));
      assert.match(frameText(copy), /^<message [^>]* xmlns="jabber:client">/);
    }
    const after = broadcastSerializations();
    assert.equal(after.contents - before.contents, 1, 'the content was serialised once for six serialisations of copies');
    assert.equal(after.copies - before.copies, 6, 'every serialisation of a copy reused it');
  });

  it('extra attributes per copy, an empty template and a stanza with its own xmlns', () => {
    const withNs = xml('presence', { xmlns: 'jabber:client', from: `${ROOM}/n` });
    const copy = prepareBroadcast(withNs).copyTo('a@localhost/r', { id: 'p1', from: undefined });
    assert.equal(frameText(copy), '<presence xmlns="jabber:client" to="a@localhost/r" id="p1"/>');
    assert.equal(serialize(copy), '<presence xmlns="jabber:client" to="a@localhost/r" id="p1"/>');
  });

  it('share their children; a copy changed in place or rebuilt is serialised in full, the others are not affected', () => {
    const prepared = prepareBroadcast(groupchat('g2', 'hi'));
    const a = prepared.copyTo('a@localhost/r');
    const b = prepared.copyTo('b@localhost/r');
    assert.notEqual(a.children, b.children);
    assert.deepEqual(a.children, b.children);
    assert.equal(a.children[0], b.children[0]);
    // an archive adding its <stanza-id/> to one recipient's copy (XEP-0359)
    a.append(xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'a@localhost', id: 'sid1' }));
    const before = broadcastSerializations();
    assert.match(serialize(a), /<stanza-id xmlns="urn:xmpp:sid:0" by="a@localhost" id="sid1"\/><\/message>$/);
    assert.equal(broadcastSerializations().copies - before.copies, 0, 'the changed copy did not use the shared content');
    assert.equal(serialize(b), serialize(withAttrs(groupchat('g2', 'hi'), { to: 'b@localhost/r' })));
    assert.equal(broadcastSerializations().copies - before.copies, 1, 'the unchanged copy did');
    const delayed = withDelay(b, ROOM, 0);
    assert.match(serialize(delayed), /<delay xmlns="urn:xmpp:delay" from="room@conference.localhost" stamp="1970-01-01T00:00:00.000Z"\/><\/message>$/);
    assert.doesNotMatch(serialize(b), /delay/, 'the copy itself is unchanged');
    assert.equal(serialize(withAttrs(b, { to: 'c@localhost/r' })), serialize(prepared.copyTo('c@localhost/r')));
  });
});

describe('a broadcast over real sessions', () => {
  let t: TestServer;
  const ws: { probe: WsProbe; jid: string }[] = [];
  const tcp: { client: WireClient; jid: string }[] = [];

  before(async () => {
    const users: Record<string, string> = {};
    for (const u of ['w1', 'w2', 'w3', 't1', 't2', 't3']) users[u] = 'pw';
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'message'],
      consider_websocket_secure: true, c2s_require_encryption: false, allow_unencrypted_plain_auth: true,
    }, { users });
    for (const u of ['w1', 'w2', 'w3']) ws.push(await wsLogin(t.port('http'), u, 'pw', { resource: 'web' }));
    for (const u of ['t1', 't2', 't3']) tcp.push(await login(t.c2sPort, u, 'pw', 'tcp'));
  });

  after(async () => {
    for (const w of ws) w.probe.destroy();
    for (const c of tcp) c.client.destroy();
    await t?.stop();
  });

  /** The small broadcast helper a room would have: one prepared stanza, a routed copy per recipient. */
  function broadcast(template: Element, to: readonly string[]): void {
    const prepared = prepareBroadcast(template);
    for (const jid of to) t.server.route(prepared.copyTo(jid));
  }

  const everyone = (): string[] => [...ws.map((w) => w.jid), ...tcp.map((c) => c.jid)];

  it('writes each recipient its own start tag around the one serialised content', async () => {
    const before = broadcastSerializations();
    broadcast(groupchat('g3', 'one & all'), everyone());
    const after = broadcastSerializations();
    assert.equal(after.contents - before.contents, 1, 'one content serialisation for six recipients');
    assert.equal(after.copies - before.copies, 6, 'each transport (3 WebSocket, 3 TCP) wrote its copy around the shared content');
    const inner = '<body>one &amp; all</body><x xmlns="urn:example:nested"><item a="q&quot;&lt;&amp;&apos;">deep <leaf/></item> tail</x><empty xmlns="urn:example:empty"/>';
    for (const w of ws) {
      // RFC 7395 §3.3.3: each WebSocket message is a complete element with its namespace.
      assert.equal(await w.probe.next(), `<message from="${ROOM}/nick" type="groupchat" id="g3" to="${w.jid}" xmlns="jabber:client">${inner}</message>`);
    }
    for (const c of tcp) {
      const m = await c.client.expect(/<message [\s\S]*?<\/message>/);
      assert.equal(m[0], `<message from="${ROOM}/nick" type="groupchat" id="g3" to="${c.jid}">${inner}</message>`);
    }
  });

  it('copies waiting in a congested output keep their serialised text, and all arrive in order', async () => {
    const reader = tcp[0]!;
    const wsReader = ws[0]!;
    reader.client.socket.pause();
    wsReader.probe.socket.pause();
    const queuedBefore = (t.server.stats.backPressure.get('tcp')?.queued ?? 0) + (t.server.stats.backPressure.get('websocket')?.queued ?? 0);
    const before = broadcastSerializations();
    const count = 60;
    const big = 'z'.repeat(8 * 1024);
    for (let i = 0; i < count; i++) broadcast(groupchat(`q${i}`, `${i} ${big}`), [reader.jid, wsReader.jid]);
    const after = broadcastSerializations();
    assert.equal(after.contents - before.contents, count, 'one content serialisation per broadcast, queued or not');
    const queuedAfter = (t.server.stats.backPressure.get('tcp')?.queued ?? 0) + (t.server.stats.backPressure.get('websocket')?.queued ?? 0);
    assert.ok(queuedAfter > queuedBefore, 'the outputs were congested (the queue was used)');
    reader.client.socket.resume();
    wsReader.probe.socket.resume();
    for (let i = 0; i < count; i++) {
      const m = await reader.client.expect(/<message [\s\S]*?<\/message>/, 10_000);
      assert.equal(m[0], `<message from="${ROOM}/nick" type="groupchat" id="q${i}" to="${reader.jid}"><body>${i} ${big}</body><x xmlns="urn:example:nested"><item a="q&quot;&lt;&amp;&apos;">deep <leaf/></item> tail</x><empty xmlns="urn:example:empty"/></message>`);
      const w = await wsReader.probe.next(10_000);
      assert.match(w, new RegExp(`^<message from="${ROOM}/nick" type="groupchat" id="q${i}" to="${wsReader.jid.replace(/[/.]/g, '\\$&')}" xmlns="jabber:client"><body>${i} z{8192}</body>`));
    }
    // Sent at once: serialised once; queued: serialised once when queued, written as is later.
    assert.equal(broadcastSerializations().copies - before.copies, 2 * count, 'each copy serialised once, queued or not');
  });

  it('a broadcast copy for a gone session is bounced like any groupchat message (RFC 6121 §8.5.3.2.1)', async () => {
    const w = ws[1]!;
    const template = xml('message', { from: w.jid, type: 'groupchat', id: 'gone1' }, xml('body', {}, 'x'));
    broadcast(template, ['t2@localhost/nosuchresource']);
    assert.match(await w.probe.next(), /^<message [^>]*type="error"[^>]*id="gone1"[\s\S]*<service-unavailable /);
  });
});

describe('broadcast copies under stream management (XEP-0198)', () => {
  let t: TestServer;
  let ports: { tcp: number; ws: number };

  before(async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'message', 'smacks'],
      consider_websocket_secure: true, c2s_require_encryption: false, allow_unencrypted_plain_auth: true, smacks_hibernation_time: 30,
    }, { users: { sm1: 'pw', sm2: 'pw' } });
    ports = { tcp: t.c2sPort, ws: t.port('http') };
  });

  after(() => t?.stop());

  const cases: [Kind, Kind, string][] = [['tcp', 'ws', 'sm1'], ['ws', 'tcp', 'sm2']];
  for (const [from, to, user] of cases) {
    it(`are counted, kept while hibernating and resent on resumption (${from} cut, resumed over ${to}), framed for the new transport`, async () => {
      const { c, id } = await smLogin(from, ports, user, 'pw', `r-${from}`);
      const send = (tok: string): void => {
        const prepared = prepareBroadcast(xml('message', { from: `${ROOM}/nick`, type: 'groupchat', id: tok }, xml('body', {}, tok)));
        t.server.route(prepared.copyTo(c.jid));
        prepared.copyTo(`${user}@localhost/elsewhere`); // a second copy: the content is shared
      };
      send(`tok-${from}-1`);
      send(`tok-${from}-2`);
      await c.expect(new RegExp(`<body>tok-${from}-2</body>`));
      assert.equal(c.stanzaCount(), 2);
      c.cut();
      await c.closed;
      send(`tok-${from}-3`); // while hibernating: kept for the resumption
      const again = await authenticated(to, ports, user, 'pw');
      // nothing acknowledged: the server resends all three
      assert.equal(await resumeSession(again, id, 0), 0);
      await again.expect(new RegExp(`<body>tok-${from}-3</body>`));
      assert.deepEqual(again.tokens(), [`tok-${from}-1`, `tok-${from}-2`, `tok-${from}-3`]);
      const starts = [...again.text().matchAll(/<message [^>]*>/g)].map((m) => m[0]);
      assert.equal(starts.length, 3);
      for (const start of starts) {
        assert.ok(start.includes(` to="${c.jid}"`), start);
        // RFC 7395 §3.3.3 on WebSocket; the stream's default namespace on TCP
        if (to === 'ws') assert.match(start, /xmlns="jabber:client"/);
        else assert.doesNotMatch(start, /xmlns=/);
      }
      again.cut();
    });
  }
});
