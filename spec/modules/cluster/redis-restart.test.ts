/**
 * Tests for lib/modules/cluster with Redis restarted under it: while Redis is down a stanza
 * for a session on another node is answered with remote-server-timeout (RFC 6120 §8.3.3.16,
 * type wait), never lost in silence; once Redis is back (empty) every node publishes its
 * sessions again, the registry in Redis is complete, and messages cross nodes again. No
 * crash, no unhandled rejection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { xml, type Element } from '../../../lib/core/xml.js';
import { redisAvailable } from '../../helpers/engines.js';
import { startCluster, until, type ClusterNodeHandle, type TestCluster } from '../../helpers/cluster.js';

const skip = redisAvailable();
const body = (text: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === text;
const chat = (to: string, text: string) => xml('message', { to, type: 'chat', id: `m-${text}` }, xml('body', {}, text));

describe('cluster: Redis restarted mid-way', { skip }, () => {
  let cluster: TestCluster;
  let n1: ClusterNodeHandle;
  let n2: ClusterNodeHandle;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => { rejections.push(reason); };

  before(async () => {
    process.on('unhandledRejection', onRejection);
    cluster = await startCluster(1.5);
    n1 = await cluster.node('n1');
    cluster.users(n1.server, ['alice', 'bob', 'carol']);
    n2 = await cluster.node('n2');
  });
  after(async () => {
    await cluster.stop();
    process.off('unhandledRejection', onRejection);
  });

  it('bounces stanzas for remote sessions while Redis is down, and works again after it restarted empty', async () => {
    const a = await n1.raw('alice', 'one');
    const b = await n2.raw('bob', 'two');
    await a.send(xml('presence'));
    await b.send(xml('presence'));
    await until(() => n1.server.sessions.get(b.jid) !== undefined && n2.server.sessions.get(a.jid) !== undefined, 'both known on both nodes');
    await a.send(chat(b.jid, 'before'));
    await b.next(body('before'), 'a message before the outage');

    await cluster.redis.stop();
    await new Promise((r) => setTimeout(r, 300));
    await a.send(chat(b.jid, 'during'));
    const bounced = await a.next((el) => el.name === 'message' && el.attrs.type === 'error', 'the bounce');
    assert.equal(bounced.attrs.from, b.jid);
    assert.equal(bounced.getChild('error')?.attrs.type, 'wait');
    assert.ok(bounced.getChild('error')?.getChild('remote-server-timeout', 'urn:ietf:params:xml:ns:xmpp-stanzas'), 'RFC 6120 §8.3.3.16');
    // an iq request too; local delivery goes on
    const asked = a.iq(xml('iq', { type: 'get', to: b.jid, id: 'p1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await assert.rejects(asked, (err: Error & { condition?: string }) => err.condition === 'remote-server-timeout');
    assert.equal(b.has(body('during')), false);

    await cluster.redis.restart(); // empty
    const direct = new Redis(cluster.redis.url, { lazyConnect: true });
    await direct.connect();
    try {
      const registry = async (node: string) => Object.keys(await direct.hgetall(`xmpp-cluster:sessions:${node}`));
      const end = Date.now() + 8000;
      while (Date.now() < end) {
        const [r1, r2] = await Promise.all([registry('n1'), registry('n2')]);
        if (r1.includes(a.jid) && r2.includes(b.jid)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(await registry('n1'), [a.jid], 'n1 published its session again');
      assert.deepEqual(await registry('n2'), [b.jid], 'n2 published its session again');
      assert.deepEqual((await direct.smembers('xmpp-cluster:nodes')).sort(), ['n1', 'n2']);
    } finally {
      direct.disconnect();
    }
    // messages cross nodes again, both ways (the subscribers are back)
    const deliver = async (from: typeof a, to: typeof b, text: string): Promise<void> => {
      const end = Date.now() + 5000;
      for (let i = 0; ; i++) {
        await from.send(chat(to.jid, `${text}${i}`));
        const ok = await to.next(body(`${text}${i}`), 'a message after the restart', 300).then(() => true, () => false);
        if (ok) return;
        if (Date.now() > end) assert.fail(`no ${text} message crossed nodes after the restart`);
      }
    };
    await deliver(a, b, 'after-ab');
    await deliver(b, a, 'after-ba');
    // a node started now finds every session in Redis
    const n3 = await cluster.node('n3');
    await until(() => n3.server.sessions.get(a.jid) !== undefined && n3.server.sessions.get(b.jid) !== undefined, 'n3 sees both sessions');
    assert.equal(n3.server.sessions.get(a.jid)?.presence !== undefined, true, 'with their presence');
    assert.deepEqual(rejections, [], 'no unhandled rejection');
    assert.equal(n1.server.state, 'started');
    assert.equal(n2.server.state, 'started');
  });
});
