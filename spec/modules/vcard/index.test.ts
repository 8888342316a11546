/**
 * Tests for lib/modules/vcard (XEP-0054): a user stores their vCard and anyone reads it;
 * item-not-found without one, service-unavailable for no account, forbidden to write
 * another's, not-acceptable above vcard_max_size; vcard-updated fires.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { defineModule } from '../../../lib/index.js';
import { startImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const NS = 'vcard-temp';
const MODULES = ['roster', 'saslauth', 'disco', 'vcard'];
const failsWith = (condition: string) => (err: { condition?: string }) => err.condition === condition;
const card = (name: string, extra = '') => xml('vCard', { xmlns: NS }, xml('FN', {}, name), xml('NICKNAME', {}, extra || name));
const get = (c: ImClient, to?: string) => c.iq(xml('iq', { type: 'get', to }, xml('vCard', { xmlns: NS })));
const set = (c: ImClient, to: string | undefined, vcard = card('Alice')) => c.iq(xml('iq', { type: 'set', to }, vcard));

describe('vcard (XEP-0054)', () => {
  it('stores the user\'s vCard, which the user and others can read', async (t) => {
    const updates: string[] = [];
    const spy = defineModule({ name: 'test_vcard_spy', load(m) { m.hook('vcard-updated', (e) => { updates.push(`${e.username}:${e.vcard.getChildText('FN')}`); }); } });
    const s = await startImServer(['alice', 'bob'], { modules_enabled: [...MODULES, 'test_vcard_spy'] }, [spy]);
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    await assert.rejects(get(a), failsWith('item-not-found'), 'none yet');
    await set(a, undefined, card('Alice Liddell'));
    assert.deepEqual(updates, ['alice:Alice Liddell']);
    assert.equal((await get(a)).getChild('vCard', NS)!.getChildText('FN'), 'Alice Liddell');
    const b = await s.raw('bob', 'y');
    assert.equal((await get(b, 'alice@localhost')).getChild('vCard', NS)!.getChildText('FN'), 'Alice Liddell', 'public');
    await set(a, 'alice@localhost', card('Alice L.'));
    assert.equal((await get(b, 'alice@localhost')).getChild('vCard', NS)!.getChildText('FN'), 'Alice L.', 'replaced (to the own bare JID)');
  });

  it('answers errors: another\'s vCard forbidden, no account, the server, the size limit', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES, vcard_max_size: 1024 });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(set(a, 'bob@localhost'), failsWith('forbidden'));
    await assert.rejects(set(a, 'localhost'), failsWith('forbidden'));
    await assert.rejects(get(a, 'bob@localhost'), failsWith('item-not-found'), 'bob has none');
    await assert.rejects(get(a, 'nobody@localhost'), failsWith('service-unavailable'), 'no such account');
    await assert.rejects(get(a, 'localhost'), failsWith('item-not-found'), 'the server has none');
    await assert.rejects(set(a, undefined, card('A', 'x'.repeat(2000))), failsWith('not-acceptable'));
    await assert.rejects(get(a), failsWith('item-not-found'), 'the refused one was not stored');
  });
});
