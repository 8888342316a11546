/**
 * Tests for lib/modules/muc/occupant-iq.ts: iq requests between occupants go through the room
 * (the asker's real JID hidden), answers come back with the original id; vCard requests go to
 * the occupant's account; muc_occupant_iq "refuse" answers service-unavailable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import { errorCondition, joinRoom, mucComponent, MUC_SERVICE } from '../../helpers/muc.js';

const ROOM = `hall@${MUC_SERVICE}`;

describe('muc iq to occupants', () => {
  it('forwards a request from the asker\'s occupant JID and routes the answer back', async (t) => {
    const s = await startImServer(['alice', 'bob'], mucComponent({ muc_room_locking: false }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const bob = await s.raw('bob', 'b');
    await joinRoom(alice, ROOM, 'alice');
    await joinRoom(bob, ROOM, 'bob');
    await bob.send(xml('iq', { type: 'get', id: 'v1', to: `${ROOM}/alice` }, xml('query', { xmlns: 'jabber:iq:version' })));
    const req = await alice.next((el) => el.name === 'iq', 'forwarded request');
    assert.equal(req.attrs.from, `${ROOM}/bob`, 'the asker\'s real JID stays hidden');
    assert.equal(req.attrs.to, alice.jid);
    assert.notEqual(req.attrs.id, 'v1');
    await alice.send(xml('iq', { type: 'result', id: req.attrs.id, to: req.attrs.from }, xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'test'))));
    const answer = await bob.next((el) => el.name === 'iq' && el.attrs.id === 'v1', 'answer');
    assert.equal(answer.attrs.type, 'result');
    assert.equal(answer.attrs.from, `${ROOM}/alice`);
    assert.equal(answer.getChild('query')!.getChildText('name'), 'test');
    // a forged answer with an unknown id goes nowhere
    await alice.send(xml('iq', { type: 'result', id: 'forged', to: `${ROOM}/bob` }));
    // vCard: asked of the account (here nobody answers vcard-temp: the error comes back the same way)
    await bob.send(xml('iq', { type: 'get', id: 'vc', to: `${ROOM}/alice` }, xml('vCard', { xmlns: 'vcard-temp' })));
    const vc = await bob.next((el) => el.attrs.id === 'vc', 'vCard answer');
    assert.equal(vc.attrs.type, 'error');
    assert.equal(vc.attrs.from, `${ROOM}/alice`);
    assert.equal(alice.has((el) => el.name === 'iq' && el.getChild('vCard') !== undefined), false, 'not sent to her client');
    assert.equal(bob.has((el) => el.attrs.id === 'forged'), false);
    // nobody under that nick
    await bob.send(xml('iq', { type: 'get', id: 'v2', to: `${ROOM}/nobody` }, xml('query', { xmlns: 'jabber:iq:version' })));
    assert.equal(errorCondition(await bob.next((el) => el.attrs.id === 'v2')), 'item-not-found');
  });

  it('refuses with service-unavailable when muc_occupant_iq is "refuse"', async (t) => {
    const s = await startImServer(['alice', 'bob'], mucComponent({ muc_room_locking: false, muc_occupant_iq: 'refuse' }));
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const bob = await s.raw('bob', 'b');
    await joinRoom(alice, ROOM, 'alice');
    await joinRoom(bob, ROOM, 'bob');
    await bob.send(xml('iq', { type: 'get', id: 'v1', to: `${ROOM}/alice` }, xml('query', { xmlns: 'jabber:iq:version' })));
    assert.equal(errorCondition(await bob.next((el) => el.attrs.id === 'v1')), 'service-unavailable');
    // self-ping still works
    await bob.send(xml('iq', { type: 'get', id: 'p1', to: `${ROOM}/bob` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal((await bob.next((el) => el.attrs.id === 'p1')).attrs.type, 'result');
  });
});
