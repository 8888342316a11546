/**
 * Tests for lib/modules/bookmarks: the XEP-0402 §4 node configuration is what a legacy set
 * creates, and a node a client made with another configuration (readable by contacts) is
 * recreated with it on the next XEP-0048 set; a set mixing bookmarks with other private data
 * is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { defineModule, type ModuleApi } from '../../../lib/index.js';
import { startImServer } from '../../helpers/im-server.js';

const MODULES = ['roster', 'saslauth', 'disco', 'presence', 'private', 'pep', 'bookmarks', 'test_pep_probe'];
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const storage = (...jids: string[]) => xml('storage', { xmlns: 'storage:bookmarks' }, ...jids.map((jid) => xml('conference', { jid })));
const privateSet = (payload: ReturnType<typeof xml>, ...more: ReturnType<typeof xml>[]) =>
  xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:private' }, payload, ...more));

describe('bookmarks (XEP-0402 §4 node configuration)', () => {
  it('creates the node whitelisted and persistent, and recreates one a client made readable', async (t) => {
    let probe: ModuleApi | undefined;
    const probeModule = defineModule({ name: 'test_pep_probe', load(m) { probe = m; } });
    const s = await startImServer(['alice'], { modules_enabled: MODULES }, [probeModule]);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    const pep = () => probe!.service('pep')!;

    await a.iq(privateSet(storage('a@muc.localhost')));
    const config = (await pep().nodeConfig('alice', 'urn:xmpp:bookmarks:1'))!;
    assert.equal(config['pubsub#access_model'], 'whitelist');
    assert.equal(config['pubsub#max_items'], 'max');
    assert.equal(config['pubsub#send_last_published_item'], 'never');
    assert.equal(config['pubsub#persist_items'], '1');

    // A client publishes to a fresh node without publish-options: PEP's defaults (presence access)
    await pep().deleteNode('alice', 'urn:xmpp:bookmarks:1');
    await a.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: 'urn:xmpp:bookmarks:1' },
      xml('item', { id: 'b@muc.localhost' }, xml('conference', { xmlns: 'urn:xmpp:bookmarks:1', name: 'B' }))))));
    assert.notEqual((await pep().nodeConfig('alice', 'urn:xmpp:bookmarks:1'))!['pubsub#access_model'], 'whitelist');
    await a.iq(privateSet(storage('b@muc.localhost', 'c@muc.localhost')));
    assert.equal((await pep().nodeConfig('alice', 'urn:xmpp:bookmarks:1'))!['pubsub#access_model'], 'whitelist', 'recreated');
    const items = (await pep().items('alice', 'urn:xmpp:bookmarks:1'))!;
    assert.deepEqual(items.map((i) => i.id).sort(), ['b@muc.localhost', 'c@muc.localhost']);
  });

  it('refuses bookmarks stored together with other private data (not-acceptable)', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES.filter((m) => m !== 'test_pep_probe') });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(a.iq(privateSet(storage('a@muc.localhost'), xml('prefs', { xmlns: 'urn:example:prefs' }, 'x'))),
      (err: { condition?: string }) => err.condition === 'not-acceptable');
  });
});
