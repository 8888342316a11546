/**
 * Tests for lib/modules/cluster/owned-addresses through real clients: rooms of the muc
 * component `conference.localhost` (on every node) and the pubsub component's service are
 * handled by one node at a time. Occupants on three nodes share one room; a clean stop hands
 * rooms over at once; a node killed with SIGKILL (a child process) loses its rooms to another
 * node within cluster_node_timeout, persistent rooms coming back from storage, and its
 * occupants leave the rooms of the other nodes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { xml, type Element } from '../../../lib/core/xml.js';
import type { StoredRoom } from '../../../lib/core/muc-api.js';
import type { RawConfig } from '../../../lib/index.js';
import { redisAvailable } from '../../helpers/engines.js';
import { startCluster, until, type ClusterNodeHandle, type TestCluster } from '../../helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../../helpers/cluster-process.js';
import { rawClient } from '../../helpers/im-clients.js';
import { PASSWORD } from '../../helpers/im-server.js';
import { codes, configureIq, item, joinRoom, MUC_SERVICE, NS_MUC_USER } from '../../helpers/muc.js';

const skip = redisAvailable();
const TIMEOUT = 1.2;
const PUBSUB = 'pubsub.localhost';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';

/** Both components on every node; rooms are instant (no locking) and persistent by default. */
const COMPONENTS: RawConfig = {
  Component: {
    [MUC_SERVICE]: { module: 'muc', muc_room_locking: false, muc_room_default_persistent: true },
    [PUBSUB]: { module: 'pubsub' },
  },
};

const groupchat = (room: string, text: string) => xml('message', { to: room, type: 'groupchat', id: `g-${text}` }, xml('body', {}, text));
const isBody = (text: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === text;
const joined = (room: string, nick: string) => (el: Element) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type === undefined;
const left = (room: string, nick: string) => (el: Element) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type === 'unavailable';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster: rooms and pubsub services owned by one node at a time', { skip }, () => {
  let cluster: TestCluster;
  let n1: ClusterNodeHandle;
  let n2: ClusterNodeHandle;
  let n3: ClusterNodeHandle;
  let redis: Redis;
  const owner = (address: string): Promise<string | null> => redis.get(`xmpp-cluster:owner:${address}`);

  before(async () => {
    cluster = await startCluster(TIMEOUT);
    n1 = await cluster.node('n1', COMPONENTS);
    cluster.users(n1.server, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace']);
    n2 = await cluster.node('n2', COMPONENTS);
    n3 = await cluster.node('n3', COMPONENTS);
    redis = new Redis(cluster.redis.url);
  });
  after(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  it('lets occupants on three nodes share one room: joins, groupchat once each, subject, private messages', async () => {
    const room = `lounge@${MUC_SERVICE}`;
    const a = await n1.raw('alice');
    const b = await n2.raw('bob');
    const c = await n3.raw('carol');
    await joinRoom(a, room, 'alice');
    assert.equal(await owner(room), 'n1', 'the node of the first stanza owns the room');
    await joinRoom(b, room, 'bob');
    await a.next(joined(room, 'bob'), "bob's join on n1");
    await joinRoom(c, room, 'carol');
    await a.next(joined(room, 'carol'), "carol's join on n1");
    await b.next(joined(room, 'carol'), "carol's join on n2");
    assert.ok(c.has(joined(room, 'alice')) && c.has(joined(room, 'bob')), 'carol got the occupants already there');

    await b.send(groupchat(room, 'hello from n2'));
    for (const x of [a, b, c]) await x.next(isBody('hello from n2'), 'the groupchat');
    // a burst from a node that forwards: in order, once each
    for (let i = 0; i < 20; i++) await c.send(groupchat(room, `burst ${i}`));
    for (let i = 0; i < 20; i++) await a.next(isBody(`burst ${i}`), `burst ${i} on n1`);
    await sleep(200);
    for (const x of [a, b, c]) {
      assert.equal(x.received.filter(isBody('hello from n2')).length, 1, 'exactly once');
      const order = x.received.filter((el) => el.getChildText('body')?.startsWith('burst') === true).map((el) => el.getChildText('body'));
      assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => `burst ${i}`));
    }

    await a.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'Cluster talk')));
    for (const x of [b, c]) await x.next((el) => el.getChildText('subject') === 'Cluster talk', 'the subject');

    await c.send(xml('message', { to: `${room}/bob`, type: 'chat' }, xml('body', {}, 'psst')));
    const pm = await b.next(isBody('psst'), 'the private message on n2');
    assert.equal(pm.attrs.from, `${room}/carol`);
    assert.equal(a.has(isBody('psst')), false);
    assert.equal(await owner(room), 'n1', 'still one owner');
  });

  it('lists the public rooms of every node in the service\'s disco#items (XEP-0045 §6.3)', async () => {
    const c = await n3.raw('carol', 'list');
    const list = async (): Promise<string[]> => {
      const r = await c.iq(xml('iq', { type: 'get', to: MUC_SERVICE }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
      return r.getChild('query')?.getChildren('item').map((i) => i.attrs.jid as string) ?? [];
    };
    assert.deepEqual(await list(), []);
    assert.equal(await owner(MUC_SERVICE), 'n3', 'the service address has its owner too');
    const a = await n1.raw('alice', 'list');
    const room = `agora@${MUC_SERVICE}`;
    await joinRoom(a, room, 'alice');
    assert.equal((await a.iq(configureIq(room, { 'muc#roomconfig_publicroom': '1' }))).attrs.type, 'result');
    assert.deepEqual(await list(), [room]);
  });

  it('hands rooms over at once when their node stops cleanly', async () => {
    const n4 = await cluster.node('n4', COMPONENTS);
    const room = `clean@${MUC_SERVICE}`;
    const e = await n4.raw('erin');
    await joinRoom(e, room, 'erin');
    assert.equal(await owner(room), 'n4');
    const b = await n1.raw('bob', 'clean');
    await joinRoom(b, room, 'bob');
    await n4.stop();
    assert.equal(await owner(room), null, 'the lease is gone with the node');
    // XEP-0045 §9 (status 332): the occupants elsewhere are told the room's service went away
    const out = await b.next(left(room, 'bob'), "bob's removal");
    assert.ok(codes(out).includes('332'), out.toString());
    const d = await n2.raw('dave');
    const started = Date.now();
    const { self } = await joinRoom(d, room, 'dave');
    assert.ok(Date.now() - started < TIMEOUT * 1000, 'no waiting for the lease to run out');
    assert.equal(await owner(room), 'n2');
    // the persistent room came back from storage: erin created it, so she owns it
    assert.equal(item(self)?.attrs.affiliation, 'none');
    const stored = n2.server.storage.get(MUC_SERVICE, 'muc_rooms', 'clean') as StoredRoom;
    assert.equal(stored.affiliations['erin@localhost']?.affiliation, 'owner');
  });

  describe('a node that dies', () => {
    let doomed: NodeProcess;
    before(async () => {
      doomed = await startNodeProcess({ ...cluster.config('doomed', COMPONENTS), log_level: 'error' });
    });
    after(() => doomed.kill());

    it('loses its rooms to a surviving node within the timeout (config and affiliations kept), and its occupants leave', async () => {
      const persist = `persist@${MUC_SERVICE}`;
      const other = `other@${MUC_SERVICE}`;
      const f = await rawClient(doomed.port, 'frank', PASSWORD, 'doomed');
      const g = await rawClient(doomed.port, 'grace', PASSWORD, 'doomed');
      const b = await n1.raw('bob', 'n1');
      const c = await n2.raw('carol', 'n2');
      // persist: created (owned) on the doomed node, configured, bob made a member
      await joinRoom(f, persist, 'frank');
      assert.equal(await owner(persist), 'doomed');
      assert.equal((await f.iq(configureIq(persist, { 'muc#roomconfig_roomname': 'Persisting' }))).attrs.type, 'result');
      assert.equal((await f.iq(xml('iq', { type: 'set', to: persist }, xml('query', { xmlns: NS_MUC_ADMIN },
        xml('item', { affiliation: 'member', jid: 'bob@localhost' }))))).attrs.type, 'result');
      await joinRoom(b, persist, 'bob');
      // other: owned by n2, with an occupant on the doomed node
      await joinRoom(c, other, 'carol');
      assert.equal(await owner(other), 'n2');
      await joinRoom(g, other, 'grace');
      await c.next(joined(other, 'grace'), "grace's join on n2");
      await until(() => n2.server.sessions.get(g.jid) !== undefined, "grace's session known on n2");

      const killedAt = Date.now();
      await doomed.kill();
      // the lease of the dead node's room runs out within the timeout
      let free = false;
      while (!free && Date.now() - killedAt < TIMEOUT * 1000 + 1500) {
        free = await owner(persist) === null;
        if (!free) await sleep(20);
      }
      assert.ok(free, 'the lease of the dead owner expired');
      assert.ok(Date.now() - killedAt <= TIMEOUT * 1000 + 300, `expired after ${Date.now() - killedAt} ms`);
      // XEP-0045 §7.14: grace leaves the room n2 owns, once the dead node is noticed
      const gone = await c.next(left(other, 'grace'), "grace's unavailable presence", 6000);
      assert.equal(item(gone)?.attrs.role, 'none');
      assert.ok(!codes(gone).includes('110'));
      // bob rejoins (XEP-0410 self-ping would have told his client): n1 takes the room from storage
      const { self } = await joinRoom(b, persist, 'bob');
      assert.equal(item(self)?.attrs.affiliation, 'member', 'affiliations survive');
      assert.equal(await owner(persist), 'n1');
      const info = await c.iq(xml('iq', { type: 'get', to: persist }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      assert.equal(info.getChild('query')?.getChild('identity')?.attrs.name, 'Persisting', 'the config survives');
      const features = info.getChild('query')?.getChildren('feature').map((x) => x.attrs.var);
      assert.ok(features?.includes('muc_persistent'));
      // frank (on the dead node) is not among the occupants the new owner lists
      assert.equal(b.received.filter((el) => el.name === 'presence' && el.attrs.from === `${persist}/frank`
        && el.attrs.type === undefined && el.getChild('x', NS_MUC_USER) !== undefined).length, 1, 'frank only from before the failover');
      await f.stop().catch(() => undefined);
      await g.stop().catch(() => undefined);
    });
  });

  it('pubsub: one node serves the whole service; notifications and items reach every node, and survive a change of owner', async () => {
    const a = await n1.raw('alice', 'ps');
    const b = await n2.raw('bob', 'ps');
    const c = await n3.raw('carol', 'ps');
    const ps = (el: Element) => xml('iq', { type: 'set', to: PUBSUB }, xml('pubsub', { xmlns: NS_PUBSUB }, el));
    assert.equal((await a.iq(ps(xml('create', { node: 'news' })))).attrs.type, 'result');
    assert.equal(await owner(PUBSUB), 'n1');
    assert.equal((await b.iq(ps(xml('subscribe', { node: 'news', jid: b.jid })))).attrs.type, 'result');
    assert.equal((await a.iq(ps(xml('publish', { node: 'news' }, xml('item', { id: 'one' }, xml('headline', { xmlns: 'urn:example:news' }, 'Verona'))))))
      .attrs.type, 'result');
    const event = await b.next((el) => el.name === 'message' && el.getChild('event', `${NS_PUBSUB}#event`) !== undefined, 'the notification on n2');
    assert.equal(event.attrs.from, PUBSUB);
    const items = await c.iq(xml('iq', { type: 'get', to: PUBSUB }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: 'news' }))));
    assert.equal(items.attrs.type, 'result');
    assert.deepEqual(items.getChild('pubsub')?.getChild('items')?.getChildren('item').map((i) => i.attrs.id), ['one']);

    // the service changes owner (as after its node died): the new owner reads nodes, items and subscriptions from storage
    await redis.set(`xmpp-cluster:owner:${PUBSUB}`, 'n2', 'PX', 60_000);
    await sleep(TIMEOUT * 1000); // n1's next beat finds the lease taken
    const again = await c.iq(xml('iq', { type: 'get', to: PUBSUB }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: 'news' }))));
    assert.deepEqual(again.getChild('pubsub')?.getChild('items')?.getChildren('item').map((i) => i.attrs.id), ['one']);
    assert.equal((await a.iq(ps(xml('publish', { node: 'news' }, xml('item', { id: 'two' }, xml('headline', { xmlns: 'urn:example:news' }, 'Mantua'))))))
      .attrs.type, 'result');
    const second = await b.next((el) => el.name === 'message' && el.getChild('event', `${NS_PUBSUB}#event`)?.getChild('items')?.getChild('item')?.attrs.id === 'two', 'the second notification');
    assert.equal(second.attrs.from, PUBSUB);
    assert.equal(await owner(PUBSUB), 'n2');
  });
});
