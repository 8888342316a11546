/**
 * Tests for lib/modules/cluster/owned-addresses.ts: the leases of owned addresses in Redis
 * (taken on the first stanza, renewed by the heartbeat, taken back when Redis lost them, let go
 * when another node holds them), the order of stanzas held while an owner is looked up, and
 * the answer when the owner cannot be reached. In-process nodes with a muc component each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { xml, type Element } from '../../../lib/core/xml.js';
import type { RawConfig } from '../../../lib/index.js';
import { redisAvailable } from '../../helpers/engines.js';
import { startCluster, type ClusterNodeHandle, type TestCluster } from '../../helpers/cluster.js';
import { errorCondition, joinRoom, MUC_SERVICE, NS_MUC } from '../../helpers/muc.js';

const skip = redisAvailable();
const TIMEOUT = 0.9;
const COMPONENTS: RawConfig = {
  Component: { [MUC_SERVICE]: { module: 'muc', muc_room_locking: false, muc_room_default_persistent: true } },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isBody = (text: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === text;
const groupchat = (room: string, text: string) => xml('message', { to: room, type: 'groupchat', id: `g-${text}` }, xml('body', {}, text));

describe('cluster: owned addresses (leases, order, failures)', { skip }, () => {
  let cluster: TestCluster;
  let n1: ClusterNodeHandle;
  let n2: ClusterNodeHandle;
  let n3: ClusterNodeHandle;
  let redis: Redis;
  const key = (address: string) => `xmpp-cluster:owner:${address}`;

  before(async () => {
    cluster = await startCluster(TIMEOUT);
    n1 = await cluster.node('n1', COMPONENTS);
    cluster.users(n1.server, ['alice', 'bob', 'dave']);
    n2 = await cluster.node('n2', COMPONENTS);
    n3 = await cluster.node('n3', COMPONENTS);
    redis = new Redis(cluster.redis.url);
  });
  after(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  it('keeps the order of stanzas held while the owner is looked up', async () => {
    const room = `order@${MUC_SERVICE}`;
    const a = await n1.raw('alice', 'order');
    await joinRoom(a, room, 'alice');
    // n3 has never seen the room: its join and messages wait for one lookup, then go in order
    const d = await n3.raw('dave', 'order');
    await d.send(xml('presence', { to: `${room}/dave` }, xml('x', { xmlns: NS_MUC })));
    for (let i = 0; i < 10; i++) await d.send(groupchat(room, `m${i}`));
    for (let i = 0; i < 10; i++) await a.next(isBody(`m${i}`), `m${i}`);
    const order = a.received.filter((el) => /^m\d$/.test(el.getChildText('body') ?? '')).map((el) => el.getChildText('body'));
    assert.deepEqual(order, Array.from({ length: 10 }, (_, i) => `m${i}`));
    assert.equal(d.has((el) => el.attrs.type === 'error'), false);
    assert.equal(await redis.get(key(room)), 'n1');
  });

  it('renews the leases it holds with the heartbeat, and takes one back that Redis lost', async () => {
    const room = `kept@${MUC_SERVICE}`;
    const a = await n1.raw('alice', 'kept');
    await joinRoom(a, room, 'alice');
    await sleep(TIMEOUT * 2000);
    assert.equal(await redis.get(key(room)), 'n1', 'still held after two timeouts');
    assert.ok(await redis.pttl(key(room)) > 0);
    await redis.del(key(room));
    const end = Date.now() + TIMEOUT * 1000 + 500;
    while (await redis.get(key(room)) !== 'n1' && Date.now() < end) await sleep(20);
    assert.equal(await redis.get(key(room)), 'n1', 'taken back at the next beat');
  });

  it('lets go of an address another node took; that node reads the room from storage', async () => {
    const room = `moved@${MUC_SERVICE}`;
    const a = await n1.raw('alice', 'moved');
    await joinRoom(a, room, 'alice');
    await redis.set(key(room), 'n2', 'PX', 60_000);
    await sleep(TIMEOUT * 1000); // n1's next beat finds the lease taken
    await a.send(groupchat(room, 'anyone?'));
    // n2 now handles the room: loaded from storage, without alice among its occupants (XEP-0045 §7.4)
    const err = await a.next((el) => el.name === 'message' && el.attrs.type === 'error', 'the new owner\'s answer');
    assert.equal(err.attrs.from, room);
    assert.equal(errorCondition(err), 'not-acceptable');
    assert.equal(await redis.get(key(room)), 'n2');
  });

  it('keeps its rooms as they were across a Redis restart (the leases are taken back)', async () => {
    const room = `survivor@${MUC_SERVICE}`;
    const a = await n1.raw('alice', 'survivor');
    const d = await n3.raw('dave', 'survivor');
    await joinRoom(a, room, 'alice');
    await joinRoom(d, room, 'dave');
    await cluster.redis.restart();
    redis.disconnect();
    redis = new Redis(cluster.redis.url);
    const end = Date.now() + 5000;
    while (await redis.get(key(room)).catch(() => null) !== 'n1' && Date.now() < end) await sleep(50);
    assert.equal(await redis.get(key(room)), 'n1');
    await d.send(groupchat(room, 'still here'));
    await a.next(isBody('still here'), 'the groupchat after the restart');
    assert.equal(d.has((el) => el.attrs.type === 'error'), false);
  });

  it('answers remote-server-timeout when the lease holder does not listen', async () => {
    const room = `haunted@${MUC_SERVICE}`;
    await redis.set(key(room), 'ghost', 'PX', 60_000);
    const b = await n2.raw('bob', 'haunted');
    await b.send(xml('message', { to: room, type: 'groupchat', id: 'boo' }, xml('body', {}, 'boo')));
    const err = await b.next((el) => el.name === 'message' && el.attrs.id === 'boo', 'the bounce');
    assert.equal(err.attrs.type, 'error');
    assert.equal(errorCondition(err), 'remote-server-timeout');
    assert.equal(err.getChild('error')?.attrs.type, 'wait');
  });
});
