/**
 * Tests for lib/modules/presence: the subscription handshake end to end with roster pushes on
 * both sides (RFC 6121 §3), presence broadcast, probes, directed presence and the unavailable
 * presence of a closing session (§4), between @xmpp/client and a raw TCP client.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import { is, type ImClient } from '../../helpers/im-clients.js';

const NS_ROSTER = 'jabber:iq:roster';

const pushedItem = (iq: Element): Element => iq.getChild('query', NS_ROSTER)!.getChild('item')!;

async function rosterOf(c: ImClient): Promise<Record<string, Record<string, unknown>>> {
  const res = await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
  const out: Record<string, Record<string, unknown>> = {};
  for (const item of res.getChild('query', NS_ROSTER)?.getChildren('item') ?? []) out[item.attrs.jid as string] = { ...item.attrs };
  return out;
}

/** Wait for the stanza and answer a roster push as RFC 6121 §2.1.6 asks. */
async function push(c: ImClient, jid: string): Promise<Element> {
  const iq = await c.next(is.rosterPush(jid), `roster push for ${jid}`);
  await c.send(xml('iq', { type: 'result', id: iq.attrs.id }));
  return pushedItem(iq);
}

/** A round trip through the server: everything `c` sent before has been processed. */
async function sync(c: ImClient): Promise<void> {
  await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

/** Make a and b mutual contacts (subscription both), stanza by stanza. */
async function befriend(a: ImClient, b: ImClient, aBare: string, bBare: string): Promise<void> {
  for (const [from, toBare, type] of [[a, bBare, 'subscribe'], [b, aBare, 'subscribed'], [b, aBare, 'subscribe'], [a, bBare, 'subscribed']] as const) {
    await from.send(xml('presence', { to: toBare, type }));
    await sync(from);
  }
}

describe('presence subscription handshake', () => {
  it('runs subscribe → subscribed → mutual, with pushes on both sides, then broadcasts presence', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const alice = await s.xmppjs('alice', 'laptop');
    const bob = await s.raw('bob', 'phone');
    assert.deepEqual(await rosterOf(alice), {});
    assert.deepEqual(await rosterOf(bob), {});
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));

    // alice asks: her roster shows the pending request (RFC 6121 §3.1.2)
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
    let item = await push(alice, 'bob@localhost');
    assert.equal(item.attrs.subscription, 'none');
    assert.equal(item.attrs.ask, 'subscribe');
    // bob receives it from alice's bare JID (§3.1.3)
    const req = await bob.next(is.presence('alice@localhost', 'subscribe'), 'subscription request');
    assert.equal(req.attrs.from, 'alice@localhost');

    // bob approves (§3.1.5): his roster gets alice with 'from'; alice's gets bob with 'to'
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
    item = await push(bob, 'alice@localhost');
    assert.equal(item.attrs.subscription, 'from');
    item = await push(alice, 'bob@localhost');
    assert.equal(item.attrs.subscription, 'to');
    assert.equal(item.attrs.ask, undefined);
    const approved = await alice.next(is.presence('bob@localhost', 'subscribed'), 'subscribed');
    assert.equal(approved.attrs.from, 'bob@localhost');
    // and alice now gets bob's current presence (§3.1.5 / §4.3.2)
    await alice.next(is.presence(bob.jid, undefined), "bob's presence");

    // the other direction: both
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    item = await push(bob, 'alice@localhost');
    assert.equal(item.attrs.ask, 'subscribe');
    await alice.next(is.presence('bob@localhost', 'subscribe'), 'request from bob');
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
    item = await push(alice, 'bob@localhost');
    assert.equal(item.attrs.subscription, 'both');
    item = await push(bob, 'alice@localhost');
    assert.equal(item.attrs.subscription, 'both');
    await bob.next(is.presence(alice.jid, undefined), "alice's presence");

    assert.equal((await rosterOf(alice))['bob@localhost']?.subscription, 'both');
    assert.equal((await rosterOf(bob))['alice@localhost']?.subscription, 'both');

    // broadcast (§4.4.2): an update from alice reaches bob
    await alice.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'lunch')));
    const update = await bob.next((el) => el.name === 'presence' && el.attrs.from === alice.jid && el.getChildText('show') === 'away', 'away update');
    assert.equal(update.getChildText('status'), 'lunch');

    // a session that goes away is announced unavailable (§4.5.2)
    await alice.stop();
    await bob.next(is.presence(alice.jid, 'unavailable'), 'unavailable on disconnect');
  });

  it('probes contacts at initial presence and delivers the presence of other resources', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    // make them mutual contacts with the raw client
    const a = await s.raw('alice', 'one');
    const b = await s.raw('bob', 'one');
    await befriend(a, b, 'alice@localhost', 'bob@localhost');
    await b.send(xml('presence', {}, xml('status', {}, 'bob is here')));
    await b.next(is.presence(b.jid, undefined), 'own presence');

    // a second resource of alice comes online: its initial presence probes bob (§4.2.2)
    const a2 = await s.xmppjs('alice', 'two');
    await a.send(xml('presence', {}, xml('status', {}, 'alice one')));
    await a.next(is.presence(a.jid, undefined), 'own presence');
    await a2.send(xml('presence'));
    const bobs = await a2.next((el) => el.name === 'presence' && el.attrs.from === b.jid, 'probe answer from bob');
    assert.equal(bobs.getChildText('status'), 'bob is here');
    assert.ok(bobs.getChild('delay', 'urn:xmpp:delay'), 'stored presence carries its XEP-0203 stamp');
    const other = await a2.next((el) => el.name === 'presence' && el.attrs.from === a.jid, "alice/one's presence");
    assert.equal(other.getChildText('status'), 'alice one');
    // and alice/one learns about alice/two
    await a.next(is.presence(a2.jid, undefined), 'alice/two announced to alice/one');
  });

  it('redelivers a request received while offline, and tells the requester about a denial', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    assert.deepEqual(await rosterOf(alice), {}); // alice's resource is now interested (RFC 6121 §2.1.6)
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }, xml('status', {}, "it's alice")));
    assert.equal((await push(alice, 'bob@localhost')).attrs.ask, 'subscribe');

    // bob was offline; the request waits for his initial presence (RFC 6121 §3.1.3)
    const bob = await s.xmppjs('bob', 'b');
    await bob.send(xml('presence'));
    const req = await bob.next(is.presence('alice@localhost', 'subscribe'), 'stored request');
    assert.equal(req.getChildText('status'), "it's alice");

    // bob denies (§3.2.2): alice's pending request is cancelled, with a push (§3.2.3)
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'unsubscribed' }));
    await alice.next(is.presence('bob@localhost', 'unsubscribed'), 'denial');
    const item = await push(alice, 'bob@localhost');
    assert.equal(item.attrs.subscription, 'none');
    assert.equal(item.attrs.ask, undefined);
    // the request is no longer pending: bob's next login does not see it again
    await bob.stop();
    const bob2 = await s.raw('bob', 'b2');
    await bob2.send(xml('presence'));
    await bob2.next(is.presence(bob2.jid, undefined), 'own presence');
    await bob2.send(xml('message', { to: bob2.jid, id: 'mark' }, xml('body', {}, 'marker')));
    await bob2.next((el) => el.attrs.id === 'mark', 'marker');
    assert.equal(bob2.has(is.presence('alice@localhost', 'subscribe')), false);
  });

  it('cancels a mutual subscription with unsubscribe (RFC 6121 §3.3)', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const bob = await s.raw('bob', 'b');
    // both resources fetch the roster: inbound unsubscribe goes to interested resources (§3.3.3)
    await rosterOf(alice);
    await rosterOf(bob);
    await befriend(alice, bob, 'alice@localhost', 'bob@localhost');
    await alice.send(xml('presence'));
    await sync(alice);
    await bob.send(xml('presence'));
    await alice.next(is.presence(bob.jid, undefined), "bob's presence");
    assert.equal((await rosterOf(alice))['bob@localhost']?.subscription, 'both');

    // alice stops receiving bob's presence: both → from for her, both → to for bob
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'unsubscribe' }));
    await bob.next(is.presence('alice@localhost', 'unsubscribe'), 'unsubscribe delivered');
    await alice.next(is.presence(bob.jid, 'unavailable'), "bob's resources go unavailable for alice (§3.3.3)");
    assert.equal((await rosterOf(alice))['bob@localhost']?.subscription, 'from');
    assert.equal((await rosterOf(bob))['alice@localhost']?.subscription, 'to');

    // bob's presence no longer reaches alice; alice's still reaches bob
    await bob.send(xml('presence', {}, xml('status', {}, 'after')));
    await sync(bob);
    await alice.send(xml('presence', {}, xml('status', {}, 'still visible')));
    await bob.next((el) => el.name === 'presence' && el.attrs.from === alice.jid && el.getChildText('status') === 'still visible', 'alice visible');
    await alice.send(xml('message', { to: alice.jid, id: 'mark' }, xml('body', {}, 'marker')));
    await alice.next((el) => el.attrs.id === 'mark', 'marker');
    assert.equal(alice.has((el) => el.name === 'presence' && el.getChildText('status') === 'after'), false);
  });

  it('sends directed presence, and unavailable to its recipients when the session closes', async (t) => {
    const s = await startImServer(['alice', 'carol']);
    t.after(() => s.stop());
    const alice = await s.xmppjs('alice', 'a');
    const carol = await s.raw('carol', 'c');
    await carol.send(xml('presence'));
    await alice.send(xml('presence'));
    // not a contact: directed presence (§4.6)
    await alice.send(xml('presence', { to: carol.jid }, xml('status', {}, 'just for you')));
    const direct = await carol.next(is.presence(alice.jid, undefined), 'directed presence');
    assert.equal(direct.getChildText('status'), 'just for you');
    await alice.stop();
    await carol.next(is.presence(alice.jid, 'unavailable'), 'unavailable after directed presence (§4.6.3)');
  });

  it('answers invalid presence types with bad-request', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await alice.send(xml('presence', { type: 'bogus', id: 'p1' }));
    const err = await alice.next((el) => el.name === 'presence' && el.attrs.id === 'p1', 'error');
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.getChild('error')?.getChildElements()[0]?.name, 'bad-request');
  });
});
