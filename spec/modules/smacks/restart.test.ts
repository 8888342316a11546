/**
 * Tests for lib/modules/smacks/restart.ts: resumption across a graceful restart of a real
 * server on SQLite (two server instances on the same data folder). A session cut before
 * the stop and one still connected at the stop both resume on the new instance and receive
 * what they had not acknowledged; their contacts see them available across the restart; one
 * that never comes back has its queue in offline storage once its time runs out; and
 * counters restored near 2^32 wrap (XEP-0198 §4).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elementToJson, xml } from '../../../lib/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { authenticated, bindResource, resumeSession, smLogin, SM3, type SmClient } from '../../helpers/sm-client.js';
import { connectToken, duplicates, tokenMessage } from '../../helpers/token-clients.js';

const PW = 'pw';
const USERS = { alice: PW, bob: PW, carol: PW, dave: PW, erin: PW };

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'xs-smacks-restart-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** A server instance on the shared SQLite data folder. */
async function instance(users: Record<string, string> = {}): Promise<{ t: TestServer; ports: { tcp: number; ws: number } }> {
  const t = await startTestServer({
    storage: 'sqlite', data_path: dir,
    modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'smacks'],
    consider_websocket_secure: true, c2s_require_encryption: false, allow_unencrypted_plain_auth: true,
    c2s_close_timeout: 1, smacks_hibernation_time: 3,
  }, { users });
  return { t, ports: { tcp: t.c2sPort, ws: t.port('http') } };
}

const ack = (c: SmClient, h: number): void => c.write(`<a xmlns='${SM3}' h='${h}'/>`);

describe('stream management across a graceful restart', () => {
  it('sessions cut before the stop and connected at the stop resume afterwards; one that never returns goes offline', async () => {
    const first = await instance(USERS);
    const { ports } = first;
    // carol approves alice's subscription, so alice sees carol's presence (and would see her leave).
    const { c: carol, id: carolId } = await smLogin('tcp', ports, 'carol', PW, 'phone');
    carol.write("<presence xmlns='jabber:client'/>");
    const alice = await connectToken('tcp', ports, 'alice', PW, 'desk');
    alice.send('<presence/>');
    alice.send("<presence to='carol@localhost' type='subscribe'/>");
    await carol.expect(/type="subscribe"/);
    carol.write("<presence to='alice@localhost' type='subscribed' xmlns='jabber:client'/>");
    await alice.waitFor((x) => /from=["']carol@localhost\/phone["']/.test(x), 5000, "carol's presence");

    const { c: bob, id: bobId } = await smLogin('ws', ports, 'bob', PW, 'tab');
    bob.write("<presence xmlns='jabber:client'/>");
    const { c: dave } = await smLogin('ws', ports, 'dave', PW, 'gone');
    dave.write("<presence xmlns='jabber:client'/>");
    for (let i = 0; i < 4; i++) alice.send(tokenMessage(bob.jid, `tok-r-bob-${i}`));
    await bob.expect(/tok-r-bob-3/);
    // bob acknowledges his presence and two messages only; then his connection is cut.
    const bobSeen = bob.stanzaCount();
    ack(bob, bobSeen - 2);
    bob.cut();
    dave.cut();
    await Promise.all([bob.closed, dave.closed]);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 4; i < 6; i++) alice.send(tokenMessage(bob.jid, `tok-r-bob-${i}`));
    for (let i = 0; i < 3; i++) alice.send(tokenMessage(dave.jid, `tok-r-dave-${i}`));
    for (let i = 0; i < 2; i++) alice.send(tokenMessage(carol.jid, `tok-r-carol-${i}`));
    await carol.expect(/tok-r-carol-1/);
    await alice.ping();
    const carolSeen = carol.stanzaCount();

    await first.t.stop();
    assert.match(carol.text(), /<system-shutdown /, 'the live session is told the server is going down');
    await carol.closed;

    const second = await instance();
    try {
      const sessions = second.t.server.sessions;
      assert.equal(sessions.get('bob@localhost/tab')?.hibernating, true, 'bob is back, hibernating');
      assert.equal(sessions.get('carol@localhost/phone')?.hibernating, true, 'carol is back, hibernating');

      // alice, on the new instance, probes her contacts: carol is still available.
      const alice2 = await connectToken('ws', second.ports, 'alice', PW, 'desk2');
      alice2.send('<presence/>');
      let seen = '';
      await alice2.waitFor((x) => { seen = x; return /<presence\b[^>]*from=["']carol@localhost\/phone["']/.test(x); }, 5000, "carol's presence after the restart");
      assert.doesNotMatch(seen, /from=["']carol@localhost\/phone["'][^>]*type=["']unavailable/);

      // bob resumes over TCP: the two he did not acknowledge, then the two sent while he was away.
      const bob2 = await authenticated('tcp', second.ports, 'bob', PW);
      const handled = await resumeSession(bob2, bobId, bobSeen - 2);
      assert.equal(handled, 1, 'the server had handled his presence');
      await bob2.expect(/tok-r-bob-5/);
      assert.deepEqual(bob2.tokens(), ['tok-r-bob-2', 'tok-r-bob-3', 'tok-r-bob-4', 'tok-r-bob-5']);
      assert.match(bob2.text(), /<delay xmlns="urn:xmpp:delay"/, 're-sent stanzas carry when they were first sent');
      assert.deepEqual(duplicates([...bob.tokens().slice(0, 2), ...bob2.tokens()]), []);

      // carol resumes over WebSocket having seen everything: nothing is re-sent, new stanzas flow.
      const carol2 = await authenticated('ws', second.ports, 'carol', PW);
      await resumeSession(carol2, carolId, carolSeen);
      alice2.send(tokenMessage('carol@localhost/phone', 'tok-r-carol-after'));
      await carol2.expect(/tok-r-carol-after/);
      assert.deepEqual(carol2.tokens(), ['tok-r-carol-after']);

      // dave never comes back: at the end of his time, his messages are stored for him.
      const store = (): number => second.t.server.storage.listStats('localhost', 'offline', 'dave').count;
      const deadline = Date.now() + 8000;
      while (store() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(store(), 3);
      const dave2 = await connectToken('tcp', second.ports, 'dave', PW, 'back');
      dave2.send('<presence/>');
      await dave2.waitFor((x) => x.includes('tok-r-dave-2'), 5000, "dave's stored messages");
      assert.deepEqual(dave2.tokens(), ['tok-r-dave-0', 'tok-r-dave-1', 'tok-r-dave-2']);
      assert.equal(alice2.messageErrors(), 0);
      bob2.cut();
      carol2.cut();
      await alice2.closeCleanly();
      await dave2.closeCleanly();
    } finally {
      await second.t.stop();
    }
  });

  it('counters restored near 2^32 wrap to 0 (XEP-0198 §4)', async () => {
    const seed = await instance();
    const { server } = seed.t;
    const top = 2 ** 32 - 1;
    const queued = elementToJson(xml('message', { to: 'erin@localhost/wrap', from: 'alice@localhost/x', type: 'chat', xmlns: 'jabber:client' }, xml('body', {}, 'tok-wrap-0')));
    server.storage.set('localhost', 'smacks_resume', 'erin', {
      wrapid: {
        token: 'wrapid', xmlns: SM3, resource: 'wrap', handled: top, acked: top - 1, max: 3,
        queue: [{ el: queued, at: Date.now() }], presence: undefined, priority: 0, ip: '127.0.0.1', expires: Date.now() + 60_000,
      },
    });
    await seed.t.stop();
    const { t, ports } = await instance();
    try {
      const c = await authenticated('tcp', ports, 'erin', PW);
      // The client acknowledges the one queued stanza: h = 2^32 - 1, nothing is re-sent.
      assert.equal(await resumeSession(c, 'wrapid', top), top);
      c.write("<iq type='get' id='w1' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>");
      await c.expect(/id="w1"/);
      c.write(`<r xmlns='${SM3}'/>`);
      assert.equal((await c.expect(/<a xmlns="urn:xmpp:sm:3" h="(\d+)"\/>/))[1], '0', 'inbound h wrapped');
      // The ping result was stanza number 2^32, which is h = 0.
      ack(c, 0);
      c.write(`<a xmlns='${SM3}' h='1'/>`);
      assert.match((await c.expect(/<failed\b[\s\S]*?<\/failed>/))[0], /send-count="0"/, 'one more than was sent is too high');
      assert.deepEqual(c.tokens(), []);
      await c.closed;
    } finally {
      await t.stop();
    }
  });

  it('without resumption nothing is kept: a plain session is not restored', async () => {
    const first = await instance();
    const c = await authenticated('tcp', first.ports, 'erin', PW);
    await bindResource(c, 'plain');
    c.write(`<enable xmlns='${SM3}'/>`);
    await c.expect(/<enabled\b/);
    await first.t.stop();
    const second = await instance();
    try {
      assert.equal(second.t.server.sessions.get('erin@localhost/plain'), undefined);
    } finally {
      await second.t.stop();
    }
  });
});
