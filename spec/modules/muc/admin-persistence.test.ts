/**
 * Tests for lib/modules/muc administration that a conversation script cannot show: affiliations
 * set by muc#admin, registration and invitation (with their reasons and reserved nicknames)
 * survive a restart on SQLite, and still decide who enters under which nick.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, tempDataPath, type ImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';
import type { StoredRoom } from '../../../lib/core/muc-api.js';

const MUC = 'http://jabber.org/protocol/muc';
const ADMIN = 'http://jabber.org/protocol/muc#admin';
const SERVICE = 'conference.localhost';
const ROOM = `castle@${SERVICE}`;

async function join(c: ImClient, nick: string): Promise<Element> {
  await c.send(xml('presence', { to: `${ROOM}/${nick}` }, xml('x', { xmlns: MUC })));
  return c.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/${nick}`, `self presence of ${nick}`);
}

const errorCondition = (el: Element): string | undefined => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

function adminSet(...items: Element[]): Element {
  return xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: ADMIN }, ...items));
}

/** A muc#admin list as [jid, nick, reason] rows. */
async function list(c: ImClient, affiliation: string): Promise<(string | undefined)[][]> {
  const reply = await c.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: ADMIN }, xml('item', { affiliation }))));
  return reply.getChild('query', ADMIN)!.getChildren('item')
    .map((i) => [i.attrs.jid as string, i.attrs.nick as string | undefined, i.getChildText('reason') ?? undefined]);
}

describe('muc administration persistence', () => {
  it('keeps bans, members, admins, reasons and reserved nicks across a restart on SQLite', async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const config = {
      storage: 'sqlite', data_path: dir.path,
      Component: { [SERVICE]: { module: 'muc', muc_room_locking: false, muc_room_default_persistent: true, allow_unaffiliated_register: true } },
    };
    let s: ImServer = await startImServer(['alice', 'bob', 'carol', 'dave', 'erin'], config);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await join(alice, 'alice');
    await alice.iq(adminSet(
      xml('item', { affiliation: 'outcast', jid: 'carol@localhost' }, xml('reason', {}, 'Poisoned the well')),
      xml('item', { affiliation: 'member', jid: 'bob@localhost', nick: 'bobby' }, xml('reason', {}, 'Squire')),
      xml('item', { affiliation: 'admin', jid: 'dave@localhost' }),
    ));
    // erin registers herself (XEP-0045 §7.10)
    const erin = await s.raw('erin', 'e');
    await erin.iq(xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: 'jabber:iq:register' },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#register')),
        xml('field', { var: 'muc#register_roomnick' }, xml('value', {}, 'Erin'))))));
    await s.stop();

    s = await startImServer([], config);
    const stored = s.server.storage.get(SERVICE, 'muc_rooms', 'castle') as StoredRoom;
    assert.deepEqual(stored.affiliations['carol@localhost'], { affiliation: 'outcast', reason: 'Poisoned the well' });
    assert.equal(stored.affiliations['erin@localhost']?.nick, 'Erin');

    const alice2 = await s.raw('alice', 'a2');
    assert.deepEqual(await list(alice2, 'outcast'), [['carol@localhost', undefined, 'Poisoned the well']]);
    assert.deepEqual(await list(alice2, 'member'), [['bob@localhost', 'bobby', 'Squire'], ['erin@localhost', 'Erin', undefined]]);
    assert.deepEqual(await list(alice2, 'admin'), [['dave@localhost', undefined, undefined]]);
    assert.deepEqual(await list(alice2, 'owner'), [['alice@localhost', undefined, undefined]]);

    // the ban still holds (§7.2.7), the reserved nicks are still theirs (§7.10)
    const carol = await s.raw('carol', 'c');
    assert.equal(errorCondition(await join(carol, 'carol')), 'forbidden');
    const dave = await s.raw('dave', 'd');
    assert.equal(errorCondition(await join(dave, 'bobby')), 'conflict');
    const entered = await join(dave, 'dave');
    assert.equal(entered.attrs.type, undefined);
    const item = entered.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChild('item')!;
    assert.deepEqual([item.attrs.affiliation, item.attrs.role], ['admin', 'moderator']);
    const bob = await s.raw('bob', 'b');
    const nick = await bob.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'x-roomuser-item' })));
    assert.equal(nick.getChild('query')!.getChild('identity')!.attrs.name, 'bobby');

    // a change after the restart is saved too: the ban lifted
    await alice2.iq(adminSet(xml('item', { affiliation: 'none', jid: 'carol@localhost' })));
    assert.equal((s.server.storage.get(SERVICE, 'muc_rooms', 'castle') as StoredRoom).affiliations['carol@localhost'], undefined);
  });
});
