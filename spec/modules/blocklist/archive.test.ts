/**
 * Tests for the blocklist's place on the message path with mam (XEP-0313) and carbons
 * (XEP-0280) loaded: a message stopped by a block (inbound from a blocked JID, or the user's own
 * to a blocked JID) is neither archived for the user nor copied to the user's other resources,
 * while an allowed message in the same conversation is both (so each check can fail).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';
import { query } from '../mam/helpers.js';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const chat = (to: string, body: string): ReturnType<typeof xml> => xml('message', { to, type: 'chat', id: body }, xml('body', {}, body));
const carbonOf = (body: string) => (el: ReturnType<typeof xml>): boolean =>
  el.name === 'message' && el.children.some((c) => typeof c !== 'string' && (c.name === 'sent' || c.name === 'received') && c.attrs.xmlns === NS_CARBONS && c.toString().includes(body));

async function sync(...clients: ImClient[]): Promise<void> {
  for (const c of clients) await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

describe('blocklist with mam and carbons', () => {
  it('a blocked message, inbound or outbound, is neither archived nor carbon-copied', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'mam', 'carbons', 'blocklist'] });
    t.after(() => s.stop());
    const b1 = await s.raw('bob', 'b1');
    const b2 = await s.raw('bob', 'b2');
    await b2.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: NS_CARBONS })));
    for (const b of [b1, b2]) await b.send(xml('presence'));
    const alice = await s.raw('alice', 'a');
    const carol = await s.raw('carol', 'c');
    await b1.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'alice@localhost' }))));

    await alice.send(chat('bob@localhost', 'blocked-in'));
    await b1.send(chat('alice@localhost', 'blocked-out'));
    await b1.next((el) => el.attrs.id === 'blocked-out' && el.attrs.type === 'error', 'the refusal');
    // the control: an allowed exchange is archived and copied
    await carol.send(chat('bob@localhost/b1', 'allowed-in'));
    await b1.send(chat('carol@localhost', 'allowed-out'));
    await b2.next(carbonOf('allowed-in'), 'carbon of the allowed inbound message');
    await b2.next(carbonOf('allowed-out'), 'carbon of the allowed outbound message');
    await sync(alice, b1, b2, carol);

    const archived = (await query(b1)).bodies;
    assert.deepEqual(archived, ['allowed-in', 'allowed-out'], "bob's archive holds only the allowed messages");
    assert.equal(b2.received.some((el) => carbonOf('blocked-in')(el) || carbonOf('blocked-out')(el)), false, 'no carbons of blocked messages');
    assert.equal(b1.received.some((el) => el.toString().includes('blocked-in')), false);
    assert.equal(alice.received.some((el) => el.toString().includes('blocked-out')), false);
  });
});
