/**
 * Tests for lib/modules/muc persistence: a persistent room's configuration, affiliations and
 * subject survive a restart on SQLite (loaded on demand, listed without loading), occupant ids
 * are stable, and a temporary room is gone when its last occupant leaves.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, tempDataPath, type ImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';
import { registries } from '../../../lib/modules/muc/index.js';
import type { StoredRoom } from '../../../lib/core/muc-api.js';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const SERVICE = 'conference.localhost';
const ROOM = `castle@${SERVICE}`;
const component = (extra: Record<string, unknown> = {}) => ({ Component: { [SERVICE]: { module: 'muc', ...extra } } });

/** Join `room` as `nick` and wait for the subject (the end of the join sequence). */
async function join(c: ImClient, nick: string, password?: string, room = ROOM): Promise<{ self: Element; subject: Element }> {
  await c.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC }, password !== undefined ? xml('password', {}, password) : undefined)));
  const self = await c.next((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}`, `self presence of ${nick}`);
  assert.notEqual(self.attrs.type, 'error', `join of ${nick}: ${self.toString()}`);
  const subject = await c.next((el) => el.name === 'message' && el.getChild('subject') !== undefined && el.getChild('body') === undefined, `subject for ${nick}`);
  return { self, subject };
}

const codes = (p: Element): string[] => p.getChild('x', MUC_USER)?.getChildren('status').map((s) => s.attrs.code as string) ?? [];
const item = (p: Element): Element | undefined => p.getChild('x', MUC_USER)?.getChild('item');
const occupantId = (el: Element): string | undefined => el.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id as string | undefined;

function configure(fields: Record<string, string>): Element {
  return xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))))));
}

describe('muc persistence', () => {
  it('keeps a persistent room (config, affiliations, subject) across a restart on SQLite', async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const config = { storage: 'sqlite', data_path: dir.path, ...component() };
    let s: ImServer = await startImServer(['alice', 'bob'], config);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const created = await join(alice, 'alice');
    assert.deepEqual(codes(created.self).sort(), ['110', '201']);
    await alice.iq(configure({
      'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_publicroom': '1', 'muc#roomconfig_roomname': 'The Castle',
      'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 'moat', 'muc#roomconfig_historylength': '5',
    }));
    registries.get(SERVICE)!.get(ROOM)!.setAffiliation('bob@localhost', 'member', { nick: 'bobby' });
    await alice.send(xml('message', { type: 'groupchat', to: ROOM, id: 'subj' }, xml('subject', {}, 'Siege plans')));
    await alice.next((el) => el.attrs.id === 'subj', 'subject reflected');
    const aliceId = occupantId(created.self);
    assert.ok(aliceId);
    await s.stop();

    s = await startImServer([], config);
    const registry = registries.get(SERVICE)!;
    const stored = s.server.storage.get(SERVICE, 'muc_rooms', 'castle') as StoredRoom;
    assert.equal(stored.config.name, 'The Castle');
    assert.equal(stored.affiliations['bob@localhost']?.affiliation, 'member');
    const bob = await s.raw('bob', 'b');
    // §6.3: listed while not loaded
    const items = await bob.iq(xml('iq', { type: 'get', to: SERVICE }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.deepEqual(items.getChild('query')!.getChildren('item').map((i) => [i.attrs.jid, i.attrs.name]), [[ROOM, 'The Castle']]);
    assert.equal(registry.size, 0, 'listing loaded no room');
    const info = await bob.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    for (const f of ['muc_persistent', 'muc_public', 'muc_passwordprotected', 'muc_semianonymous', 'muc_open', 'muc_unmoderated']) assert.ok(features.includes(f), f);
    assert.equal(info.getChild('query')!.getChild('identity')!.attrs.name, 'The Castle');
    // §7.2.5: the password survived
    await bob.send(xml('presence', { to: `${ROOM}/bobby` }, xml('x', { xmlns: MUC })));
    const refused = await bob.next((el) => el.name === 'presence' && el.attrs.type === 'error', 'password refusal');
    assert.equal(refused.getChild('error')!.getChildElements()[0]!.name, 'not-authorized');
    const { self, subject } = await join(bob, 'bobby', 'moat');
    assert.equal(item(self)!.attrs.affiliation, 'member');
    assert.equal(subject.getChildText('subject'), 'Siege plans');
    assert.equal(subject.attrs.from, `${ROOM}/alice`);
    // the owner is still owner, and her occupant id is the same after the restart
    const alice2 = await s.raw('alice', 'a2');
    const again = await join(alice2, 'alice', 'moat');
    assert.equal(item(again.self)!.attrs.affiliation, 'owner');
    assert.equal(occupantId(again.self), aliceId);
    assert.notEqual(occupantId(self), aliceId);
  });

  it('forgets a temporary room when its last occupant leaves, and replaces a forged occupant id', async (t) => {
    const s = await startImServer(['alice', 'bob'], component({ muc_room_locking: false }));
    t.after(() => s.stop());
    const destroyed: string[] = [];
    s.server.hostEvents(SERVICE)!.on('muc-room-destroyed', (e) => { destroyed.push((e as { room: { jid: string } }).room.jid); });
    const alice = await s.raw('alice', 'a');
    const first = await join(alice, 'alice');
    await alice.send(xml('message', { type: 'groupchat', to: ROOM, id: 'g1' }, xml('body', {}, 'hi'), xml('occupant-id', { xmlns: 'urn:xmpp:occupant-id:0', id: 'forged' })));
    const echoed = await alice.next((el) => el.attrs.id === 'g1', 'reflection');
    assert.equal(occupantId(echoed), occupantId(first.self));
    assert.equal(echoed.getChildren('occupant-id').length, 1);
    await alice.send(xml('presence', { to: `${ROOM}/alice`, type: 'unavailable' }));
    await alice.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 'left');
    assert.deepEqual(destroyed, [ROOM]);
    assert.equal(registries.get(SERVICE)!.size, 0);
    const again = await join(alice, 'alice');
    assert.ok(codes(again.self).includes('201'), 'created anew');
    assert.equal(occupantId(again.self), occupantId(first.self), 'stable per user and room');
  });

  it('stores a persistent room once unlocked, deletes it when it becomes temporary or is destroyed, unloads it when empty', async (t) => {
    const s = await startImServer(['alice'], component({ muc_room_default_persistent: true, muc_room_cache_size: 0 }));
    t.after(() => s.stop());
    const stored = (): unknown => s.server.storage.get(SERVICE, 'muc_rooms', 'castle');
    const alice = await s.raw('alice', 'a');
    await join(alice, 'alice');
    assert.equal(stored(), undefined, 'not while locked (§10.1)');
    await alice.iq(configure({}));
    assert.ok(stored(), 'an instant persistent room is stored');
    await alice.iq(configure({ 'muc#roomconfig_persistentroom': '0' }));
    assert.equal(stored(), undefined);
    await alice.iq(configure({ 'muc#roomconfig_persistentroom': '1' }));
    assert.ok(stored());
    await alice.send(xml('presence', { to: `${ROOM}/alice`, type: 'unavailable' }));
    await alice.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 'left');
    assert.equal(registries.get(SERVICE)!.size, 0, 'unloaded (muc_room_cache_size 0)');
    assert.ok(stored(), 'still stored');
    await join(alice, 'alice');
    await alice.iq(xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('destroy'))));
    assert.equal(stored(), undefined);
  });
});
