/**
 * Attacks on delivery (the attack run's findings 1, 2 and 4): an offline backlog larger than a
 * client reads in one go, a burst of large messages meant to get a victim disconnected, and
 * stanzas sent to a session while it closes. Every message is delivered exactly once, stored,
 * or bounced to its sender; the victim stays connected while it reads.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectToken, duplicates, tokenMessage, type TokenClient, type Transport } from '../helpers/token-clients.js';

const PW = 'pw';
const BASE = {
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket'],
  consider_websocket_secure: true,
  c2s_require_encryption: false,
  allow_unencrypted_plain_auth: true,
};

async function start(extra: Record<string, unknown> = {}): Promise<{ t: TestServer; ports: { ws: number; tcp: number } }> {
  const t = await startTestServer({ ...BASE, ...extra }, { users: { alice: PW, bob: PW, carol: PW } });
  return { t, ports: { ws: t.port('http'), tcp: t.c2sPort } };
}

const tokens = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `tok-${prefix}-${i}`);
const stored = (t: TestServer, user: string): number => t.server.storage.listStats('localhost', 'offline', user).count;

for (const kind of ['ws', 'tcp'] as Transport[]) {
  describe(`offline backlog delivered over ${kind}`, () => {
    let s: Awaited<ReturnType<typeof start>>;
    before(async () => { s = await start({ offline_max_bytes: 64 * 1024 * 1024 }); });
    after(() => s.t.stop());

    it('1,000 stored messages of 1.5 KB all reach the user at login, once each, and the user stays connected', async () => {
      const alice = await connectToken(kind, s.ports, 'alice', PW, 'a');
      const sent = tokens(`${kind}-small`, 1000);
      for (const tok of sent) alice.send(tokenMessage('bob@localhost', tok, 1500));
      await alice.ping(30_000);
      assert.equal(alice.messageErrors(), 0, 'nothing bounced');
      assert.equal(stored(s.t, 'bob'), 1000);

      const bob = await connectToken(kind, s.ports, 'bob', PW, 'b');
      bob.send('<presence/>');
      await bob.waitFor(() => bob.tokens().length >= 1000, 30_000, '1,000 offline messages');
      await bob.ping();
      assert.equal(bob.ended, false, 'still connected');
      assert.deepEqual(duplicates(bob.tokens()), []);
      assert.deepEqual(bob.tokens(), sent, 'all of them, in order');
      assert.equal(stored(s.t, 'bob'), 0, 'deleted once delivered');
      await bob.closeCleanly();
      await alice.closeCleanly();
    });

    it('40 stored messages of 250 KB all reach a reading user', async () => {
      const alice = await connectToken(kind, s.ports, 'alice', PW, 'a2');
      const sent = tokens(`${kind}-big`, 40);
      for (const tok of sent) alice.send(tokenMessage('carol@localhost', tok, 250_000));
      await alice.ping(30_000);
      assert.equal(alice.messageErrors(), 0);
      const carol = await connectToken(kind, s.ports, 'carol', PW, 'c');
      carol.send('<presence/>');
      await carol.waitFor(() => carol.tokens().length >= 40, 60_000, '40 large offline messages');
      await carol.ping();
      assert.deepEqual(carol.tokens(), sent);
      assert.equal(stored(s.t, 'carol'), 0);
      await carol.closeCleanly();
      await alice.closeCleanly();
    });
  });
}

describe('a backlog interrupted by the end of the session', () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => { s = await start({ offline_max_bytes: 64 * 1024 * 1024 }); });
  after(() => s.t.stop());

  it('keeps what was not handed to the stream stored, and the next login gets exactly that', async () => {
    const alice = await connectToken('ws', s.ports, 'alice', PW, 'a');
    const sent = tokens('cut', 60);
    for (const tok of sent) alice.send(tokenMessage('bob@localhost', tok, 250_000));
    await alice.ping(30_000);
    assert.equal(stored(s.t, 'bob'), 60);

    const first = await connectToken('ws', s.ports, 'bob', PW, 'first');
    first.pauseReading();
    first.send('<presence/>');
    // The server hands messages over only while the stream takes them: it soon stops.
    let last = -1;
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = stored(s.t, 'bob');
      if (now === last && now < 60) break;
      last = now;
    }
    const left = stored(s.t, 'bob');
    assert.ok(left > 0 && left < 60, `some messages handed over, the rest still stored (${left})`);
    const gotFirst = first.tokens();
    first.destroy();
    await first.closed;

    const second = await connectToken('ws', s.ports, 'bob', PW, 'second');
    second.send('<presence/>');
    await second.waitFor(() => second.tokens().length >= left, 30_000, `${left} stored messages`);
    await second.ping();
    assert.equal(second.tokens().length, left);
    assert.deepEqual(second.tokens(), sent.slice(60 - left), 'the newest ones, in order');
    assert.deepEqual(gotFirst.filter((x) => second.tokens().includes(x)), [], 'nothing twice');
    assert.equal(stored(s.t, 'bob'), 0);
    await second.closeCleanly();
    await alice.closeCleanly();
  });
});

for (const kind of ['ws', 'tcp'] as Transport[]) {
  describe(`a burst of large messages to a reading user over ${kind}`, () => {
    let s: Awaited<ReturnType<typeof start>>;
    before(async () => { s = await start(); });
    after(() => s.t.stop());

    it('5 rounds of 20 × 200 KB to the bare JID: the victim stays connected and gets all 100', async () => {
      const victim = await connectToken(kind, s.ports, 'bob', PW, 'v');
      victim.send('<presence/>');
      await victim.ping();
      const attacker = await connectToken(kind, s.ports, 'alice', PW, 'x');
      const sent: string[] = [];
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 20; i++) {
          const tok = `tok-burst-${kind}-${round}-${i}`;
          sent.push(tok);
          attacker.send(tokenMessage('bob@localhost', tok, 200_000));
        }
        await attacker.ping(30_000);
        await victim.waitFor(() => victim.tokens().length >= sent.length, 30_000, `round ${round}`);
        await victim.ping();
      }
      assert.equal(victim.ended, false);
      assert.deepEqual(victim.tokens(), sent);
      assert.equal(attacker.messageErrors(), 0, 'the attacker got no error either: nothing was refused');
      await victim.closeCleanly();
      await attacker.closeCleanly();
    });
  });
}

describe('stanzas for a session that is closing', () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => { s = await start({ c2s_close_timeout: 3 }); });
  after(() => s.t.stop());

  /** A session the server closes while the client does not answer: it stays closing for a while. */
  async function closingVictim(resource: string): Promise<TokenClient> {
    const victim = await connectToken('ws', s.ports, 'bob', PW, resource);
    victim.send('<presence/>');
    await victim.ping();
    s.t.server.sessions.get(victim.jid)!.close({ condition: 'reset', text: 'test' });
    assert.equal(s.t.server.sessions.get(victim.jid), undefined, 'unbound as soon as the close starts');
    return victim;
  }

  it('go to offline storage when the user has no other resource, and requests get an error', async () => {
    const alice = await connectToken('tcp', s.ports, 'alice', PW, 'a');
    const victim = await closingVictim('closing1');
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      sent.push(`tok-closing-full-${i}`, `tok-closing-bare-${i}`);
      alice.send(tokenMessage(victim.jid, `tok-closing-full-${i}`));
      alice.send(tokenMessage('bob@localhost', `tok-closing-bare-${i}`));
    }
    alice.send(`<iq type='get' id='q1' to='${victim.jid}'><query xmlns='jabber:iq:version'/></iq>`);
    await alice.waitFor((t) => /<iq\b[^>]*id=["']q1["'][^>]*type=["']error["'][\s\S]*?service-unavailable/.test(t) || /<iq\b[^>]*type=["']error["'][^>]*id=["']q1["'][\s\S]*?service-unavailable/.test(t), 5000, 'the iq error');
    await alice.ping();
    assert.equal(alice.messageErrors(), 0);
    assert.equal(stored(s.t, 'bob'), 20, 'every message stored');
    await victim.closed;

    const again = await connectToken('ws', s.ports, 'bob', PW, 'again');
    again.send('<presence/>');
    await again.waitFor(() => again.tokens().length >= 20, 10_000, 'the stored messages');
    assert.deepEqual([...again.tokens()].sort(), [...sent].sort());
    await again.closeCleanly();
    await alice.closeCleanly();
  });

  it('go to the user\'s other available resource when there is one', async () => {
    const other = await connectToken('tcp', s.ports, 'bob', PW, 'other');
    other.send('<presence/>');
    await other.ping();
    const alice = await connectToken('tcp', s.ports, 'alice', PW, 'a3');
    const victim = await closingVictim('closing2');
    for (let i = 0; i < 5; i++) alice.send(tokenMessage(victim.jid, `tok-moved-${i}`));
    await alice.ping();
    await other.waitFor(() => other.tokens().length >= 5, 5000, 'messages moved to the other resource');
    assert.deepEqual(other.tokens(), tokens('moved', 5));
    assert.equal(stored(s.t, 'bob'), 0);
    await victim.closed;
    await other.closeCleanly();
    await alice.closeCleanly();
  });
});
