/**
 * Tests for lib/modules/offline: messages to an offline user are stored with a XEP-0203 delay
 * and delivered in order at the next initial presence; nothing is lost; the limit bounces.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../../helpers/im-server.js';

const delayOf = (el: Element): Element | undefined => el.getChild('delay', 'urn:xmpp:delay');

describe('offline messages', () => {
  it('stores 50 messages for an offline user and delivers all of them, in order, at the next login', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const alice = await s.xmppjs('alice', 'a');
    const before = Date.now();
    for (let i = 0; i < 50; i++) {
      await alice.send(xml('message', { to: 'bob@localhost', type: i % 2 ? 'chat' : 'normal', id: `off${i}` }, xml('body', {}, `message ${i}`)));
    }
    // a round trip through the server: every message above has been handled when it returns
    await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(alice.has((el) => el.name === 'message' && el.attrs.type === 'error'), false, 'nothing bounced');

    const bob = await s.xmppjs('bob', 'phone');
    assert.equal(bob.has((el) => el.name === 'message'), false, 'no delivery before initial presence');
    await bob.send(xml('presence'));
    const got: Element[] = [];
    for (let i = 0; i < 50; i++) got.push(await bob.next((el) => el.name === 'message', `offline message ${i}`));
    assert.deepEqual(got.map((m) => m.getChildText('body')), Array.from({ length: 50 }, (_, i) => `message ${i}`));
    for (const m of got) {
      assert.equal(m.attrs.from, alice.jid);
      const delay = delayOf(m);
      assert.ok(delay, 'XEP-0203 delay element');
      assert.equal(delay.attrs.from, 'localhost');
      const stamp = Date.parse(delay.attrs.stamp as string);
      assert.ok(stamp >= before - 1000 && stamp <= Date.now() + 1000, `stamp ${delay.attrs.stamp} is when it was stored`);
    }
    await bob.stop();

    // delivered messages are gone: a second login gets nothing
    const again = await s.raw('bob', 'second');
    await again.send(xml('presence'));
    await again.next((el) => el.name === 'presence' && el.attrs.from === again.jid, 'own presence');
    await again.send(xml('message', { to: again.jid, id: 'mark' }, xml('body', {}, 'marker')));
    await again.next((el) => el.attrs.id === 'mark', 'marker');
    assert.equal(again.has((el) => el.name === 'message' && el.attrs.id !== 'mark'), false, 'nothing delivered twice');
  });

  it('keeps stored messages in SQLite across a restart', async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const config = { storage: 'sqlite', data_path: dir.path };
    const first = await startImServer(['alice', 'bob'], config);
    const alice = await first.raw('alice', 'a');
    await alice.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'keep' }, xml('body', {}, 'survives a restart')));
    await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await first.stop();

    const second = await startImServer([], config);
    t.after(() => second.stop());
    const bob = await second.raw('bob', 'b');
    await bob.send(xml('presence'));
    const m = await bob.next((el) => el.name === 'message', 'stored message');
    assert.equal(m.getChildText('body'), 'survives a restart');
    assert.ok(delayOf(m));
  });

  it('bounces with service-unavailable beyond offline_max_messages and never stores headlines', async (t) => {
    const s = await startImServer(['alice', 'bob'], { offline_max_messages: 2 });
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    for (const id of ['k1', 'k2', 'k3']) await alice.send(xml('message', { to: 'bob@localhost', type: 'chat', id }, xml('body', {}, id)));
    await alice.send(xml('message', { to: 'bob@localhost', type: 'headline', id: 'h1' }, xml('body', {}, 'news')));
    const err = await alice.next((el) => el.attrs.id === 'k3', 'bounce of the third');
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.getChild('error')?.getChildElements()[0]?.name, 'service-unavailable');
    const bob = await s.raw('bob', 'b');
    await bob.send(xml('presence'));
    const a = await bob.next((el) => el.name === 'message', 'first');
    const b = await bob.next((el) => el.name === 'message', 'second');
    assert.deepEqual([a.attrs.id, b.attrs.id], ['k1', 'k2']);
    await bob.send(xml('message', { to: bob.jid, id: 'mark' }, xml('body', {}, 'marker')));
    await bob.next((el) => el.attrs.id === 'mark', 'marker');
    assert.equal(bob.has((el) => el.attrs.id === 'h1' || el.attrs.id === 'k3'), false, 'headline not stored, third not stored');
  });
});
