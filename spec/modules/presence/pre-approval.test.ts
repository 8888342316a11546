/**
 * Tests for subscription pre-approval (RFC 6121 §3.4) on the wire: advertised with the `sub`
 * stream feature after authentication; a 'subscribed' sent before any request marks the roster
 * item approved (pushed, not routed); the contact's later request is approved on the user's
 * behalf and never delivered; 'unsubscribed' and roster removal cancel it; a client cannot set
 * 'approved' itself.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import { is, rawStream, type ImClient } from '../../helpers/im-clients.js';

const NS_ROSTER = 'jabber:iq:roster';
const A = 'alice@localhost';
const B = 'bob@localhost';

async function sync(...clients: ImClient[]): Promise<void> {
  for (const c of clients) await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

async function interested(c: ImClient): Promise<ImClient> {
  await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
  await c.send(xml('presence'));
  await sync(c);
  return c;
}

/** The next roster push for `jid` (answered), as its item. */
async function push(c: ImClient, jid: string): Promise<Element> {
  const iq = await c.next(is.rosterPush(jid), `roster push for ${jid}`);
  await c.send(xml('iq', { type: 'result', id: iq.attrs.id }));
  return iq.getChild('query', NS_ROSTER)!.getChild('item')!;
}

async function rosterItem(c: ImClient, jid: string): Promise<Element | undefined> {
  const res = await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
  return res.getChild('query', NS_ROSTER)?.getChildren('item').find((i) => i.attrs.jid === jid);
}

describe('subscription pre-approval (RFC 6121 §3.4)', () => {
  it('is advertised with <sub xmlns="urn:xmpp:features:pre-approval"/> after authentication only', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    assert.equal(stream.features.getChild('sub', 'urn:xmpp:features:pre-approval'), undefined, 'not before authentication');
    const token = Buffer.from(`\0alice\0secret-pw`).toString('base64');
    stream.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${token}</auth>`);
    await stream.next((el) => el.name === 'success', 'SASL success');
    const features = await stream.restart();
    assert.ok(features.getChild('sub', 'urn:xmpp:features:pre-approval'), 'offered after authentication');
  });

  it('a subscribed with no request pre-approves (pushed, not routed); the later request is approved on the user\'s behalf', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const a = await interested(await s.raw('alice', 'a'));
    const b = await interested(await s.xmppjs('bob', 'b'));

    // §3.4.2: bob pre-approves alice: his item has approved='true', alice hears nothing
    await b.send(xml('presence', { to: A, type: 'subscribed' }));
    const item = await push(b, A);
    assert.deepEqual([item.attrs.subscription, item.attrs.approved], ['none', 'true']);
    await sync(b, a);
    assert.equal(a.has((el) => el.name === 'presence' && el.attrs.from === B), false, 'the pre-approval is not routed');
    assert.equal((await rosterItem(b, A))?.attrs.approved, 'true', 'shown in the roster');
    // sending it again changes nothing
    await b.send(xml('presence', { to: A, type: 'subscribed' }));
    await sync(b);
    assert.equal(b.has(is.rosterPush(A)), false, 'no second push');

    // §3.4: alice asks; bob's server approves at once and bob never sees the request
    await a.send(xml('presence', { to: B, type: 'subscribe' }));
    assert.equal((await push(a, B)).attrs.ask, 'subscribe');
    await a.next(is.presence(B, 'subscribed'), 'the approval on bob\'s behalf');
    const sub = await push(a, B);
    assert.equal(sub.attrs.subscription, 'to');
    await a.next(is.presence(`${B}/b`), 'bob\'s presence follows the approval');
    const after = await push(b, A);
    assert.deepEqual([after.attrs.subscription, after.attrs.approved], ['from', undefined], 'approved is gone once subscribed');
    await sync(a, b);
    assert.equal(b.has(is.presence(A, 'subscribe')), false, 'the request was never delivered to bob');
  });

  it('unsubscribed cancels a pre-approval without telling the contact; a later request is delivered', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const a = await interested(await s.raw('alice', 'a'));
    const b = await interested(await s.raw('bob', 'b'));
    await b.send(xml('presence', { to: A, type: 'subscribed' }));
    assert.equal((await push(b, A)).attrs.approved, 'true');
    await b.send(xml('presence', { to: A, type: 'unsubscribed' }));
    const cancelled = await push(b, A);
    assert.deepEqual([cancelled.attrs.subscription, cancelled.attrs.approved], ['none', undefined]);
    await sync(b, a);
    assert.equal(a.has((el) => el.name === 'presence' && el.attrs.from === B), false, 'nothing routed to alice');
    await a.send(xml('presence', { to: B, type: 'subscribe' }));
    await b.next(is.presence(A, 'subscribe'), 'the request now reaches bob');
    assert.equal(a.has(is.presence(B, 'subscribed')), false, 'not approved automatically');
  });

  it('a client cannot set approved in a roster set; removing the item cancels the pre-approval', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const a = await interested(await s.raw('alice', 'a'));
    const b = await interested(await s.raw('bob', 'b'));
    await b.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: A, approved: 'true' }))));
    assert.equal((await push(b, A)).attrs.approved, undefined, 'RFC 6121 §2.1.2.1: ignored from a client');
    await b.send(xml('presence', { to: A, type: 'subscribed' }));
    assert.equal((await push(b, A)).attrs.approved, 'true');
    // a roster set keeps it (only the name and groups are the client's)
    await b.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: A, name: 'Alice' }))));
    const renamed = await push(b, A);
    assert.deepEqual([renamed.attrs.name, renamed.attrs.approved], ['Alice', 'true']);
    await b.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: A, subscription: 'remove' }))));
    assert.equal((await push(b, A)).attrs.subscription, 'remove');
    await a.send(xml('presence', { to: B, type: 'subscribe' }));
    await b.next(is.presence(A, 'subscribe'), 'after removal the request is delivered');
  });
});
