/**
 * Tests for lib/modules/blocklist/policy.ts on the wire (XEP-0191 §3.3, §3.4, §6): what a block
 * does to stanzas. Inbound from a blocked entity: messages dropped (or bounced with
 * bounce_blocked_messages) and never stored offline, presence dropped (probes and subscription
 * requests too), iq requests answered with service-unavailable, iq responses dropped. Outbound:
 * messages and iq requests refused with not-acceptable + <blocked/>, presence (the user's own,
 * and the server's broadcast) never sent. Blocking sends unavailable presence to a blocked
 * subscriber; unblocking sends the current presence again. JID matching: full, bare, domain.
 * "Nothing arrived" is asserted after a marker sent later on the same path has arrived.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import { is, type ImClient } from '../../helpers/im-clients.js';

const NS = 'urn:xmpp:blocking';
const H = 'localhost';
const A = `alice@${H}`;
const B = `bob@${H}`;
const CONFIG = { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'blocklist'] };

const block = (...jids: string[]): Element => xml('iq', { type: 'set' }, xml('block', { xmlns: NS }, ...jids.map((jid) => xml('item', { jid }))));
const unblock = (...jids: string[]): Element => xml('iq', { type: 'set' }, xml('unblock', { xmlns: NS }, ...jids.map((jid) => xml('item', { jid }))));
const chat = (to: string, id: string, type = 'chat'): Element => xml('message', { to, id, type }, xml('body', {}, id));

async function sync(...clients: ImClient[]): Promise<void> {
  for (const c of clients) await c.iq(xml('iq', { type: 'get', to: H }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

/** A marker message to `c` from postman (blocked by nobody); once it arrives, everything routed to `c` before it has arrived. */
async function drained(s: ImServer, c: ImClient): Promise<void> {
  const id = `mark-${Math.random().toString(36).slice(2)}`;
  s.server.route(xml('message', { from: `postman@${H}/m`, to: c.jid, id, type: 'chat' }, xml('body', {}, 'marker')));
  await c.next((el) => el.attrs.id === id, 'marker');
}

/** Mutual subscription written before anyone signs in. */
function befriend(s: ImServer, user: string, contact: string): void {
  s.server.storage.mapSet(H, 'roster_items', user, contact, { subscription: 'both', groups: [] });
  s.server.storage.mapSet(H, 'roster_items', contact.split('@')[0]!, `${user}@${H}`, { subscription: 'both', groups: [] });
}

const errorOf = (el: Element): string | undefined => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;
const fromTo = (from: string) => (el: Element): boolean => String(el.attrs.from).startsWith(from);

describe('blocklist: stanzas from and to blocked entities (XEP-0191 §3.3)', () => {
  it('drops messages from a blocked JID, online or offline (never stored), without an error by default', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], CONFIG);
    t.after(() => s.stop());
    const bob = await s.raw('bob', 'b');
    await bob.iq(block(A));
    await bob.send(xml('presence'));
    const alice = await s.xmppjs('alice', 'a');
    await alice.send(chat(B, 'to-bare'));
    await alice.send(chat(`${B}/b`, 'to-full'));
    await alice.send(chat(B, 'normal', 'normal'));
    await sync(alice);
    await drained(s, bob);
    assert.equal(bob.has(fromTo(A)), false, 'nothing from alice reached bob');
    assert.equal(alice.has((el) => el.attrs.type === 'error'), false, 'no error by default (bounce_blocked_messages = false)');

    // bob offline: not stored either
    await bob.stop();
    await alice.send(chat(B, 'while-offline'));
    await sync(alice);
    const bob2 = await s.raw('bob', 'b2');
    await bob2.send(xml('presence'));
    await drained(s, bob2);
    assert.equal(bob2.has((el) => el.name === 'message' && el.attrs.id === 'while-offline'), false, 'not stored offline');
  });

  it('bounces chat and normal messages with service-unavailable when bounce_blocked_messages is set; never headlines or errors', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], { ...CONFIG, bounce_blocked_messages: true });
    t.after(() => s.stop());
    const bob = await s.raw('bob', 'b');
    await bob.iq(block(A));
    const alice = await s.raw('alice', 'a');
    await alice.send(chat(B, 'c1'));
    const bounced = await alice.next((el) => el.name === 'message' && el.attrs.id === 'c1', 'the bounce');
    assert.deepEqual([bounced.attrs.type, errorOf(bounced), bounced.attrs.from], ['error', 'service-unavailable', B]);
    await alice.send(chat(B, 'n1', 'normal'));
    assert.equal(errorOf(await alice.next((el) => el.attrs.id === 'n1', 'normal bounce')), 'service-unavailable');
    await alice.send(chat(B, 'h1', 'headline'));
    await alice.send(xml('message', { to: B, id: 'e1', type: 'error' }, xml('error', { type: 'cancel' })));
    await sync(alice);
    assert.equal(alice.has((el) => el.attrs.id === 'h1' || el.attrs.id === 'e1'), false);
    await drained(s, bob);
    assert.equal(bob.has(fromTo(A)), false);
  });

  it('answers iq requests from a blocked JID with service-unavailable (bare and full JID) and drops its responses', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], CONFIG);
    t.after(() => s.stop());
    befriend(s, 'bob', A); // alice may see bob's account disco#info, until blocked
    const bob = await s.raw('bob', 'b');
    const alice = await s.raw('alice', 'a');
    const discoBare = (): Element => xml('iq', { type: 'get', to: B }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    await alice.iq(discoBare()); // allowed before the block
    await bob.iq(block(A));
    await assert.rejects(alice.iq(discoBare()), { condition: 'service-unavailable' });
    await assert.rejects(alice.iq(xml('iq', { type: 'get', to: `${B}/b` }, xml('ping', { xmlns: 'urn:xmpp:ping' }))), { condition: 'service-unavailable' });
    await alice.send(xml('iq', { type: 'result', to: `${B}/b`, id: 'r1' }));
    await alice.send(xml('iq', { type: 'error', to: `${B}/b`, id: 'r2' }, xml('error', { type: 'cancel' })));
    await sync(alice);
    await drained(s, bob);
    assert.equal(bob.has(fromTo(A)), false, 'no request, result or error from alice reached bob');
  });

  it('refuses the user\'s own messages and iq requests to a blocked JID with not-acceptable and <blocked/>; drops responses', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], CONFIG);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const bob = await s.xmppjs('bob', 'b');
    await bob.iq(block(A));
    await bob.send(chat(A, 'out1'));
    const refused = await bob.next((el) => el.name === 'message' && el.attrs.id === 'out1', 'the refusal');
    assert.equal(refused.attrs.type, 'error');
    assert.equal(errorOf(refused), 'not-acceptable');
    assert.ok(refused.getChild('error')!.getChild('blocked', 'urn:xmpp:blocking:errors'), '<blocked xmlns="urn:xmpp:blocking:errors"/>');
    const iq = bob.iq(xml('iq', { type: 'get', to: `${A}/a` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await assert.rejects(iq, { condition: 'not-acceptable' });
    await bob.send(xml('iq', { type: 'result', to: `${A}/a`, id: 'res' }));
    await sync(bob);
    assert.equal(bob.has((el) => el.attrs.id === 'res'), false, 'a response is dropped without an answer');
    await drained(s, alice);
    assert.equal(alice.has(fromTo(B)), false, 'nothing from bob reached alice');
  });

  it('stops presence both ways: unavailable on block, no broadcast, no probe, no directed presence, no request; presence again on unblock', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], CONFIG);
    t.after(() => s.stop());
    befriend(s, 'bob', A);
    const alice = await s.raw('alice', 'a');
    await alice.send(xml('presence'));
    await sync(alice);
    const bob = await s.raw('bob', 'b');
    await bob.send(xml('presence', {}, xml('status', {}, 'here')));
    await alice.next(is.presence(`${B}/b`), 'bob available');
    await bob.next(is.presence(`${A}/a`), 'alice available (probe answer)');

    // §3.3: blocking a subscriber sends it unavailable from each available resource
    await bob.iq(block(A));
    const gone = await alice.next(is.presence(`${B}/b`, 'unavailable'), 'bob unavailable to alice');
    assert.equal(gone.attrs.to, A);
    const seenByAlice = alice.received.length;
    const seenByBob = bob.received.length;

    await bob.send(xml('presence', {}, xml('show', {}, 'away'))); // broadcast: not to alice
    await bob.send(xml('presence', { to: `${A}/a` })); // directed: dropped
    await alice.send(xml('presence', {}, xml('show', {}, 'dnd'))); // alice's broadcast: not to bob
    await alice.send(xml('presence', { to: B, type: 'probe' })); // a blocked JID cannot probe
    const carol = await s.raw('carol', 'c');
    await carol.iq(block()).catch(() => undefined); // carol has the module too (bad-request, ignored)
    await sync(bob, alice, carol);
    await drained(s, alice);
    await drained(s, bob);
    assert.deepEqual(alice.received.slice(seenByAlice).filter(fromTo(B)).map(String), [], 'nothing from bob after the unavailable');
    assert.deepEqual(bob.received.slice(seenByBob).filter(fromTo(A)).map(String), [], 'nothing from alice');

    // subscription requests from a blocked JID are dropped, not stored
    await bob.iq(block(`carol@${H}`));
    await carol.send(xml('presence', { to: B, type: 'subscribe' }));
    await sync(carol);
    await drained(s, bob);
    assert.equal(bob.has(is.presence(`carol@${H}`, 'subscribe')), false);
    assert.equal(s.server.storage.mapGet(H, 'roster_pending', 'bob', `carol@${H}`), undefined, 'not stored');

    // §3.4: unblocking sends the current presence again
    await bob.iq(unblock(A));
    const back = await alice.next(is.presence(`${B}/b`), 'bob\'s current presence');
    assert.equal(back.getChildText('show'), 'away');
  });

  it('matches a full JID (that resource only), a bare JID (every resource) and a domain (everyone there) (§6)', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], CONFIG);
    t.after(() => s.stop());
    const bob = await s.raw('bob', 'b');
    await bob.send(xml('presence'));
    await bob.iq(block('eve@evil.example/phone', 'mallory@bad.example', 'spam.example', 'other.example/bot'));
    const deliver = (from: string, id: string): void => { s.server.route(xml('message', { from, to: B, id, type: 'chat' }, xml('body', {}, id))); };
    deliver('eve@evil.example/phone', 'blocked-full');
    deliver('eve@evil.example/laptop', 'other-resource');
    deliver('mallory@bad.example/x', 'blocked-bare');
    deliver('mallory@bad.example', 'blocked-bare-itself');
    deliver('anyone@spam.example/y', 'blocked-domain-user');
    deliver('spam.example', 'blocked-domain');
    deliver('svc.spam.example', 'subdomain');
    deliver('someone@other.example/bot', 'blocked-domain-resource');
    deliver('other.example/bot', 'blocked-domain-resource-itself');
    deliver('someone@other.example/desk', 'other-domain-resource');
    await drained(s, bob);
    const got = bob.received.filter((el) => el.name === 'message' && el.getChildText('body') !== 'marker').map((el) => el.attrs.id);
    assert.deepEqual(got, ['other-resource', 'subdomain', 'other-domain-resource']);
  });
});
