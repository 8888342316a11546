/**
 * Tests for lib/modules/private (XEP-0049): store, retrieve, replace and remove fragments per
 * name and namespace; an empty answer for nothing stored; not-acceptable for a missing or
 * reserved namespace, several namespaces in a get, and the size and count limits; forbidden
 * for another user's data; the data goes with the account.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const NS = 'jabber:iq:private';
const MODULES = ['roster', 'saslauth', 'disco', 'private'];
const failsWith = (condition: string) => (err: { condition?: string }) => err.condition === condition;
const set = (c: ImClient, ...children: Element[]) => c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS }, ...children)));
const get = (c: ImClient, to: string | undefined, ...children: Element[]) => c.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: NS }, ...children)));
const prefs = (text?: string) => xml('prefs', { xmlns: 'urn:example:prefs' }, text === undefined ? undefined : xml('theme', {}, text));

describe('private (XEP-0049)', () => {
  it('stores, returns, replaces and removes a fragment', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const empty = (await get(a, undefined, prefs())).getChild('query', NS)!.getChild('prefs', 'urn:example:prefs')!;
    assert.equal(empty.children.length, 0, 'nothing stored: the empty element comes back');
    await set(a, prefs('dark'));
    const again = await s.raw('alice', 'y');
    assert.equal((await get(again, `alice@localhost`, prefs())).getChild('query', NS)!.getChild('prefs', 'urn:example:prefs')!.getChildText('theme'), 'dark');
    await set(a, prefs('light'));
    assert.equal((await get(a, undefined, prefs())).getChild('query', NS)!.getChild('prefs', 'urn:example:prefs')!.getChildText('theme'), 'light');
    await set(a, prefs());
    assert.equal((await get(a, undefined, prefs())).getChild('query', NS)!.getChild('prefs', 'urn:example:prefs')!.children.length, 0, 'removed');
    assert.equal(s.server.storage.mapCount('localhost', 'private', 'alice'), 0);
  });

  it('keeps fragments apart by name and namespace, several in one set', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await set(a, xml('storage', { xmlns: 'storage:bookmarks' }, xml('conference', { jid: 'room@muc.example.org' })), prefs('dark'));
    const bm = (await get(a, undefined, xml('storage', { xmlns: 'storage:bookmarks' }))).getChild('query', NS)!.getChild('storage', 'storage:bookmarks')!;
    assert.equal(bm.getChild('conference')!.attrs.jid, 'room@muc.example.org');
    const other = (await get(a, undefined, xml('storage', { xmlns: 'urn:example:other' }))).getChild('query', NS)!.getChild('storage', 'urn:example:other')!;
    assert.equal(other.children.length, 0);
  });

  it('answers not-acceptable for a missing or reserved namespace and for several in a get', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(get(a, undefined), failsWith('not-acceptable'), 'no child');
    await assert.rejects(set(a), failsWith('not-acceptable'), 'no child in a set');
    await assert.rejects(set(a, xml('thing', { xmlns: 'jabber:client' })), failsWith('not-acceptable'), 'reserved');
    await assert.rejects(set(a, xml('query', { xmlns: NS })), failsWith('not-acceptable'), 'its own namespace');
    await assert.rejects(get(a, undefined, prefs(), xml('storage', { xmlns: 'storage:bookmarks' })), failsWith('not-acceptable'), 'two namespaces');
  });

  it('forbids another user\'s data, and the server\'s', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(get(a, 'bob@localhost', prefs()), failsWith('forbidden'));
    await assert.rejects(a.iq(xml('iq', { type: 'set', to: 'bob@localhost' }, xml('query', { xmlns: NS }, prefs('x')))), failsWith('forbidden'));
    await assert.rejects(get(a, 'localhost', prefs()), failsWith('forbidden'));
  });

  it('enforces private_max_item_size and private_max_items', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES, private_max_item_size: 256, private_max_items: 2 });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(set(a, prefs('x'.repeat(300))), failsWith('not-acceptable'), 'too large');
    await set(a, xml('a', { xmlns: 'urn:example:a' }, 'a'), xml('b', { xmlns: 'urn:example:b' }, 'b'));
    await assert.rejects(set(a, xml('c', { xmlns: 'urn:example:c' }, 'c')), failsWith('not-acceptable'), 'too many');
    await set(a, xml('a', { xmlns: 'urn:example:a' }, 'replaced'));
    assert.equal(s.server.storage.mapCount('localhost', 'private', 'alice'), 2);
  });

  it('is deleted with the account', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await set(a, prefs('dark'));
    await a.stop();
    s.server.accounts.delete('localhost', 'alice');
    assert.equal(s.server.storage.mapCount('localhost', 'private', 'alice'), 0);
  });
});
