/**
 * Tests for lib/modules/carbons (XEP-0280): two resources of one account with @xmpp/client and
 * the raw client; sent and received copies, what is not copied, disable, and forged carbons.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const NS = 'urn:xmpp:carbons:2';
const enable = () => xml('iq', { type: 'set' }, xml('enable', { xmlns: NS }));
const disable = () => xml('iq', { type: 'set' }, xml('disable', { xmlns: NS }));
const chat = (to: string, body: string, type = 'chat', ...extra: Element[]) => xml('message', { to, type, id: `m-${body}` }, xml('body', {}, body), ...extra);
const carbonOf = (kind: 'sent' | 'received') => (el: Element) => el.name === 'message' && el.getChild(kind, NS) !== undefined;
const inner = (el: Element, kind: 'sent' | 'received'): Element => el.getChild(kind, NS)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
const online = async (c: ImClient) => { await c.send(xml('presence')); };

async function setup(t: { after(fn: () => unknown): void }) {
  const s = await startImServer(['alice', 'bob'], { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'carbons'] });
  t.after(() => s.stop());
  const a1 = await s.xmppjs('alice', 'one');
  const a2 = await s.raw('alice', 'two');
  const b = await s.raw('bob', 'phone');
  for (const c of [a1, a2, b]) await online(c);
  return { s, a1, a2, b };
}

describe('carbons (XEP-0280)', () => {
  it('copies a sent message to the other enabled resource, with the original inside', async (t) => {
    const { a1, a2, b } = await setup(t);
    await a2.iq(enable());
    await a1.send(chat(b.jid, 'hello bob'));
    const got = await b.next((el) => el.name === 'message' && el.getChildText('body') === 'hello bob', 'the original');
    assert.equal(got.attrs.from, a1.jid);
    const copy = await a2.next(carbonOf('sent'), 'a sent carbon');
    assert.equal(copy.attrs.from, 'alice@localhost');
    assert.equal(copy.attrs.to, a2.jid);
    const m = inner(copy, 'sent');
    assert.equal(m.attrs.to, b.jid);
    assert.equal(m.attrs.from, a1.jid);
    assert.equal(m.getChildText('body'), 'hello bob');
  });

  it('copies a received message to the resource it was not addressed to, never to the sender itself', async (t) => {
    const { a1, a2, b } = await setup(t);
    await a1.iq(enable());
    await a2.iq(enable());
    await b.send(chat(a2.jid, 'to two'));
    await a2.next((el) => el.getChildText('body') === 'to two', 'the original');
    const copy = await a1.next(carbonOf('received'), 'a received carbon');
    assert.equal(inner(copy, 'received').getChildText('body'), 'to two');
    assert.equal(inner(copy, 'received').attrs.from, b.jid);
    // a2 sends: a1 gets a sent copy, a2 none of its own
    await a2.send(chat(b.jid, 'from two'));
    await a1.next(carbonOf('sent'), 'sent carbon to one');
    await b.next((el) => el.getChildText('body') === 'from two', 'bob gets it');
    await a1.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(a2.received.filter(carbonOf('sent')).length, 0, 'no copy of its own message');
    assert.equal(a2.received.filter(carbonOf('received')).length, 0, 'no copy of a message it got directly');
  });

  it('copies nothing to a resource that did not enable (or disabled) carbons', async (t) => {
    const { a1, a2, b } = await setup(t);
    await a2.iq(enable());
    await a2.iq(disable());
    await a1.send(chat(b.jid, 'one'));
    await b.send(chat(a1.jid, 'two'));
    await a1.next((el) => el.getChildText('body') === 'two', 'direct');
    await b.next((el) => el.getChildText('body') === 'one', 'direct');
    await a2.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(a2.received.filter((el) => el.name === 'message').length, 0);
  });

  it('honours <private/>, <no-copy/>, and does not copy groupchat, headline, or normal without a body', async (t) => {
    const { a1, a2, b } = await setup(t);
    await a2.iq(enable());
    await a1.send(chat(b.jid, 'private', 'chat', xml('private', { xmlns: NS })));
    await a1.send(chat(b.jid, 'nocopy', 'chat', xml('no-copy', { xmlns: 'urn:xmpp:hints' })));
    await a1.send(xml('message', { to: b.jid, type: 'headline' }, xml('body', {}, 'news')));
    await a1.send(xml('message', { to: b.jid, type: 'normal' }, xml('subject', {}, 'only a subject')));
    // a receipt (normal, no body) is copied
    await a1.send(xml('message', { to: b.jid, id: 'r1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'x' })));
    const copy = await a2.next(carbonOf('sent'), 'the receipt copy');
    assert.ok(inner(copy, 'sent').getChild('received', 'urn:xmpp:receipts'));
    await a1.send(chat(b.jid, 'last'));
    const last = await a2.next(carbonOf('sent'), 'the last copy');
    assert.equal(inner(last, 'sent').getChildText('body'), 'last');
    assert.equal(a2.received.filter(carbonOf('sent')).length, 2, 'only the receipt and the last one');
  });

  it('rejects a carbon forged by a client and sent to another user (XEP-0280 §11)', async (t) => {
    const { a1, b } = await setup(t);
    const forged = xml('message', { to: b.jid, id: 'forge' },
      xml('received', { xmlns: NS }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' },
        xml('message', { from: 'carol@localhost/x', to: b.jid, type: 'chat' }, xml('body', {}, 'fake')))));
    await a1.send(forged);
    const err = await a1.next((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'forge', 'the error');
    assert.ok(err.getChild('error')?.getChild('forbidden', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    await b.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(b.received.filter((el) => el.name === 'message').length, 0, 'bob never sees it');
  });

  it('is advertised on the server and enable needs a bound resource', async (t) => {
    const { a1 } = await setup(t);
    const info = await a1.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
  });
});
