/**
 * PEP end to end with a real client library (`stanza`, over TCP): a contact whose capabilities
 * include tune+notify gets the owner's tune; the server asked for those capabilities (XEP-0115)
 * and answered the notification from the owner's bare JID. Plus persistence: nodes and items
 * survive a restart on SQLite, and access control holds (no reading a forbidden node, no
 * publishing to another account's PEP).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stanzaLogin, nextEvent, stanzaStop } from '../../helpers/stanza-client.js';
import { xml } from '../../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const MODULES = ['roster', 'saslauth', 'disco', 'ping', 'pep'];
const NS = 'http://jabber.org/protocol/pubsub';

const publish = (c: ImClient, node: string, id: string, text: string, to?: string) => c.iq(xml('iq', { type: 'set', to },
  xml('pubsub', { xmlns: NS }, xml('publish', { node }, xml('item', { id }, xml('note', { xmlns: 'urn:example:note' }, text))))));
const items = (c: ImClient, to: string, node: string) => c.iq(xml('iq', { type: 'get', to }, xml('pubsub', { xmlns: NS }, xml('items', { node }))));
const failsWith = (condition: string) => (err: { condition?: string }) => err.condition === condition;

describe('pep with stanza', () => {
  it('notifies a contact whose caps ask for tune+notify, from the owner\'s bare JID', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const alice = await stanzaLogin(s.port, 'alice');
    t.after(() => stanzaStop(alice));
    const bob = await stanzaLogin(s.port, 'bob');
    t.after(() => stanzaStop(bob));
    await alice.getRoster();
    await bob.getRoster();
    // bob's presence carries its caps (stanza advertises tune+notify): the server asks, bob answers
    const answered = nextEvent(bob, 'iq:get:disco');
    alice.sendPresence();
    bob.updateCaps();
    bob.sendPresence({ legacyCapabilities: bob.disco.getCaps() });
    await answered;
    // bob subscribes to alice's presence; alice approves
    const asked = nextEvent(alice, 'subscribe');
    bob.subscribe('alice@localhost');
    await asked;
    const approved = nextEvent(bob, 'subscribed');
    alice.acceptSubscription('bob@localhost');
    await approved;
    await bob.ping('localhost'); // bob's caps answer was sent before this round trip
    const tune = nextEvent(bob, 'tune');
    await alice.publishTune({ artist: 'Gerald Finzi', title: 'Introduction' });
    const got = await tune;
    assert.equal(got.jid, 'alice@localhost');
    assert.equal(got.tune.artist, 'Gerald Finzi');
    assert.equal(got.tune.title, 'Introduction');
  });

  it('keeps nodes and items across a restart on SQLite', async (t) => {
    const data = tempDataPath();
    t.after(() => data.remove());
    const config = { modules_enabled: MODULES, storage: 'sqlite', data_path: data.path };
    const first = await startImServer(['alice'], config);
    const a = await first.xmppjs('alice', 'one');
    await publish(a, 'urn:example:notes', 'n1', 'kept');
    await first.stop();
    const second = await startImServer([], config);
    t.after(() => second.stop());
    const again = await second.xmppjs('alice', 'two');
    const node = (await items(again, 'alice@localhost', 'urn:example:notes')).getChild('pubsub', NS)!.getChild('items')!;
    assert.deepEqual(node.getChildren('item').map((i) => [i.attrs.id, i.getChildText('note', 'urn:example:note')]), [['n1', 'kept']]);
  });

  it('refuses a node its access model forbids, and publishing to another account\'s PEP', async (t) => {
    const s = await startImServer(['alice', 'eve'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'a');
    const e = await s.xmppjs('eve', 'e');
    await publish(a, 'urn:example:notes', 'n1', 'private');
    await assert.rejects(items(e, 'alice@localhost', 'urn:example:notes'), failsWith('not-authorized'));
    await assert.rejects(publish(e, 'urn:example:notes', 'n2', 'forged', 'alice@localhost'), failsWith('forbidden'));
    await assert.rejects(publish(e, 'urn:example:other', 'n3', 'forged', 'alice@localhost'), failsWith('forbidden'));
    const mine = (await items(a, 'alice@localhost', 'urn:example:notes')).getChild('pubsub', NS)!.getChild('items')!;
    assert.deepEqual(mine.getChildren('item').map((i) => i.attrs.id), ['n1'], 'nothing forged reached the node');
    await assert.rejects(items(a, 'alice@localhost', 'urn:example:other'), failsWith('item-not-found'));
  });
});
