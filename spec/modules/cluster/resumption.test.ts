/**
 * Tests for lib/modules/cluster/resumption: XEP-0198 resumption on another node. A session
 * hibernating (or still connected) on n1 is resumed by a `<resume/>` on n2: n1 stores it
 * with its unacknowledged queue and lets go (smacks-release, asked over Redis), n2 takes it
 * from the shared storage, exactly once; an id nobody holds still fails with item-not-found.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redisAvailable } from '../../helpers/engines.js';
import { startCluster, until, type ClusterNodeHandle, type TestCluster } from '../../helpers/cluster.js';
import { authenticated, resumeSession, smLogin, SM3 } from '../../helpers/sm-client.js';
import { connectToken, duplicates, tokenMessage } from '../../helpers/token-clients.js';
import { PASSWORD } from '../../helpers/im-server.js';

const skip = redisAvailable();
const SMACKS = {
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'carbons', 'websocket', 'smacks', 'cluster'],
  consider_websocket_secure: true, c2s_close_timeout: 1, smacks_hibernation_time: 30,
};

describe('cluster: stream management resumption on another node', { skip }, () => {
  let cluster: TestCluster;
  let n1: ClusterNodeHandle;
  let n2: ClusterNodeHandle;

  before(async () => {
    cluster = await startCluster();
    n1 = await cluster.node('n1', SMACKS);
    cluster.users(n1.server, ['alice', 'bob', 'carol']);
    n2 = await cluster.node('n2', SMACKS);
  });
  after(() => cluster.stop());

  it('takes over a session hibernating on another node, with its unacknowledged queue, once', async () => {
    const { c: bob, id } = await smLogin('tcp', n1.ports, 'bob', PASSWORD, 'phone');
    bob.write("<presence xmlns='jabber:client'/>");
    const alice = await connectToken('ws', n2.ports, 'alice', PASSWORD, 'desk');
    await until(() => n2.server.sessions.get(bob.jid) !== undefined, 'bob known on n2');
    for (let i = 0; i < 3; i++) alice.send(tokenMessage(bob.jid, `tok-r-${i}`));
    await bob.expect(/tok-r-2/);
    const seen = bob.stanzaCount();
    bob.cut(); // hibernates on n1, acknowledging nothing
    await bob.closed;
    await until(() => n1.server.sessions.get(bob.jid)?.hibernating === true, 'hibernating on n1');

    const bob2 = await authenticated('ws', n2.ports, 'bob', PASSWORD);
    await resumeSession(bob2, id, seen - 3);
    await bob2.expect(/tok-r-2/);
    assert.deepEqual(bob2.tokens(), ['tok-r-0', 'tok-r-1', 'tok-r-2'], 'exactly the unacknowledged stanzas, in order');
    assert.equal(n2.server.sessions.get(bob.jid)?.hibernating, false, 'n2 holds it now, connected');
    await until(() => (n1.server.sessions.get(bob.jid) as { node?: string } | undefined)?.node === 'n2', 'n1 sees it on n2');
    assert.equal(alice.messageErrors(), 0, 'nothing bounced to the sender');

    // messages reach it on n2, from a sender on n1
    const carol = await connectToken('tcp', n1.ports, 'carol', PASSWORD, 'web');
    carol.send(tokenMessage(bob.jid, 'tok-r-after'));
    await bob2.expect(/tok-r-after/);
    assert.deepEqual(duplicates(bob2.tokens()), []);

    // once: taken out of the shared storage, and n1 holds nothing of it
    assert.equal(n2.server.storage.get('localhost', 'smacks_resume', 'bob'), undefined, 'taken out of storage: it resumes once');
    assert.equal([...n1.server.sessions.all()].some((s) => s.fullJid === bob.jid), false, 'n1 let go of it');
    bob2.cut();
    await carol.closeCleanly();
    await alice.closeCleanly();
  });

  it('fails with item-not-found for an id no node holds (XEP-0198 §5)', async () => {
    const c = await authenticated('tcp', n2.ports, 'alice', PASSWORD);
    const started = Date.now();
    c.write(`<resume xmlns='${SM3}' previd='no-such-id' h='0'/>`);
    await c.expect(/<failed\b[^>]*>[^]*?item-not-found/);
    assert.ok(Date.now() - started < 1500, 'every node answered: no waiting for the time-out');
    c.cut();
  });
});
