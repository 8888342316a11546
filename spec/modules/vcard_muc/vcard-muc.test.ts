/**
 * Tests for lib/modules/vcard_muc (room avatars, XEP-0486): the avatar of a persistent room
 * survives a restart on SQLite (stored in its StoredRoom, served as vCard and disco#info hash
 * after loading); the hash leaves disco#info when the avatar is removed (§4); an image larger
 * than vcard_muc_max_size is refused with not-acceptable and the avatar stays as it was; a
 * locked room's vCard is hidden from all but its owners, as the room is.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { xml, type Element } from '../../../lib/core/xml.js';
import { NS_MUC, NS_MUC_OWNER, type StoredRoom } from '../../../lib/core/muc-api.js';
import type { ImClient } from '../../helpers/im-clients.js';
import { startImServer, tempDataPath, type ImServer } from '../../helpers/im-server.js';

const SERVICE = 'conference.localhost';
const ROOM = `tower@${SERVICE}`;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const HASH = createHash('sha1').update(Buffer.from(PNG, 'base64')).digest('hex');

const setVcard = (photo?: { type: string; data: string }): Element => xml('iq', { type: 'set', to: ROOM }, xml('vCard', { xmlns: 'vcard-temp' },
  photo ? xml('PHOTO', {}, xml('TYPE', {}, photo.type), xml('BINVAL', {}, photo.data)) : undefined));
const getVcard = (): Element => xml('iq', { type: 'get', to: ROOM }, xml('vCard', { xmlns: 'vcard-temp' }));
const avatarHashes = async (c: ImClient): Promise<string[] | undefined> => {
  const info = await c.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  const field = info.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_avatarhash');
  return field?.getChildren('value').map((v) => v.getText());
};
/** The iq's answer, whatever its type (ImClient.iq rejects on errors). */
const ask = async (c: ImClient, el: Element): Promise<Element> => {
  el.attrs.id = `q${Math.random().toString(36).slice(2)}`;
  await c.send(el);
  return c.next((r) => r.name === 'iq' && r.attrs.id === el.attrs.id, `answer to ${String(el.attrs.id)}`);
};
async function enter(c: ImClient, nick: string): Promise<void> {
  await c.send(xml('presence', { to: `${ROOM}/${nick}` }, xml('x', { xmlns: NS_MUC })));
  await c.next((el) => el.name === 'message' && el.getChild('subject') !== undefined, `${nick} entered`);
}

describe('vcard_muc', () => {
  it('keeps a persistent room\'s avatar across a restart on SQLite, then removes it from vCard and disco#info', async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const config = { storage: 'sqlite', data_path: dir.path, Component: { [SERVICE]: { module: 'muc', muc_room_locking: false, muc_room_default_persistent: true } } };
    let s: ImServer = await startImServer(['alice', 'bob'], config);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await enter(alice, 'alice');
    assert.equal(await avatarHashes(alice), undefined, 'no hash without an avatar (XEP-0486 §4)');
    assert.equal((await alice.iq(setVcard({ type: 'image/png', data: PNG }))).attrs.type, 'result');
    await s.stop();

    s = await startImServer([], config);
    const stored = s.server.storage.get(SERVICE, 'muc_rooms', 'tower') as StoredRoom;
    assert.deepEqual(stored.avatar, { hash: HASH, type: 'image/png', data: PNG });
    const bob = await s.raw('bob', 'b');
    assert.deepEqual(await avatarHashes(bob), [HASH]);
    const v = await bob.iq(getVcard());
    assert.equal(v.getChild('vCard', 'vcard-temp')?.getChild('PHOTO')?.getChildText('BINVAL'), PNG);
    assert.equal(v.getChild('vCard', 'vcard-temp')?.getChild('PHOTO')?.getChildText('TYPE'), 'image/png');

    const alice2 = await s.raw('alice', 'a2');
    assert.equal((await alice2.iq(setVcard())).attrs.type, 'result');
    assert.equal(await avatarHashes(bob), undefined);
    assert.equal((await bob.iq(getVcard())).getChild('vCard', 'vcard-temp')?.getChildElements().length, 0);
    assert.equal((s.server.storage.get(SERVICE, 'muc_rooms', 'tower') as StoredRoom).avatar, undefined);
  });

  it('refuses an image over vcard_muc_max_size (not-acceptable) and keeps the avatar it had', async (t) => {
    const s = await startImServer(['alice'], { Component: { [SERVICE]: { module: 'muc', muc_room_locking: false, vcard_muc_max_size: 1024 } } });
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await enter(alice, 'alice');
    assert.equal((await alice.iq(setVcard({ type: 'image/png', data: PNG }))).attrs.type, 'result');
    const big = await ask(alice, setVcard({ type: 'image/png', data: Buffer.alloc(1025, 7).toString('base64') }));
    assert.equal(big.attrs.type, 'error');
    assert.equal(big.getChild('error')?.attrs.type, 'modify');
    assert.ok(big.getChild('error')?.getChild('not-acceptable'), String(big));
    assert.deepEqual(await avatarHashes(alice), [HASH]);
  });

  it('hides a locked room\'s vCard from everyone but its owner (item-not-found, as the room)', async (t) => {
    const s = await startImServer(['alice', 'bob'], { Component: { [SERVICE]: { module: 'muc' } } });
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const bob = await s.raw('bob', 'b');
    await enter(alice, 'alice'); // locked until configured (XEP-0045 §10.1.1)
    const hidden = await ask(bob, getVcard());
    assert.equal(hidden.attrs.type, 'error');
    assert.ok(hidden.getChild('error')?.getChild('item-not-found'), String(hidden));
    assert.equal((await alice.iq(getVcard())).attrs.type, 'result');
    await alice.iq(xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
    assert.equal((await bob.iq(getVcard())).attrs.type, 'result', 'configured, the room and its vCard are visible');
  });
});
