/**
 * Tests for lib/modules/smacks (XEP-0198) on the wire, over TCP and WebSocket: the feature,
 * enabling, acks both ways and their errors, resumption after a cut (from either transport to
 * either), taking over a live session, failures, hibernation timeouts and queue overflow
 * never losing a stanza.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { authenticated, bindResource, resumeSession, smLogin, SM3, type Kind } from '../../helpers/sm-client.js';
import { connectToken, duplicates, tokenMessage } from '../../helpers/token-clients.js';

const PW = 'pw';
const CONFIG = {
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'smacks'],
  consider_websocket_secure: true,
  c2s_require_encryption: false,
  allow_unencrypted_plain_auth: true,
  c2s_close_timeout: 1,
};

let t: TestServer;
let ports: { tcp: number; ws: number };
before(async () => {
  const users = { alice: PW, bob: PW, carol: PW, dave: PW, erin: PW, frank: PW, gina: PW };
  t = await startTestServer({ ...CONFIG, smacks_hibernation_time: 3, smacks_max_queue_size: 50, smacks_max_hibernation_bytes: 65536 }, { users });
  ports = { tcp: t.c2sPort, ws: t.port('http') };
});
after(() => t.stop());

const stored = (user: string): number => t.server.storage.listStats('localhost', 'offline', user).count;

describe('stream management: the protocol', () => {
  for (const kind of ['tcp', 'ws'] as Kind[]) {
    it(`${kind}: offered after authentication, enabled only after binding, once`, async () => {
      const c = await authenticated(kind, ports, 'alice', PW);
      assert.match(c.text(), new RegExp(`<sm xmlns="${SM3}"/>`));
      c.write(`<enable xmlns='${SM3}' resume='true'/>`);
      assert.match((await c.expect(/<failed\b[\s\S]*?<\/failed>/))[0], /unexpected-request/);
      await bindResource(c, `p-${kind}`);
      c.write(`<enable xmlns='${SM3}' resume='true'/>`);
      const enabled = (await c.expect(/<enabled\b[^>]*\/>/))[0];
      assert.match(enabled, /resume="true"/);
      assert.match(enabled, /max="3"/);
      assert.ok((/id="([^"]+)"/.exec(enabled)?.[1] ?? '').length >= 20, 'an unguessable id');
      c.write(`<enable xmlns='${SM3}'/>`);
      assert.match((await c.expect(/<failed\b[\s\S]*?<\/failed>/))[0], /unexpected-request/);
      c.cut();
    });

    it(`${kind}: <r/> is answered with the count of stanzas handled (nonzas do not count)`, async () => {
      const { c } = await smLogin(kind, ports, 'alice', PW, `r-${kind}`);
      for (let i = 0; i < 3; i++) c.write(`<iq type='get' id='p${i}' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`);
      c.write(`<r xmlns='${SM3}'/>`);
      assert.match((await c.expect(/<a xmlns="urn:xmpp:sm:3" h="(\d+)"\/>/))[1]!, /^3$/);
      c.cut();
    });

    it(`${kind}: the server asks for acks, and an ack for more than was sent is a stream error`, async () => {
      const { c } = await smLogin(kind, ports, 'alice', PW, `a-${kind}`);
      c.write(`<iq type='get' id='p1' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`);
      await c.expect(/<iq\b[^>]*id="p1"/);
      await c.expect(/<r xmlns="urn:xmpp:sm:3"\/>/);
      c.write(`<a xmlns='${SM3}' h='1'/>`);
      c.write(`<a xmlns='${SM3}' h='4294967295'/>`);
      const failed = (await c.expect(/<failed\b[\s\S]*?<\/failed>/))[0];
      assert.match(failed, /<handled-count-too-high xmlns="urn:xmpp:sm:3" h="4294967295" send-count="1"\/>/);
      assert.match((await c.expect(/<stream:error[\s\S]*?<\/stream:error>/))[0], /undefined-condition/);
      await c.closed;
    });
  }
});

describe('stream management: resumption', () => {
  for (const [from, to] of [['tcp', 'ws'], ['ws', 'tcp'], ['tcp', 'tcp'], ['ws', 'ws']] as [Kind, Kind][]) {
    it(`a cut on ${from}, resumed on ${to}: what was sent meanwhile arrives once, in order`, async () => {
      const { c: bob, id } = await smLogin(from, ports, 'bob', PW, `cut-${from}-${to}`);
      bob.write("<presence xmlns='jabber:client'/>");
      const alice = await connectToken('tcp', ports, 'alice', PW, `s-${from}-${to}`);
      for (let i = 0; i < 5; i++) alice.send(tokenMessage(bob.jid, `tok-before-${from}${to}-${i}`));
      await bob.expect(new RegExp(`tok-before-${from}${to}-4`));
      const seen = bob.stanzaCount();
      bob.cut();
      await bob.closed;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(t.server.sessions.get(bob.jid)?.hibernating, true, 'the session hibernates');
      for (let i = 0; i < 5; i++) alice.send(tokenMessage(bob.jid, `tok-during-${from}${to}-${i}`));
      for (let i = 0; i < 5; i++) alice.send(tokenMessage(`bob@localhost`, `tok-bare-${from}${to}-${i}`));
      await alice.ping();
      const again = await authenticated(to, ports, 'bob', PW);
      // The client says it got every stanza it saw (presence, messages): the rest is re-sent.
      await resumeSession(again, id, seen);
      await again.expect(new RegExp(`tok-bare-${from}${to}-4`));
      const got = again.tokens();
      assert.deepEqual(got, [...Array.from({ length: 5 }, (_, i) => `tok-during-${from}${to}-${i}`), ...Array.from({ length: 5 }, (_, i) => `tok-bare-${from}${to}-${i}`)]);
      assert.deepEqual(duplicates([...bob.tokens(), ...got]), []);
      assert.equal(alice.messageErrors(), 0);
      assert.equal(stored('bob'), 0, 'nothing went offline');
      // The resumed session goes on: new stanzas flow.
      alice.send(tokenMessage(bob.jid, `tok-after-${from}${to}`));
      await again.expect(new RegExp(`tok-after-${from}${to}`));
      again.cut();
      await alice.closeCleanly();
    });
  }

  it('ws: a Close frame without <close/> hibernates the session too (RFC 7395 §3.6); it resumes over TCP', async () => {
    const { c: carol, id } = await smLogin('ws', ports, 'carol', PW, 'closed-tab');
    carol.write("<presence xmlns='jabber:client'/>");
    await carol.expect(/<presence\b/);
    carol.goAway!();
    await carol.closed;
    const alice = await connectToken('tcp', ports, 'alice', PW, 'after-close-frame');
    alice.send(tokenMessage(carol.jid, 'tok-closeframe-0'));
    await alice.ping();
    const again = await authenticated('tcp', ports, 'carol', PW);
    await resumeSession(again, id, carol.stanzaCount());
    await again.expect(/tok-closeframe-0/);
    assert.deepEqual(again.tokens(), ['tok-closeframe-0']);
    again.cut();
    await alice.closeCleanly();
  });

  it('resuming a session still attached to a live connection takes it over (the old one gets conflict)', async () => {
    const { c: first, id } = await smLogin('tcp', ports, 'carol', PW, 'live');
    const second = await authenticated('ws', ports, 'carol', PW);
    await resumeSession(second, id, 0);
    assert.match((await first.expect(/<stream:error[\s\S]*?<\/stream:error>/))[0], /<conflict /);
    second.write(`<iq type='get' id='alive' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await second.expect(/<iq\b[^>]*id="alive"/);
    assert.equal(t.server.sessions.get('carol@localhost/live')?.transport.kind, 'websocket');
    second.cut();
  });

  it('an unknown id, or one of another account, fails with item-not-found; nothing is taken over', async () => {
    const { c: owner, id } = await smLogin('tcp', ports, 'alice', PW, 'mine');
    const stranger = await authenticated('tcp', ports, 'bob', PW);
    stranger.write(`<resume xmlns='${SM3}' previd='${id}' h='0'/>`);
    assert.match((await stranger.expect(/<failed\b[\s\S]*?<\/failed>/))[0], /item-not-found/);
    stranger.write(`<resume xmlns='${SM3}' previd='no-such-id' h='0'/>`);
    assert.match((await stranger.expect(/<failed\b[\s\S]*?<\/failed>/))[0], /item-not-found/);
    assert.equal(t.server.sessions.get('alice@localhost/mine')?.transport.kind, 'tcp');
    assert.equal(owner.isClosed, false);
    owner.cut();
    stranger.cut();
  });
});

describe('stream management: the end of a session loses nothing', () => {
  it('a hibernation that times out sends queued messages to offline storage, answers requests, and keeps the final h', async () => {
    // dave has no other session: nothing else of his could take the messages.
    const { c: bob, id } = await smLogin('ws', ports, 'dave', PW, 'sleepy');
    bob.write("<presence xmlns='jabber:client'/>");
    const alice = await connectToken('tcp', ports, 'alice', PW, 'waker');
    bob.write(`<message to='${alice.jid}' xmlns='jabber:client' type='chat'><body>hi</body></message>`);
    await alice.waitFor((x) => x.includes('>hi<'));
    bob.cut();
    await bob.closed;
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 4; i++) alice.send(tokenMessage(bob.jid, `tok-sleep-${i}`));
    alice.send(`<iq type='get' id='q-sleep' to='${bob.jid}'><query xmlns='jabber:iq:version'/></iq>`);
    await alice.ping();
    assert.equal(stored('dave'), 0, 'queued while hibernating');
    await alice.waitFor((x) => /id=["']q-sleep["'][^>]*type=["']error["']|type=["']error["'][^>]*id=["']q-sleep["']/.test(x), 8000, 'the request answered with an error at the timeout');
    assert.equal(stored('dave'), 4, 'the messages are in offline storage');
    const late = await authenticated('tcp', ports, 'dave', PW);
    late.write(`<resume xmlns='${SM3}' previd='${id}' h='0'/>`);
    const failed = (await late.expect(/<failed\b[\s\S]*?<\/failed>/))[0];
    assert.match(failed, /item-not-found/);
    assert.match(failed, /h="2"/, 'the final h: the presence and the message bob sent');
    await bindResource(late, 'later');
    late.write("<presence xmlns='jabber:client'/>");
    await late.expect(/tok-sleep-3/);
    assert.deepEqual(late.tokens(), ['tok-sleep-0', 'tok-sleep-1', 'tok-sleep-2', 'tok-sleep-3']);
    late.cut();
    await alice.closeCleanly();
  });

  it('messages to the bare JID that only the hibernating session had reach a login that came after it', async () => {
    const { c: old } = await smLogin('ws', ports, 'frank', PW, 'old-tab');
    old.write("<presence xmlns='jabber:client'/>");
    await old.expect(/<presence\b/);
    old.cut();
    await old.closed;
    await new Promise((r) => setTimeout(r, 100));
    const alice = await connectToken('tcp', ports, 'alice', PW, 'writer');
    for (let i = 0; i < 3; i++) alice.send(tokenMessage('frank@localhost', `tok-ghost-${i}`));
    await alice.ping();
    await new Promise((r) => setTimeout(r, 50));
    // A new login, not a resumption (a reloaded page): it was not there when the messages came.
    const fresh = await connectToken('tcp', ports, 'frank', PW, 'new-tab');
    fresh.send("<presence xmlns='jabber:client'/>");
    await fresh.waitFor((x) => x.includes('tok-ghost-2'), 8000, 'the hibernating session timing out hands its messages on');
    assert.deepEqual(fresh.tokens(), ['tok-ghost-0', 'tok-ghost-1', 'tok-ghost-2']);
    assert.equal(stored('frank'), 0);
    await fresh.closeCleanly();
    await alice.closeCleanly();
  });

  it('a hibernating session holding more than smacks_max_hibernation_bytes ends at once; what it held goes offline', async () => {
    const { c: gina, id } = await smLogin('tcp', ports, 'gina', PW, 'heavy');
    gina.write("<presence xmlns='jabber:client'/>");
    await gina.expect(/<presence\b/);
    gina.cut();
    await gina.closed;
    await new Promise((r) => setTimeout(r, 100));
    const alice = await connectToken('tcp', ports, 'alice', PW, 'heavy-sender');
    for (let i = 0; i < 10; i++) alice.send(tokenMessage(gina.jid, `tok-heavy-${i}`, 10_000)); // 100 kB > 64 KiB
    await alice.ping();
    assert.equal(stored('gina'), 10, 'the session ended before its hibernation time, everything in offline storage');
    const late = await authenticated('tcp', ports, 'gina', PW);
    late.write(`<resume xmlns='${SM3}' previd='${id}' h='1'/>`);
    assert.match((await late.expect(/<failed\b[\s\S]*?<\/failed>/))[0], /item-not-found/);
    await bindResource(late, 'after');
    late.write("<presence xmlns='jabber:client'/>");
    await late.expect(/tok-heavy-9/);
    assert.deepEqual(late.tokens(), Array.from({ length: 10 }, (_, i) => `tok-heavy-${i}`));
    late.cut();
    await alice.closeCleanly();
  });

  it('a queue over smacks_max_queue_size ends the session with resource-constraint, and the queue goes offline', async () => {
    const { c: carol } = await smLogin('tcp', ports, 'erin', PW, 'full');
    carol.write("<presence xmlns='jabber:client'/>");
    await carol.expect(/<presence\b/);
    const alice = await connectToken('tcp', ports, 'alice', PW, 'flooder');
    // carol never acks: 60 messages > 50
    for (let i = 0; i < 60; i++) alice.send(tokenMessage(carol.jid, `tok-full-${i}`));
    await alice.ping();
    assert.match((await carol.expect(/<stream:error[\s\S]*?<\/stream:error>/))[0], /resource-constraint/);
    await carol.closed;
    const received = carol.tokens();
    const offline = stored('erin');
    assert.equal(received.length <= 51, true);
    assert.equal(offline + alice.messageErrors() >= 60 - received.length, true, `received ${received.length}, stored ${offline}`);
    await alice.closeCleanly();
  });
});
