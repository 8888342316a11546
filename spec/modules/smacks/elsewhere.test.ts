/**
 * Tests for resumption on another instance sharing the storage (lib/modules/smacks/restart.ts
 * claimStored and persistOne, the `smacks-resume-elsewhere` and `smacks-release` events): two
 * real servers running at once on one SQLite data folder, as two nodes of a cluster do on
 * PostgreSQL. A session stored by a node that stops (a drain) resumes on the other, which
 * was already running; a session held by a live node is released there and resumed on the
 * other (what the cluster module does over Redis, done here by a test hook); an unknown id
 * still fails with item-not-found (XEP-0198 §5); another account cannot take a session.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elementToJson, xml } from '../../../lib/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { authenticated, resumeSession, smLogin, SM3, type SmClient } from '../../helpers/sm-client.js';
import { connectToken, duplicates, tokenMessage } from '../../helpers/token-clients.js';

const PW = 'pw';
const USERS = { alice: PW, bob: PW, carol: PW };

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'xs-smacks-elsewhere-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

interface Node { t: TestServer; ports: { tcp: number; ws: number } }

/** A node on the shared SQLite data folder. */
async function node(users: Record<string, string> = {}): Promise<Node> {
  const t = await startTestServer({
    storage: 'sqlite', data_path: dir,
    modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'smacks'],
    consider_websocket_secure: true, c2s_require_encryption: false, allow_unencrypted_plain_auth: true,
    c2s_close_timeout: 1, smacks_hibernation_time: 30,
  }, { users });
  return { t, ports: { tcp: t.c2sPort, ws: t.port('http') } };
}

const ack = (c: SmClient, h: number): void => c.write(`<a xmlns='${SM3}' h='${h}'/>`);

describe('stream management: resuming on another instance sharing the storage', () => {
  it('a session stored by a node that stops resumes on a node already running, with what it had not acknowledged', async () => {
    const a = await node(USERS);
    const b = await node();
    try {
      const { c: bob, id } = await smLogin('ws', a.ports, 'bob', PW, 'tab');
      bob.write("<presence xmlns='jabber:client'/>");
      const alice = await connectToken('tcp', a.ports, 'alice', PW, 'desk');
      for (let i = 0; i < 4; i++) alice.send(tokenMessage(bob.jid, `tok-d-${i}`));
      await bob.expect(/tok-d-3/);
      const seen = bob.stanzaCount();
      ack(bob, seen - 2); // two stay unacknowledged
      await alice.ping();
      await a.t.stop(); // the drain: the session is stored, the client told to come back
      await bob.closed;

      assert.equal(b.t.server.sessions.get('bob@localhost/tab'), undefined, 'b does not hold it before the resume');
      const bob2 = await authenticated('tcp', b.ports, 'bob', PW);
      const h = await resumeSession(bob2, id, seen - 2);
      assert.equal(h, 1, 'the handled count travelled with the session');
      await bob2.expect(/tok-d-3/);
      assert.deepEqual(bob2.tokens(), ['tok-d-2', 'tok-d-3'], 'exactly what was not acknowledged, in order');
      assert.equal(b.t.server.sessions.get('bob@localhost/tab')?.hibernating, false, 'b holds it now, connected');
      assert.equal(b.t.server.storage.get('localhost', 'smacks_resume', 'bob'), undefined, 'taken out of storage: it resumes once');

      // new messages flow on b
      const carol = await connectToken('ws', b.ports, 'carol', PW, 'web');
      carol.send(tokenMessage('bob@localhost/tab', 'tok-d-after'));
      await bob2.expect(/tok-d-after/);
      assert.deepEqual(duplicates([...bob.tokens().slice(0, 2), ...bob2.tokens()]), []);

      bob2.cut();
      await carol.closeCleanly();
      alice.destroy();
    } finally {
      await a.t.stop();
      await b.t.stop();
    }
  });

  it('a session held by a live node is released there (smacks-release) and resumed on the other', async () => {
    const a = await node();
    const b = await node();
    // What the cluster module does over Redis: ask every other node to release the id.
    b.t.server.hostEvents('localhost')!.on('smacks-resume-elsewhere', ({ session, token }) => {
      const released = a.t.server.hostEvents('localhost')!.fire('smacks-release', { username: session.username!, token });
      return Promise.resolve(released);
    });
    try {
      const { c: bob, id } = await smLogin('tcp', a.ports, 'bob', PW, 'phone');
      bob.write("<presence xmlns='jabber:client'/>");
      const alice = await connectToken('ws', a.ports, 'alice', PW, 'desk');
      for (let i = 0; i < 3; i++) alice.send(tokenMessage(bob.jid, `tok-t-${i}`));
      await bob.expect(/tok-t-2/);
      const seen = bob.stanzaCount();
      bob.cut(); // hibernates on a, acknowledging nothing
      await bob.closed;
      await alice.ping();
      assert.equal(a.t.server.sessions.get('bob@localhost/phone')?.hibernating, true);

      const bob2 = await authenticated('ws', b.ports, 'bob', PW);
      await resumeSession(bob2, id, seen - 3);
      await bob2.expect(/tok-t-2/);
      assert.deepEqual(bob2.tokens(), ['tok-t-0', 'tok-t-1', 'tok-t-2']);
      assert.equal(a.t.server.sessions.get('bob@localhost/phone'), undefined, 'a no longer holds it');
      assert.equal(b.t.server.sessions.get('bob@localhost/phone')?.hibernating, false, 'b does');
      assert.equal(alice.messageErrors(), 0, 'nothing bounced to the sender');

      // another account cannot take it: the release names the account
      const carol = await authenticated('tcp', b.ports, 'carol', PW);
      carol.write(`<resume xmlns='${SM3}' previd='${id}' h='0'/>`);
      await carol.expect(/<failed\b[^>]*>[^]*?item-not-found/);
      assert.equal(b.t.server.sessions.get('bob@localhost/phone')?.closed, false, "bob's session is untouched");
      carol.cut();
      bob2.cut();
      await alice.closeCleanly();
    } finally {
      await a.t.stop();
      await b.t.stop();
    }
  });

  it('smacks-sweep ends stored sessions whose time ran out: their queue goes to offline storage, fresh ones stay', async () => {
    const b = await node();
    const { server } = b.t;
    const queued = (tok: string) => elementToJson(xml('message', { to: 'carol@localhost/gone', from: 'alice@localhost/x', type: 'chat', xmlns: 'jabber:client' }, xml('body', {}, tok)));
    const record = (token: string, expires: number, tok: string) => ({
      token, xmlns: SM3, resource: token === 'old' ? 'gone' : 'fresh', handled: 0, acked: 0, max: 30,
      queue: [{ el: queued(tok), at: Date.now() - 60_000 }], presence: undefined, priority: 0, ip: '127.0.0.1', expires,
    });
    server.storage.set('localhost', 'smacks_resume', 'carol', { old: record('old', Date.now() - 1000, 'tok-s-0'), new: record('new', Date.now() + 60_000, 'tok-s-1') });
    try {
      assert.equal(server.hostEvents('localhost')!.fire('smacks-sweep', {}), 1);
      const deadline = Date.now() + 5000;
      const offline = (): number => server.storage.listStats('localhost', 'offline', 'carol').count;
      while (offline() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(offline(), 1, "the expired session's message is stored offline");
      assert.equal(server.sessions.get('carol@localhost/gone'), undefined, 'and the session is gone');
      const left = server.storage.get('localhost', 'smacks_resume', 'carol') as Record<string, unknown>;
      assert.deepEqual(Object.keys(left), ['new'], 'the one still in time stays stored');
    } finally {
      await b.t.stop();
    }
  });

  it('an id nobody holds or stored fails with item-not-found (XEP-0198 §5)', async () => {
    const b = await node();
    try {
      const c = await authenticated('tcp', b.ports, 'alice', PW);
      c.write(`<resume xmlns='${SM3}' previd='no-such-id' h='0'/>`);
      await c.expect(/<failed\b[^>]*>[^]*?item-not-found/);
      // the stream goes on: the client can bind instead
      c.write("<iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>x</resource></bind></iq>");
      await c.expect(/<iq\b[^>]*id=["']b1["'][^>]*type=["']result["']|<iq\b[^>]*type=["']result["'][^>]*id=["']b1["']/);
      c.cut();
    } finally {
      await b.t.stop();
    }
  });
});
