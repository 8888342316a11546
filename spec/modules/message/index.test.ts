/**
 * Tests for lib/modules/message: delivery to full and bare JIDs by priority and type
 * (RFC 6121 §8.5), errors for unknown users, with @xmpp/client and a raw TCP client.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const body = (el: Element): string | null => el.getChildText('body');
const errorCondition = (el: Element): string | undefined =>
  el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

describe('message delivery', () => {
  let s: ImServer;
  before(async () => { s = await startImServer(['alice', 'bob', 'carol']); });
  after(async () => { await s.stop(); });

  it('delivers to a full JID both ways between @xmpp/client and a raw TCP client', async () => {
    const alice = await s.xmppjs('alice', 'laptop');
    const bob = await s.raw('bob', 'phone');
    await alice.send(xml('message', { to: bob.jid, type: 'chat', id: 'm1' }, xml('body', {}, 'hello bob')));
    const got = await bob.next((el) => el.name === 'message' && el.attrs.id === 'm1', 'alice→bob');
    assert.equal(got.attrs.from, alice.jid, 'the server stamps the sender full JID (RFC 6120 §8.1.2.1)');
    assert.equal(body(got), 'hello bob');
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'm2' }, xml('body', {}, 'hi alice')));
    const back = await alice.next((el) => el.name === 'message' && el.attrs.id === 'm2', 'bob→alice');
    assert.equal(back.attrs.from, bob.jid);
    assert.equal(body(back), 'hi alice');
    await alice.stop();
    await bob.stop();
  });

  it('delivers chat to a bare JID to every non-negative available resource, normal only to the highest', async () => {
    const alice = await s.xmppjs('alice', 'a1');
    const high = await s.raw('bob', 'high');
    const low = await s.raw('bob', 'low');
    const negative = await s.raw('bob', 'neg');
    const unavailable = await s.raw('bob', 'noprs'); // bound but never sent presence
    await high.send(xml('presence', {}, xml('priority', {}, '10')));
    await low.send(xml('presence', {}, xml('priority', {}, '1')));
    await negative.send(xml('presence', {}, xml('priority', {}, '-1')));
    // each resource sees its own presence reflected (RFC 6121 §4.2.2): they are available now
    for (const c of [high, low, negative]) await c.next((el) => el.name === 'presence' && el.attrs.from === c.jid, 'own presence');

    await alice.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'c1' }, xml('body', {}, 'chat')));
    await high.next((el) => el.attrs.id === 'c1', 'chat on high');
    await low.next((el) => el.attrs.id === 'c1', 'chat on low');

    await alice.send(xml('message', { to: 'bob@localhost', type: 'normal', id: 'n1' }, xml('body', {}, 'normal')));
    await high.next((el) => el.attrs.id === 'n1', 'normal on high');
    // a marker sent after it to 'low' directly: when it arrives, 'n1' would have arrived before it
    await alice.send(xml('message', { to: low.jid, type: 'chat', id: 'mark' }, xml('body', {}, 'marker')));
    await low.next((el) => el.attrs.id === 'mark', 'marker on low');
    assert.equal(low.has((el) => el.attrs.id === 'n1'), false, 'normal goes to the highest priority only');
    await negative.send(xml('message', { to: negative.jid, id: 'mark2' }, xml('body', {}, 'self marker')));
    await negative.next((el) => el.attrs.id === 'mark2', 'marker on negative');
    assert.equal(negative.has((el) => el.attrs.id === 'c1' || el.attrs.id === 'n1'), false, 'negative priority gets no bare-JID message');
    await unavailable.send(xml('message', { to: unavailable.jid, id: 'mark3' }, xml('body', {}, 'self marker')));
    await unavailable.next((el) => el.attrs.id === 'mark3', 'marker on the unavailable resource');
    assert.equal(unavailable.has((el) => el.attrs.id === 'c1'), false, 'a resource without presence is not available');
    for (const c of [alice, high, low, negative, unavailable]) await c.stop();
  });

  it('treats chat to an unknown resource as sent to the bare JID (RFC 6121 §8.5.3.2.1)', async () => {
    const alice = await s.xmppjs('alice', 'x1');
    const bob = await s.raw('bob', 'desk');
    await bob.send(xml('presence'));
    await bob.next((el) => el.name === 'presence' && el.attrs.from === bob.jid, 'own presence');
    await alice.send(xml('message', { to: 'bob@localhost/gone', type: 'chat', id: 'r1' }, xml('body', {}, 'to a closed resource')));
    const got = await bob.next((el) => el.attrs.id === 'r1', 'redirected message');
    assert.equal(got.attrs.to, 'bob@localhost/gone');
    await alice.send(xml('message', { to: 'bob@localhost/gone', type: 'groupchat', id: 'g1' }, xml('body', {}, 'gc')));
    const err = await alice.next((el) => el.attrs.id === 'g1', 'groupchat error');
    assert.equal(err.attrs.type, 'error');
    assert.equal(errorCondition(err), 'service-unavailable');
    await alice.stop();
    await bob.stop();
  });

  it('answers a message to an unknown user with service-unavailable (RFC 6121 §8.5.1)', async () => {
    const alice: ImClient = await s.xmppjs('alice', 'u1');
    await alice.send(xml('message', { to: 'nobody@localhost', type: 'chat', id: 'u1' }, xml('body', {}, 'anyone?')));
    const err = await alice.next((el) => el.name === 'message' && el.attrs.id === 'u1', 'error reply');
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.attrs.from, 'nobody@localhost');
    assert.equal(errorCondition(err), 'service-unavailable');
    await alice.stop();
  });

  it('answers groupchat to a bare JID with an error and drops errors silently', async () => {
    const alice = await s.raw('alice', 'gc');
    const carol = await s.raw('carol', 'c');
    await carol.send(xml('presence'));
    await carol.next((el) => el.name === 'presence' && el.attrs.from === carol.jid, 'own presence');
    await alice.send(xml('message', { to: 'carol@localhost', type: 'groupchat', id: 'gc1' }, xml('body', {}, 'x')));
    const err = await alice.next((el) => el.attrs.id === 'gc1', 'groupchat bounce');
    assert.equal(errorCondition(err), 'service-unavailable');
    // an error stanza to an unknown user is never answered (RFC 6120 §8.3.1)
    await alice.send(xml('message', { to: 'nobody@localhost', type: 'error', id: 'e1' }));
    await alice.send(xml('message', { to: alice.jid, id: 'mark' }, xml('body', {}, 'marker')));
    await alice.next((el) => el.attrs.id === 'mark', 'marker');
    assert.equal(alice.has((el) => el.attrs.id === 'e1'), false);
    await alice.stop();
    await carol.stop();
  });
});
