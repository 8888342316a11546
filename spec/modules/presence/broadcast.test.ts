/**
 * Tests for lib/modules/presence/broadcast.ts on the wire (RFC 6121 §4): initial presence
 * (broadcast to subscribers and the user's own resources, probes to subscriptions, the other
 * resources' presence, stored subscription requests, offline messages only at priority >= 0),
 * updates, unavailable presence (with directed-presence recipients, §4.6.3), probes answered by
 * subscription state (§4.3.2), and the unavailable presence sent when a session ends (§4.5.2),
 * cleanly or cut. Subscription states are written to storage before their users sign in.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import { is, type ImClient } from '../../helpers/im-clients.js';

const H = 'localhost';
const NS_DELAY = 'urn:xmpp:delay';

type Item = { subscription: 'none' | 'to' | 'from' | 'both'; ask?: 'subscribe' };

/** Write roster items before the user has a session (the rows the roster store reads). */
function seed(s: ImServer, user: string, items: Record<string, Item>): void {
  for (const [jid, item] of Object.entries(items)) s.server.storage.mapSet(H, 'roster_items', user, `${jid}@${H}`, { groups: [], ...item });
}

/** Everything `c` sent before has been processed, and everything queued for it has arrived. */
async function sync(...clients: ImClient[]): Promise<void> {
  for (const c of clients) await c.iq(xml('iq', { type: 'get', to: H }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

const presenceFrom = (from: string, type?: string) => (el: Element): boolean => el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;
const count = (c: ImClient, pred: (el: Element) => boolean): number => c.received.filter(pred).length;

async function online(s: ImServer, user: string, resource = 'r', status?: string): Promise<Awaited<ReturnType<ImServer['raw']>>> {
  const c = await s.raw(user, resource);
  await c.send(xml('presence', {}, status ? xml('status', {}, status) : undefined));
  await sync(c);
  return c;
}

describe('initial presence (RFC 6121 §4.2)', () => {
  it('goes to subscribers and the sender; probes reach only the contacts the user is subscribed to', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol', 'dave', 'erin']);
    t.after(() => s.stop());
    seed(s, 'alice', { bob: { subscription: 'from' }, carol: { subscription: 'to' }, dave: { subscription: 'both' }, erin: { subscription: 'none' } });
    seed(s, 'bob', { alice: { subscription: 'to' } });
    seed(s, 'carol', { alice: { subscription: 'from' } });
    seed(s, 'dave', { alice: { subscription: 'both' } });
    seed(s, 'erin', { alice: { subscription: 'none' } });
    const bob = await online(s, 'bob', 'b', 'bob');
    const carol = await online(s, 'carol', 'c', 'carol');
    const dave = await online(s, 'dave', 'd', 'dave');
    const erin = await online(s, 'erin', 'e', 'erin');

    const alice = await s.xmppjs('alice', 'a');
    await alice.send(xml('presence', {}, xml('status', {}, 'hello')));
    for (const c of [bob, dave]) {
      const p = await c.next(presenceFrom(alice.jid), `alice's presence at ${c.jid}`);
      assert.equal(p.getChildText('status'), 'hello');
    }
    await alice.next(presenceFrom(alice.jid), 'her own presence back');
    // answers to her probes: carol (to) and dave (both), with their current presence
    assert.equal((await alice.next(presenceFrom(carol.jid), "carol's presence")).getChildText('status'), 'carol');
    assert.equal((await alice.next(presenceFrom(dave.jid), "dave's presence")).getChildText('status'), 'dave');
    await sync(alice, bob, carol, dave, erin);
    assert.equal(carol.has(presenceFrom(alice.jid)), false, "carol is not subscribed to alice's presence");
    assert.equal(erin.has(presenceFrom(alice.jid)), false);
    assert.equal(alice.has(presenceFrom(bob.jid)), false, 'alice is not subscribed to bob: no probe');
    assert.equal(alice.has(presenceFrom(erin.jid)), false);
  });

  it("delivers the other available resources' presence, and announces the new one to them only", async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const one = await online(s, 'alice', 'one', 'first');
    const two = await s.raw('alice', 'two'); // bound, never available
    const three = await s.xmppjs('alice', 'three');
    await three.send(xml('presence', {}, xml('priority', {}, '3')));
    const other = await three.next(presenceFrom(one.jid), "alice/one's presence");
    assert.equal(other.attrs.to, three.jid);
    assert.equal(other.getChildText('status'), 'first');
    assert.ok(other.getChild('delay', NS_DELAY), 'the stored presence has its XEP-0203 stamp');
    const announced = await one.next(presenceFrom(three.jid), 'alice/three announced');
    assert.equal(announced.getChildText('priority'), '3');
    await sync(three, two);
    assert.equal(three.has(presenceFrom(two.jid)), false, 'a resource that never sent presence is not available');
    assert.equal(two.has((el) => el.name === 'presence'), false, 'and it is sent nobody\'s presence');
  });

  it('delivers stored subscription requests and resends pending-out ones at initial presence only', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol']);
    t.after(() => s.stop());
    seed(s, 'alice', { carol: { subscription: 'none', ask: 'subscribe' } });
    const bob = await online(s, 'bob', 'b');
    const carol = await online(s, 'carol', 'c');
    await bob.send(xml('presence', { to: `alice@${H}`, type: 'subscribe' }, xml('status', {}, 'bob here')));
    await sync(bob);

    const alice = await s.raw('alice', 'a');
    await sync(alice, carol);
    assert.equal(alice.has(is.presence(`bob@${H}`, 'subscribe')), false, 'not before initial presence');
    assert.equal(carol.has(is.presence(`alice@${H}`, 'subscribe')), false);
    await alice.send(xml('presence'));
    const req = await alice.next(is.presence(`bob@${H}`, 'subscribe'), 'the stored request');
    assert.equal(req.attrs.from, `bob@${H}`);
    assert.equal(req.getChildText('status'), 'bob here');
    const again = await carol.next(is.presence(`alice@${H}`, 'subscribe'), 'the pending-out request again');
    assert.equal(again.attrs.from, `alice@${H}`, 'from the bare JID');

    await alice.send(xml('presence', {}, xml('show', {}, 'away')));
    await sync(alice, carol);
    assert.equal(count(alice, is.presence(`bob@${H}`, 'subscribe')), 1, 'an update does not deliver it again');
    assert.equal(count(carol, is.presence(`alice@${H}`, 'subscribe')), 1);
  });

  it('delivers offline messages to a resource whose initial presence has priority >= 0 only', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const bob = await s.raw('bob', 'b');
    await bob.send(xml('message', { to: `alice@${H}`, type: 'chat', id: 'm1' }, xml('body', {}, 'while you were out')));
    await sync(bob);
    const negative = await s.raw('alice', 'neg');
    await negative.send(xml('presence', {}, xml('priority', {}, '-1')));
    await sync(negative);
    assert.equal(negative.has((el) => el.attrs.id === 'm1'), false, 'negative priority: kept stored');
    const zero = await s.xmppjs('alice', 'zero');
    await zero.send(xml('presence', {}, xml('priority', {}, '0')));
    const m = await zero.next((el) => el.attrs.id === 'm1', 'the stored message');
    assert.equal(m.getChild('delay', NS_DELAY)?.attrs.from, H);
    await sync(negative);
    assert.equal(negative.has((el) => el.attrs.id === 'm1'), false);
  });

  it('delivers offline messages when a resource raises its priority from negative to >= 0', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const bob = await s.raw('bob', 'b');
    await bob.send(xml('message', { to: `alice@${H}`, type: 'chat', id: 'm1' }, xml('body', {}, 'stored')));
    await sync(bob);
    const alice = await s.raw('alice', 'a');
    await alice.send(xml('presence', {}, xml('priority', {}, '-1')));
    await sync(alice);
    await alice.send(xml('presence', {}, xml('priority', {}, '5')));
    await alice.next((el) => el.attrs.id === 'm1', 'the stored message', 1000);
  });
});

describe('presence updates and unavailable (RFC 6121 §4.4, §4.5, §4.6.3)', () => {
  it('an update reaches subscribers and own resources, sets the priority, and probes nobody again', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol']);
    t.after(() => s.stop());
    seed(s, 'alice', { bob: { subscription: 'from' }, carol: { subscription: 'to' } });
    seed(s, 'bob', { alice: { subscription: 'to' } });
    seed(s, 'carol', { alice: { subscription: 'from' } });
    const bob = await online(s, 'bob', 'b');
    const carol = await online(s, 'carol', 'c');
    const a1 = await online(s, 'alice', 'one');
    const a2 = await online(s, 'alice', 'two');
    assert.equal(count(a2, presenceFrom(carol.jid)), 1, 'the initial presence probed carol');

    await a2.send(xml('presence', {}, xml('show', {}, 'dnd'), xml('priority', {}, '5')));
    for (const c of [bob, a1, a2]) {
      await c.next((el) => presenceFrom(a2.jid)(el) && el.getChildText('show') === 'dnd', `the update at ${c.jid}`);
    }
    await sync(a2, carol);
    assert.equal(carol.has((el) => presenceFrom(a2.jid)(el) && el.getChildText('show') === 'dnd'), false);
    assert.equal(count(a2, presenceFrom(carol.jid)), 1, 'no second probe');
    assert.equal(s.server.sessions.get(a2.jid)?.priority, 5);
    assert.equal(s.server.sessions.get(a2.jid)?.presence?.getChildText('show'), 'dnd');
  });

  it('unavailable reaches subscribers, own resources and directed-presence recipients, once each', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
    t.after(() => s.stop());
    seed(s, 'alice', { bob: { subscription: 'both' }, carol: { subscription: 'to' } });
    seed(s, 'bob', { alice: { subscription: 'both' } });
    seed(s, 'carol', { alice: { subscription: 'from' } });
    const bob = await online(s, 'bob', 'b');
    const carol = await online(s, 'carol', 'c');
    const dave = await online(s, 'dave', 'd');
    const erin = await online(s, 'erin', 'e');
    const frank = await online(s, 'frank', 'f');
    const alice = await online(s, 'alice', 'a');
    const other = await online(s, 'alice', 'other');
    // directed presence (§4.6.2): to dave, to bob (a subscriber anyway), to erin then withdrawn
    await alice.send(xml('presence', { to: dave.jid }, xml('status', {}, 'psst')));
    await alice.send(xml('presence', { to: `bob@${H}` }));
    await alice.send(xml('presence', { to: erin.jid }));
    await alice.send(xml('presence', { to: erin.jid, type: 'unavailable' }));
    await erin.next(presenceFrom(alice.jid, 'unavailable'), 'the directed unavailable');

    await alice.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'bye')));
    for (const c of [bob, dave, other, alice]) {
      const u = await c.next(presenceFrom(alice.jid, 'unavailable'), `unavailable at ${c.jid}`);
      assert.equal(u.getChildText('status'), 'bye');
    }
    await sync(alice, bob, carol, dave, erin, frank, other);
    for (const c of [bob, dave, other]) assert.equal(count(c, presenceFrom(alice.jid, 'unavailable')), 1, `one at ${c.jid}`);
    assert.equal(count(erin, presenceFrom(alice.jid, 'unavailable')), 1, 'erin only the one she was sent directly');
    assert.equal(carol.has(presenceFrom(alice.jid, 'unavailable')), false, 'carol is not a subscriber');
    assert.equal(frank.has(presenceFrom(alice.jid, 'unavailable')), false);
    const session = s.server.sessions.get(alice.jid)!;
    assert.equal(session.presence, undefined);
    assert.equal(session.priority, 0);

    // available again: that is initial presence, so contacts are probed again
    await alice.send(xml('presence'));
    await alice.next(presenceFrom(carol.jid), "carol's presence after the new initial presence");
  });
});

describe('probes (RFC 6121 §4.3.2)', () => {
  it('from a subscriber: the presence of each available resource, else unavailable from the bare JID', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    seed(s, 'alice', { bob: { subscription: 'from' } });
    const bob = await s.raw('bob', 'b');
    const probe = (to = `alice@${H}`): Promise<void> => bob.send(xml('presence', { to, type: 'probe' }));

    // alice offline, then bound but not available: unavailable, from her bare JID to the prober
    await probe();
    const off = await bob.next(presenceFrom(`alice@${H}`, 'unavailable'), 'unavailable');
    assert.equal(off.attrs.to, bob.jid);
    const a1 = await s.raw('alice', 'one');
    await probe();
    await bob.next(presenceFrom(`alice@${H}`, 'unavailable'), 'unavailable while not available');

    await a1.send(xml('presence', {}, xml('status', {}, 'one')));
    const a2 = await online(s, 'alice', 'two', 'two');
    await sync(bob);
    assert.equal(bob.has((el) => el.name === 'presence' && el.attrs.type === undefined), false, 'bob is not available: no broadcast');
    await probe();
    const answers = [await bob.next(presenceFrom(a1.jid), 'alice/one'), await bob.next(presenceFrom(a2.jid), 'alice/two')];
    assert.deepEqual(answers.map((p) => [p.attrs.to, p.getChildText('status')]), [[bob.jid, 'one'], [bob.jid, 'two']]);
    assert.ok(answers.every((p) => p.getChild('delay', NS_DELAY)), 'stamped with when they were sent');
    // a probe to a full JID is answered as one to the bare JID
    await probe(a1.jid);
    await bob.next(presenceFrom(a1.jid), 'alice/one again');
    await bob.next(presenceFrom(a2.jid), 'alice/two again');
    // a probe of one's own bare JID: the presence of the user's available resources
    await a1.send(xml('presence', { to: `alice@${H}`, type: 'probe' }));
    await a1.next(presenceFrom(a2.jid), "alice/two's presence to alice/one");
  });

  it('from anyone else, or to no such user: unsubscribed to the bare JID, and nothing revealed', async (t) => {
    const s = await startImServer(['alice', 'carol', 'dave']);
    t.after(() => s.stop());
    // alice gets carol's presence, not the other way round; carol's roster wrongly says 'to'
    seed(s, 'alice', { carol: { subscription: 'to' } });
    seed(s, 'carol', { alice: { subscription: 'to' } });
    const routed: Element[] = [];
    s.server.host(H).events.on('presence/bare', ({ stanza }: { stanza: Element }) => { routed.push(stanza); return undefined; }, 100);
    const alice = await online(s, 'alice', 'a', 'secret status');
    const carol = await s.raw('carol', 'c');
    const dave = await s.xmppjs('dave', 'd');
    await carol.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));

    await carol.send(xml('presence', { to: `alice@${H}`, type: 'probe' }));
    const u = await carol.next(is.presence(`alice@${H}`, 'unsubscribed'), 'unsubscribed');
    assert.equal(u.attrs.to, `carol@${H}`);
    const push = await carol.next(is.rosterPush(`alice@${H}`), "carol's roster repaired");
    assert.equal(push.getChild('query')?.getChild('item')?.attrs.subscription, 'none');

    await dave.send(xml('presence', { to: alice.jid, type: 'probe' }));
    await dave.send(xml('presence', { to: `ghost@${H}`, type: 'probe' }));
    await sync(dave, carol);
    const answers = routed.filter((el) => el.attrs.type === 'unsubscribed' && el.attrs.to === `dave@${H}`).map((el) => el.attrs.from);
    assert.deepEqual(answers, [`alice@${H}`, `ghost@${H}`], 'RFC 6121 §4.3.2 and §8.5.1');
    assert.equal(carol.has(presenceFrom(alice.jid)) || dave.has(presenceFrom(alice.jid)), false, 'no presence revealed');
  });
});

describe('the unavailable presence of a session that ends (RFC 6121 §4.5.2)', () => {
  for (const end of ['closes its stream', 'is cut without a close'] as const) {
    it(`is sent to subscribers, own resources and directed recipients when a session ${end}`, async (t) => {
      const s = await startImServer(['alice', 'bob', 'carol']);
      t.after(() => s.stop());
      seed(s, 'alice', { bob: { subscription: 'from' } });
      seed(s, 'bob', { alice: { subscription: 'to' } });
      const bob = await s.xmppjs('bob', 'b');
      await bob.send(xml('presence'));
      const carol = await online(s, 'carol', 'c');
      const other = await online(s, 'alice', 'other');
      const alice = await online(s, 'alice', 'a');
      await bob.next(presenceFrom(alice.jid), "alice's presence");
      await alice.send(xml('presence', { to: carol.jid }));
      await carol.next(presenceFrom(alice.jid), 'directed presence');

      if (end === 'closes its stream') await alice.stop();
      else alice.stream.socket.destroy();
      for (const c of [bob, carol, other]) {
        const u = await c.next(presenceFrom(alice.jid, 'unavailable'), `unavailable at ${c.jid}`);
        assert.equal(u.attrs.type, 'unavailable');
      }
      await sync(bob, carol, other);
      for (const c of [bob, carol, other]) assert.equal(count(c, presenceFrom(alice.jid, 'unavailable')), 1, `one at ${c.jid}`);
      assert.equal(s.server.sessions.get(alice.jid), undefined);
    });
  }

  it('is not sent for a session that never sent presence; one that sent only directed presence tells its recipient', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol']);
    t.after(() => s.stop());
    seed(s, 'alice', { bob: { subscription: 'from' } });
    const bob = await online(s, 'bob', 'b');
    const carol = await online(s, 'carol', 'c');
    const silent = await s.raw('alice', 'silent');
    const directed = await s.raw('alice', 'directed');
    await directed.send(xml('presence', { to: carol.jid }));
    await carol.next(presenceFrom(directed.jid), 'directed presence');

    silent.stream.socket.destroy();
    directed.stream.socket.destroy();
    await carol.next(presenceFrom(directed.jid, 'unavailable'), 'unavailable to the directed recipient');
    await waitUntil(() => s.server.sessions.ofUser(H, 'alice').length === 0);
    await sync(bob, carol);
    assert.equal(bob.has((el) => el.name === 'presence' && String(el.attrs.from).startsWith(`alice@${H}`)), false, 'bob hears nothing');
    assert.equal(carol.has(presenceFrom(silent.jid, 'unavailable')), false);
  });
});

async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
