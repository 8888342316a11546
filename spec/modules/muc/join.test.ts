/**
 * Tests for lib/modules/muc/join.ts: who may create rooms (restrict_room_creation), the
 * component's admins as owners, room limits (maxusers, muc_max_rooms), the lock of a new room
 * (timeout and cancel, XEP-0045 §10.1) and moderated rooms' visitors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import { codes, configureIq, errorCondition, item, joinRefused, joinRoom, mucComponent, MUC_SERVICE, NS_MUC_OWNER } from '../../helpers/muc.js';
import { registries } from '../../../lib/modules/muc/index.js';

const ROOM = `hall@${MUC_SERVICE}`;

describe('muc joining', () => {
  it('restrict_room_creation "local": users of the parent host create (others: spec/scansion/muc/restrict-creation.scs); admins own every room', async (t) => {
    const s = await startImServer(['alice', 'bob'], mucComponent({ restrict_room_creation: 'local', admins: ['bob@localhost'] }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const { self } = await joinRoom(alice, ROOM, 'alice');
    assert.ok(codes(self).includes('201'));
    // bob is an admin of the component: an owner of the room he did not create, even while it is locked
    const bob = await s.raw('bob', 'b');
    const { self: bobs } = await joinRoom(bob, ROOM, 'bob');
    assert.equal(item(bobs)!.attrs.affiliation, 'owner');
  });

  it('restrict_room_creation true: only admins create', async (t) => {
    const s = await startImServer(['alice', 'bob'], mucComponent({ restrict_room_creation: true, admins: ['bob@localhost'], muc_room_locking: false }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    assert.equal(await joinRefused(alice, ROOM, 'alice'), 'not-allowed');
    const bob = await s.raw('bob', 'b');
    const { self } = await joinRoom(bob, ROOM, 'bob');
    assert.equal(item(self)!.attrs.affiliation, 'owner');
    await joinRoom(alice, ROOM, 'alice');
  });

  it('maxusers and muc_max_rooms refuse with service-unavailable and resource-constraint', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], mucComponent({ muc_room_locking: false, muc_max_rooms: 1 }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await joinRoom(alice, ROOM, 'alice');
    await alice.iq(configureIq(ROOM, { 'muc#roomconfig_maxusers': '2' }));
    const bob = await s.raw('bob', 'b');
    await joinRoom(bob, ROOM, 'bob');
    const carol = await s.raw('carol', 'c');
    assert.equal(await joinRefused(carol, ROOM, 'carol'), 'service-unavailable');
    assert.equal(await joinRefused(carol, `other@${MUC_SERVICE}`, 'carol'), 'resource-constraint');
  });

  it('a locked room is destroyed after muc_room_lock_timeout, and by cancelling its configuration (§10.1.3)', async (t) => {
    const s = await startImServer(['alice'], mucComponent({ muc_room_lock_timeout: 1 }));
    t.after(() => s.stop());
    const destroyed: string[] = [];
    const gone = new Promise<void>((resolve) => {
      s.server.hostEvents(MUC_SERVICE)!.on('muc-room-destroyed', (e) => { destroyed.push((e as { room: { jid: string } }).room.jid); resolve(); });
    });
    const alice = await s.raw('alice', 'a');
    await joinRoom(alice, ROOM, 'alice');
    await gone;
    assert.deepEqual(destroyed, [ROOM]);
    const second = `second@${MUC_SERVICE}`;
    await joinRoom(alice, second, 'alice');
    await alice.iq(xml('iq', { type: 'set', to: second }, xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'cancel' }))));
    assert.deepEqual(destroyed, [ROOM, second]);
    assert.equal(registries.get(MUC_SERVICE)!.get(second), undefined);
  });

  it('a moderated room makes newcomers visitors; private messages follow muc#roomconfig_allowpm', async (t) => {
    const s = await startImServer(['alice', 'bob'], mucComponent({ muc_room_locking: false, muc_room_default_moderated: true }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await joinRoom(alice, ROOM, 'alice');
    const bob = await s.raw('bob', 'b');
    const { self } = await joinRoom(bob, ROOM, 'bob');
    assert.equal(item(self)!.attrs.role, 'visitor');
    await bob.send(xml('message', { type: 'groupchat', to: ROOM, id: 'g1' }, xml('body', {}, 'hello')));
    assert.equal(errorCondition(await bob.next((el) => el.attrs.id === 'g1')), 'forbidden');
    await bob.send(xml('message', { type: 'chat', to: `${ROOM}/alice`, id: 'p1' }, xml('body', {}, 'psst')));
    assert.equal((await alice.next((el) => el.attrs.id === 'p1')).attrs.from, `${ROOM}/bob`);
    await alice.iq(configureIq(ROOM, { 'muc#roomconfig_allowpm': 'participants' }));
    await bob.send(xml('message', { type: 'chat', to: `${ROOM}/alice`, id: 'p2' }, xml('body', {}, 'psst')));
    assert.equal(errorCondition(await bob.next((el) => el.attrs.id === 'p2')), 'policy-violation');
    await alice.send(xml('message', { type: 'chat', to: `${ROOM}/bob`, id: 'p3' }, xml('body', {}, 'hush')));
    assert.equal((await bob.next((el) => el.attrs.id === 'p3')).attrs.from, `${ROOM}/alice`);
  });

  it('removes an occupant whose connection drops without a word (the presence module speaks for it)', async (t) => {
    const s = await startImServer(['alice', 'bob'], mucComponent({ muc_room_locking: false }));
    t.after(() => s.stop());
    const left: string[] = [];
    s.server.hostEvents(MUC_SERVICE)!.on('muc-occupant-left', (e) => { left.push((e as { occupant: { nick: string } }).occupant.nick); });
    const alice = await s.raw('alice', 'a');
    await joinRoom(alice, ROOM, 'alice');
    const bob = await s.raw('bob', 'b');
    await joinRoom(bob, ROOM, 'bob');
    bob.stream.socket.destroy();
    const gone = await alice.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/bob` && el.attrs.type === 'unavailable', 'bob gone');
    assert.equal(item(gone)!.attrs.role, 'none');
    assert.deepEqual(left, ['bob']);
    assert.equal(registries.get(MUC_SERVICE)!.get(ROOM)!.occupant('bob'), undefined);
  });

  it('a nickname the service normalises comes back with status 210 (§7.2.3)', async (t) => {
    const s = await startImServer(['alice'], mucComponent({ muc_room_locking: false }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await alice.send(xml('presence', { to: `${ROOM}/cafe\u0301` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    const self = await alice.next((el) => el.name === 'presence', 'self presence');
    assert.equal(self.attrs.from, `${ROOM}/caf\u00e9`);
    assert.deepEqual(codes(self).sort(), ['110', '201', '210']);
  });

  it('tells occupants they are out (status 332) when the component\'s module is reloaded, and lets them back in', async (t) => {
    const s = await startImServer(['alice'], mucComponent({ muc_room_locking: false }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await joinRoom(alice, ROOM, 'alice');
    await s.server.control.reloadModule('muc', MUC_SERVICE);
    const out = await alice.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 'removed');
    assert.deepEqual(codes(out), ['110', '332']);
    const { self } = await joinRoom(alice, ROOM, 'alice');
    assert.ok(codes(self).includes('201'), 'a temporary room starts anew');
  });

  it('muc_max_sessions_per_nick bounds the sessions of one user under one nick', async (t) => {
    const s = await startImServer(['alice'], mucComponent({ muc_room_locking: false, muc_max_sessions_per_nick: 1 }));
    t.after(() => s.stop());
    const one = await s.raw('alice', 'one');
    await joinRoom(one, ROOM, 'alice');
    const two = await s.raw('alice', 'two');
    assert.equal(await joinRefused(two, ROOM, 'alice'), 'resource-constraint');
    assert.equal(registries.get(MUC_SERVICE)!.get(ROOM)!.occupant('alice')!.sessions.size, 1);
  });
});
