/**
 * Two independent real client libraries over TCP on loopback — `stanza` (through the test TCP
 * transport adapter) and `@xmpp/client` — using the IM modules end to end: messages to full and
 * bare JIDs, the subscription handshake with presence after it, a roster round trip, and
 * offline delivery with XEP-0203 stamps.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stanzaLogin, nextEvent, stanzaStop } from '../helpers/stanza-client.js';
import { xml } from '../../lib/core/xml.js';
import { startImServer } from '../helpers/im-server.js';
import { is } from '../helpers/im-clients.js';

describe('IM with stanza and @xmpp/client', () => {
  it('exchanges messages to full and bare JIDs', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const alice = await stanzaLogin(s.port, 'alice', 'stanza');
    t.after(() => stanzaStop(alice));
    const bob = await s.xmppjs('bob', 'xmppjs');
    await bob.send(xml('presence'));
    await bob.next(is.presence(bob.jid, undefined), 'own presence');

    alice.sendMessage({ to: bob.jid, type: 'chat', body: 'to your full JID' });
    const m1 = await bob.next(is.message('alice@localhost'), 'full-JID message');
    assert.equal(m1.getChildText('body'), 'to your full JID');
    assert.equal(m1.attrs.from, String(alice.jid));

    alice.sendMessage({ to: 'bob@localhost', type: 'chat', body: 'to your bare JID' });
    const m2 = await bob.next(is.message('alice@localhost'), 'bare-JID message');
    assert.equal(m2.getChildText('body'), 'to your bare JID');

    const got = nextEvent(alice, 'message', (m) => m.body === 'hello stanza');
    await bob.send(xml('message', { to: String(alice.jid), type: 'chat' }, xml('body', {}, 'hello stanza')));
    assert.equal((await got).from, bob.jid);
  });

  it('runs the subscription handshake and then shares presence', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const alice = await stanzaLogin(s.port, 'alice', 'stanza');
    t.after(() => stanzaStop(alice));
    const bob = await s.xmppjs('bob', 'xmppjs');
    await alice.getRoster();
    await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    alice.sendPresence();
    await bob.send(xml('presence', {}, xml('status', {}, 'bob is online')));

    const pushToAlice = nextEvent(alice, 'roster:update', (iq) => iq.roster.items?.[0]?.subscription === 'to');
    const bobsPresence = nextEvent(alice, 'available', (p) => p.from === bob.jid);
    alice.subscribe('bob@localhost');
    await bob.next(is.presence('alice@localhost', 'subscribe'), 'request');
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
    const bobPush = await bob.next(is.rosterPush('alice@localhost'), "push to bob");
    assert.equal(bobPush.getChild('query', 'jabber:iq:roster')?.getChild('item')?.attrs.subscription, 'from');
    assert.equal((await pushToAlice).roster.items?.[0]?.jid, 'bob@localhost');
    assert.equal((await bobsPresence).status, 'bob is online');

    // bob sees alice's later presence; alice's roster says 'to'
    alice.sendPresence({ status: 'alice here' });
    // a message sent after it travels the same path: when it arrives, any broadcast would have
    alice.sendMessage({ to: bob.jid, body: 'marker' });
    await bob.next((el) => el.name === 'message' && el.getChildText('body') === 'marker', 'marker');
    assert.equal(bob.has((el) => el.name === 'presence' && el.getChildText('status') === 'alice here'), false,
      'bob is not subscribed to alice: he gets no broadcast');
    const roster = await alice.getRoster();
    assert.deepEqual(roster.items.map((i) => [i.jid, i.subscription]), [['bob@localhost', 'to']]);
  });

  it('round-trips the roster with stanza', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const alice = await stanzaLogin(s.port, 'alice', 'stanza');
    t.after(() => stanzaStop(alice));
    assert.deepEqual((await alice.getRoster()).items, []);
    const pushed = nextEvent(alice, 'roster:update');
    await alice.updateRosterItem({ jid: 'carol@localhost', name: 'Carol', subscription: 'none', groups: ['Friends'] });
    assert.equal((await pushed).roster.items?.[0]?.name, 'Carol');
    const r = await alice.getRoster();
    assert.equal(r.items.length, 1);
    assert.equal(r.items[0]?.name, 'Carol');
    assert.deepEqual(r.items[0]?.groups, ['Friends']);
    await alice.removeRosterItem('carol@localhost');
    assert.deepEqual((await alice.getRoster()).items, []);
  });

  it('stores messages for an offline stanza user and delivers them with a delay at login', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const bob = await s.xmppjs('bob', 'xmppjs');
    for (let i = 0; i < 5; i++) await bob.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', {}, `while away ${i}`)));
    await bob.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));

    const alice = await stanzaLogin(s.port, 'alice', 'stanza');
    t.after(() => stanzaStop(alice));
    const received: { body?: string; delay?: { from?: string; timestamp: Date } }[] = [];
    const all = new Promise<void>((resolve) => alice.on('message', (m) => { received.push(m); if (received.length === 5) resolve(); }));
    alice.sendPresence();
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error('offline messages not delivered')), 5000))]);
    assert.deepEqual(received.map((m) => m.body), [0, 1, 2, 3, 4].map((i) => `while away ${i}`));
    for (const m of received) {
      assert.equal(m.delay?.from, 'localhost');
      assert.ok(m.delay?.timestamp instanceof Date && !Number.isNaN(m.delay.timestamp.getTime()));
    }
  });
});
