/**
 * Tests for lib/modules/muc/history.ts and the muc-* events around it: maxchars counts whole
 * stanzas, historylength bounds the ring, `muc-get-history` replaces it, and the other events
 * (`muc-broadcast-message`, `muc-room-defaults`, `muc-config-form`, `muc-config-submitted`,
 * `muc-disco-info`, joined/left) fire with what modules need.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, xml, type Element } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import { configureIq, joinRoom, mucComponent, MUC_SERVICE, NS_MUC_OWNER } from '../../helpers/muc.js';
import { History } from '../../../lib/modules/muc/history.js';
import type { MucConfigFormEvent, MucConfigSubmittedEvent, MucDiscoInfoEvent, MucMessageEvent, MucOccupantEvent, MucRoomDefaultsEvent } from '../../../lib/core/muc-api.js';

const ROOM = `hall@${MUC_SERVICE}`;
const bodies = (list: Element[]): string[] => list.map((m) => m.getChildText('body') ?? '');

/** Join with a history request and collect the history messages (those before the subject). */
async function joinWithHistory(c: Awaited<ReturnType<Awaited<ReturnType<typeof startImServer>>['raw']>>, nick: string, history: Record<string, string>): Promise<Element[]> {
  await joinRoom(c, ROOM, nick, [xml('history', history)]);
  const got: Element[] = [];
  for (;;) {
    const idx = c.received.findIndex((el) => el.name === 'message' && el.getChild('delay', 'urn:xmpp:delay') !== undefined);
    if (idx === -1) break;
    got.push(c.received.splice(idx, 1)[0]!);
  }
  return got;
}

describe('muc history and events', () => {
  it('maxchars counts each whole stanza as sent; historylength bounds what is kept', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol', 'dave'], mucComponent({ muc_room_locking: false }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await joinRoom(alice, ROOM, 'alice');
    for (const text of ['one', 'two', 'three']) {
      await alice.send(xml('message', { type: 'groupchat', to: ROOM, id: text }, xml('body', {}, text)));
      await alice.next((el) => el.attrs.id === text, text);
    }
    const bob = await s.raw('bob', 'b');
    const all = await joinWithHistory(bob, 'bob', {});
    assert.deepEqual(bodies(all), ['one', 'two', 'three']);
    // the size of the last two as bob received them (the `to` of another client is as long)
    const lastTwo = all.slice(1).reduce((n, m) => n + serialize(m).length, 0);
    const carol = await s.raw('carol', 'c');
    const two = await joinWithHistory(carol, 'carol', { maxchars: String(lastTwo + 5) });
    assert.deepEqual(bodies(two), ['two', 'three']);
    await alice.iq(configureIq(ROOM, { 'muc#roomconfig_historylength': '1' }));
    const dave = await s.raw('dave', 'd');
    assert.deepEqual(bodies(await joinWithHistory(dave, 'dave', {})), ['three']);
  });

  it('fires the muc-* events other modules build on', async (t) => {
    const s = await startImServer(['alice', 'bob'], mucComponent({ muc_room_locking: false }));
    t.after(() => s.stop());
    const bus = s.server.hostEvents(MUC_SERVICE)!;
    const seen: string[] = [];
    bus.on('muc-room-defaults', (e) => { const d = e as MucRoomDefaultsEvent; d.config = { ...d.config, logging: true }; });
    bus.on('muc-broadcast-message', (e) => { (e as MucMessageEvent).stanza.append(xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', id: 'x1', by: ROOM })); });
    bus.on('muc-get-history', () => [xml('message', { type: 'groupchat', from: `${ROOM}/ghost`, to: 'bob@localhost/b' }, xml('body', {}, 'archived'), xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2020-01-01T00:00:00Z' }))]);
    bus.on('muc-config-form', (e) => { (e as MucConfigFormEvent).fields.push({ var: 'x-test#flag', type: 'boolean', value: '0' }); });
    bus.on('muc-config-submitted', (e) => { seen.push(`submitted:${(e as MucConfigSubmittedEvent).fields.get('x-test#flag')?.[0]}`); });
    bus.on('muc-disco-info', (e) => { (e as MucDiscoInfoEvent).features.push('urn:example:feature'); });
    bus.on('muc-occupant-joined', (e) => { seen.push(`joined:${(e as MucOccupantEvent).occupant.nick}`); });
    bus.on('muc-occupant-left', (e) => { seen.push(`left:${(e as MucOccupantEvent).occupant.nick}`); });
    const alice = await s.raw('alice', 'a');
    const { self } = await joinRoom(alice, ROOM, 'alice');
    assert.ok(self.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChildren('status').some((c) => c.attrs.code === '170'), 'logging on by default: 170');
    await alice.send(xml('message', { type: 'groupchat', to: ROOM, id: 'm1' }, xml('body', {}, 'hi')));
    const echoed = await alice.next((el) => el.attrs.id === 'm1');
    assert.equal(echoed.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id, 'x1');
    const bob = await s.raw('bob', 'b');
    await bob.send(xml('presence', { to: `${ROOM}/bob` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    const hist = await bob.next((el) => el.name === 'message' && el.getChild('body') !== undefined, 'history');
    assert.equal(hist.getChildText('body'), 'archived');
    const form = await alice.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: NS_MUC_OWNER })));
    assert.ok(form.toString().includes('x-test#flag'));
    await alice.iq(configureIq(ROOM, { 'x-test#flag': '1' }));
    const info = await bob.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === 'urn:example:feature'));
    await bob.send(xml('presence', { to: `${ROOM}/bob`, type: 'unavailable' }));
    await bob.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${ROOM}/bob`);
    assert.deepEqual(seen, ['joined:alice', 'joined:bob', 'submitted:1', 'left:bob']);
  });

  it('bounds the ring by muc_max_history_chars as well as by length', () => {
    const h = new History(ROOM, 2000);
    const msg = (i: number): Element => xml('message', { type: 'groupchat', from: `${ROOM}/alice`, id: `m${i}` }, xml('body', {}, `${i} `.padEnd(400, 'x')));
    for (let i = 0; i < 10; i++) h.push(msg(i), Date.now(), 20);
    const kept = h.select({}, 'bob@localhost/b');
    assert.ok(kept.length >= 2 && kept.length < 10, `kept ${kept.length}`);
    assert.equal(kept.at(-1)!.attrs.id, 'm9', 'the newest stay');
    const total = kept.reduce((n, m) => n + serialize(m).length, 0);
    assert.ok(total <= 2000 + kept.length * 'to="bob@localhost/b" '.length, `${total} characters kept`);
    h.trim(1);
    assert.deepEqual(h.select({}, 'bob@localhost/b').map((m) => m.attrs.id), ['m9']);
    h.push(msg(10), Date.now(), 0);
    assert.equal(h.size, 0, 'a history length of 0 keeps nothing');
  });
});
