/**
 * Tests for the caches of stored data in a cluster (the `stored-data-changed` event relayed by
 * lib/modules/cluster): a subscription handshake between users on different nodes (each
 * roster is cached on both nodes while its user is online), and a block list changed on one
 * node, enforced on another and pushed to a resource there (XEP-0191 §3.3).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Element, xml } from '../../../lib/core/xml.js';
import { redisAvailable } from '../../helpers/engines.js';
import { CLUSTER_MODULES, startCluster, until, type ClusterNodeHandle, type TestCluster } from '../../helpers/cluster.js';
import { is } from '../../helpers/im-clients.js';

const skip = redisAvailable();
const NS_ROSTER = 'jabber:iq:roster';
const NS_BLOCKING = 'urn:xmpp:blocking';
const getRoster = () => xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER }));
const itemOf = (jid: string, subscription: string) => (el: Element) =>
  el.name === 'iq' && el.attrs.type === 'set' && el.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.jid === jid &&
  el.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.subscription === subscription;

describe('cluster: rosters and block lists changed on another node', { skip }, () => {
  let cluster: TestCluster;
  let n1: ClusterNodeHandle;
  let n2: ClusterNodeHandle;
  const modules = { modules_enabled: [...CLUSTER_MODULES, 'blocklist', 'pep'] };

  before(async () => {
    cluster = await startCluster();
    n1 = await cluster.node('n1', modules);
    cluster.users(n1.server, ['alice', 'bob', 'carol']);
    n2 = await cluster.node('n2', modules);
  });
  after(() => cluster.stop());

  it('completes a subscription handshake between users on two nodes, both ways (RFC 6121 §3)', async () => {
    const a = await n1.raw('alice', 'desk');
    const b = await n2.raw('bob', 'phone');
    for (const c of [a, b]) {
      await c.iq(getRoster());
      await c.send(xml('presence'));
    }
    await until(() => n1.server.sessions.get(b.jid)?.presence !== undefined && n2.server.sessions.get(a.jid)?.presence !== undefined, 'both available everywhere');
    // alice asks, bob approves and asks back, alice approves
    await a.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
    await b.next(is.presence('alice@localhost', 'subscribe'), 'the request on n2');
    await b.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
    await a.next(itemOf('bob@localhost', 'to'), 'alice\'s roster push: to');
    await a.next(is.presence(b.jid), "bob's presence, once subscribed");
    await b.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    await a.next(is.presence('bob@localhost', 'subscribe'), 'the request on n1');
    await a.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
    await b.next(itemOf('alice@localhost', 'both'), 'bob\'s roster push: both');
    await b.next(is.presence(a.jid), "alice's presence on n2");
    await a.next(itemOf('bob@localhost', 'both'), 'alice\'s roster push: both');
    // each node's view (cache or storage) agrees
    const rosterOn = async (c: typeof a) => (await c.iq(getRoster())).getChild('query')!.getChildren('item').map((i) => `${i.attrs.jid}:${i.attrs.subscription}`);
    assert.deepEqual(await rosterOn(a), ['bob@localhost:both']);
    assert.deepEqual(await rosterOn(b), ['alice@localhost:both']);
    // and presence flows
    await a.send(xml('presence', {}, xml('show', {}, 'dnd')));
    await b.next((el) => el.name === 'presence' && el.attrs.from === a.jid && el.getChildText('show') === 'dnd', 'the update on n2');
    await a.stop();
    await b.stop();
  });

  it('enforces a block made on one node on another node, and pushes it to the resource there', async () => {
    const c1 = await n1.raw('carol', 'one');
    const c2 = await n2.raw('carol', 'two');
    const bob = await n2.raw('bob', 'pc');
    await c2.iq(xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS_BLOCKING })));
    for (const c of [c1, c2, bob]) await c.send(xml('presence'));
    await until(() => n1.server.sessions.get(c2.jid)?.data['blocklist.interested'] === true, 'the push flag known on n1');
    // bob's message to carol, routed on n2, before any block: n2 caches carol's (empty) list
    await bob.send(xml('message', { to: 'carol@localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'before')));
    await c2.next((el) => el.getChildText('body') === 'before', 'delivered before the block');
    await c1.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: NS_BLOCKING }, xml('item', { jid: 'bob@localhost' }))));
    const push = await c2.next((el) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild('block', NS_BLOCKING) !== undefined, 'the block push on n2');
    assert.equal(push.getChild('block', NS_BLOCKING)?.getChild('item')?.attrs.jid, 'bob@localhost');
    await new Promise((r) => setTimeout(r, 100)); // the relayed change reaches n2
    // carol's own message to bob from n2 is refused there (XEP-0191 §3.3: to a blocked JID)
    await c2.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'm2' }, xml('body', {}, 'out')));
    const refused = await c2.next((el) => el.attrs.id === 'm2' && el.attrs.type === 'error', 'the refusal on n2');
    assert.ok(refused.getChild('error'));
    // and bob's, routed on n2, does not reach her on either node
    await bob.send(xml('message', { to: 'carol@localhost', type: 'chat', id: 'm3' }, xml('body', {}, 'after')));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c1.has((el) => el.getChildText('body') === 'after') || c2.has((el) => el.getChildText('body') === 'after'), false, 'blocked on n2');
    assert.equal(bob.has((el) => el.getChildText('body') === 'out'), false);
    for (const c of [c1, c2, bob]) await c.stop();
  });

  it('a PEP item published on one node is read on another that had the service cached (XEP-0163)', async () => {
    const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
    const items = () => xml('iq', { type: 'get' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: 'urn:example:mood' })));
    const a1 = await n1.raw('alice', 'one');
    const a2 = await n2.raw('alice', 'two');
    // n2 loads alice's service and caches it: the node does not exist yet
    const before = await a2.iq(items()).catch((err: unknown) => err);
    assert.ok(!(before instanceof Element) || before.attrs.type === 'error', 'no such node yet');
    await a1.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB },
      xml('publish', { node: 'urn:example:mood' }, xml('item', { id: 'i1' }, xml('mood', { xmlns: 'urn:example:mood' }, 'happy'))))));
    await new Promise((r) => setTimeout(r, 100)); // the relayed change reaches n2
    const after = await a2.iq(items());
    const got = after.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item').map((i) => i.attrs.id);
    assert.deepEqual(got, ['i1'], 'n2 reads the service again from the shared storage');
    for (const c of [a1, a2]) await c.stop();
  });
});
