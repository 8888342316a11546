/**
 * Tests for lib/modules/muc/room.ts: the state changes the admin protocol calls (setRole,
 * setAffiliation, removeOccupant) applied, persisted and announced with the XEP-0045 §8/§9
 * presences, over real clients.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import { codes, configureIq, item, joinRefused, joinRoom, mucComponent, MUC_SERVICE } from '../../helpers/muc.js';
import { registries } from '../../../lib/modules/muc/index.js';

const ROOM = `hall@${MUC_SERVICE}`;

async function setup(t: { after(fn: () => unknown): void }, options: Record<string, unknown> = {}) {
  const s = await startImServer(['alice', 'bob', 'carol'], mucComponent({ muc_room_locking: false, ...options }));
  t.after(() => s.stop());
  const alice = await s.raw('alice', 'a');
  const bob = await s.raw('bob', 'b');
  await joinRoom(alice, ROOM, 'alice');
  await joinRoom(bob, ROOM, 'bob');
  await alice.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/bob`, 'bob joined');
  const room = registries.get(MUC_SERVICE)!.get(ROOM)!;
  return { s, alice, bob, room };
}

describe('muc room state changes', () => {
  it('setRole none kicks with 307, actor and reason (§8.2)', async (t) => {
    const { alice, bob, room } = await setup(t);
    assert.equal(room.setRole('bob', 'none', { actor: 'alice', reason: 'Brawling' }), true);
    const self = await bob.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 'kicked');
    assert.deepEqual(codes(self), ['110', '307']);
    assert.equal(item(self)!.attrs.role, 'none');
    assert.equal(item(self)!.getChild('actor')!.attrs.nick, 'alice');
    assert.equal(item(self)!.getChildText('reason'), 'Brawling');
    const seen = await alice.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/bob`, 'kick seen');
    assert.deepEqual(codes(seen), ['307']);
    assert.equal(room.occupant('bob'), undefined);
    assert.equal(room.setRole('nobody', 'visitor'), false);
  });

  it('setRole visitor takes voice: the presence is broadcast and groupchat is refused (§8.4)', async (t) => {
    const { alice, bob, room } = await setup(t);
    room.setRole('bob', 'visitor', { actor: 'alice' });
    const p = await alice.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/bob`, 'voice revoked');
    assert.equal(item(p)!.attrs.role, 'visitor');
    await bob.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/bob`, 'own presence');
    await bob.send(xml('message', { type: 'groupchat', to: ROOM, id: 'v1' }, xml('body', {}, 'hear me')));
    const err = await bob.next((el) => el.attrs.id === 'v1', 'refusal');
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.getChild('error')!.getChildElements()[0]!.name, 'forbidden');
  });

  it('setAffiliation outcast bans with 301 and keeps them out (§9.1); admin makes a moderator (§9.6)', async (t) => {
    const { s, alice, bob, room } = await setup(t);
    room.setAffiliation('bob@localhost', 'outcast', { actor: 'alice', reason: 'Tybalt is dead' });
    const self = await bob.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 'banned');
    assert.deepEqual(codes(self), ['110', '301']);
    assert.equal(item(self)!.attrs.affiliation, 'outcast');
    await alice.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 'ban seen');
    assert.equal(await joinRefused(bob, ROOM, 'bob'), 'forbidden');
    assert.equal(room.affiliation('bob@localhost'), 'outcast');

    const carol = await s.raw('carol', 'c');
    await joinRoom(carol, ROOM, 'carol');
    room.setAffiliation('carol@localhost', 'admin');
    const p = await carol.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/carol`, 'promoted');
    assert.equal(item(p)!.attrs.role, 'moderator');
    assert.equal(item(p)!.attrs.affiliation, 'admin');
    // the moderator now sees real JIDs in this semi-anonymous room
    room.setAffiliation('carol@localhost', 'none');
    const back = await carol.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/carol`, 'demoted');
    assert.equal(item(back)!.attrs.role, 'participant');
  });

  it('revoking membership in a members-only room removes with 321 (§9.4); reserved nicks are their owner\'s', async (t) => {
    const { alice, bob, room } = await setup(t);
    room.setAffiliation('bob@localhost', 'member', { nick: 'bob' });
    await bob.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/bob`, 'member');
    await alice.iq(configureIq(ROOM, { 'muc#roomconfig_membersonly': '1' }));
    assert.ok(room.occupant('bob'), 'a member stays');
    room.setAffiliation('bob@localhost', 'none');
    const self = await bob.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 'removed');
    assert.deepEqual(codes(self), ['110', '321']);
    // §7.10: a reserved nickname
    room.setAffiliation('bob@localhost', 'member', { nick: 'bobby' });
    await alice.send(xml('presence', { to: `${ROOM}/bobby` }));
    const conflict = await alice.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/bobby`, 'conflict');
    assert.equal(conflict.getChild('error')!.getChildElements()[0]!.name, 'conflict');
    const { self: joined } = await joinRoom(bob, ROOM, 'bobby');
    assert.equal(item(joined)!.attrs.affiliation, 'member');
  });

  it('removeOccupant with a status code, and a destroyed room tells its occupants', async (t) => {
    const { alice, bob, room } = await setup(t);
    assert.equal(room.removeOccupant('bob', [333]), true);
    const self = await bob.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 'removed');
    assert.deepEqual(codes(self), ['110', '333']);
    assert.equal(room.removeOccupant('bob', [333]), false);
    room.destroy({ reason: 'Closing' });
    const gone = await alice.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/alice` && el.attrs.type === 'unavailable', 'destroyed');
    assert.equal(gone.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChild('destroy')!.getChildText('reason'), 'Closing');
    assert.equal(registries.get(MUC_SERVICE)!.get(ROOM), undefined);
  });
});
