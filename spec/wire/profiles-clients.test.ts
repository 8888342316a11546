/**
 * Profiles, avatars and bookmarks with a real client library (`stanza`, over TCP on loopback)
 * and a raw scripted client, on SQLite: stanza's XEP-0048 bookmarks (private storage) read as
 * XEP-0402 items, stanza's XEP-0084 avatar read through vcard-temp and announced in presence
 * (XEP-0153), stanza's vcard-temp set read as vCard4; and the migrations of data the `vcard`
 * and `private` modules stored before (upgrade_legacy_vcards, upgrade_legacy_bookmarks).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stanzaLogin, nextEvent, stanzaStop } from '../helpers/stanza-client.js';
import { xml, elementToJson } from '../../lib/core/xml.js';
import { startImServer, tempDataPath, type ImServer } from '../helpers/im-server.js';
import type { ImClient } from '../helpers/im-clients.js';

const MODULES = ['roster', 'saslauth', 'disco', 'presence', 'private', 'pep', 'vcard4', 'vcard_legacy', 'bookmarks'];
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const PNG_SHA1 = createHash('sha1').update(PNG).digest('hex');
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';

const pubsubItems = (c: ImClient, node: string) =>
  c.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node }))));

async function sqliteServer(t: { after(fn: () => unknown): void }, users: string[]): Promise<ImServer> {
  const data = tempDataPath();
  const s = await startImServer(users, { storage: 'sqlite', data_path: data.path, modules_enabled: MODULES });
  t.after(async () => { await s.stop(); data.remove(); });
  return s;
}

describe('profiles and bookmarks with stanza', () => {
  it('stanza\'s XEP-0048 bookmarks are XEP-0402 items, and come back the same', async (t) => {
    const s = await sqliteServer(t, ['alice']);
    const alice = await stanzaLogin(s.port, 'alice', 'stanza');
    t.after(() => stanzaStop(alice));
    await alice.addBookmark({ jid: 'council@conference.localhost', name: 'Council', autoJoin: true, nick: 'al' });
    const raw = await s.raw('alice', 'raw');
    const items = (await pubsubItems(raw, 'urn:xmpp:bookmarks:1')).getChild('pubsub', NS_PUBSUB)!.getChild('items')!.getChildren('item');
    assert.deepEqual(items.map((i) => i.attrs.id), ['council@conference.localhost']);
    const conference = items[0]!.getChild('conference', 'urn:xmpp:bookmarks:1')!;
    assert.equal(conference.attrs.name, 'Council');
    assert.equal(conference.attrs.autojoin, 'true');
    assert.equal(conference.getChildText('nick'), 'al');
    const back = await alice.getBookmarks();
    assert.equal(back.length, 1);
    assert.equal(back[0]!.jid, 'council@conference.localhost');
    assert.equal(back[0]!.autoJoin, true);
    assert.equal(back[0]!.nick, 'al');
  });

  it('stanza\'s XEP-0084 avatar shows in vcard-temp and in its presence (XEP-0153)', async (t) => {
    const s = await sqliteServer(t, ['alice']);
    const alice = await stanzaLogin(s.port, 'alice', 'stanza');
    t.after(() => stanzaStop(alice));
    await alice.publishAvatar(PNG_SHA1, PNG);
    await alice.useAvatars([{ id: PNG_SHA1, bytes: PNG.length, mediaType: 'image/png', width: 1, height: 1 }]);
    const vcard = await alice.getVCard('alice@localhost');
    const photo = vcard.records?.find((r) => r.type === 'photo') as { data?: unknown; mediaType?: string } | undefined;
    assert.ok(photo, 'a PHOTO');
    assert.equal(photo.mediaType, 'image/png');
    // stanza hands BINVAL over as its base64 text
    assert.equal(String(photo.data), PNG.toString('base64'), 'the same bytes');
    const announced = nextEvent(alice, 'avatar', (e) => e.source === 'vcard');
    await alice.sendPresence();
    assert.equal((await announced).avatars[0]!.id, PNG_SHA1);
  });

  it('stanza\'s vcard-temp set is the vCard4 profile', async (t) => {
    const s = await sqliteServer(t, ['alice']);
    const alice = await stanzaLogin(s.port, 'alice', 'stanza');
    t.after(() => stanzaStop(alice));
    await alice.publishVCard({ format: 'vcard-temp', fullName: 'Alice Liddell', records: [{ type: 'nickname', value: 'Al' }] } as never);
    const raw = await s.raw('alice', 'raw');
    const v4 = (await raw.iq(xml('iq', { type: 'get' }, xml('vcard', { xmlns: 'urn:ietf:params:xml:ns:vcard-4.0' })))).getChild('vcard', 'urn:ietf:params:xml:ns:vcard-4.0')!;
    assert.equal(v4.getChild('fn')!.getChildText('text'), 'Alice Liddell');
    assert.equal(v4.getChild('nickname')!.getChildText('text'), 'Al');
  });
});

describe('migrations at login', () => {
  it('moves a vcard-temp vCard and private-storage bookmarks into PEP, then forgets them', async (t) => {
    const s = await sqliteServer(t, ['alice']);
    const storage = s.server.storage;
    storage.set('localhost', 'vcard', 'alice', elementToJson(xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Old Alice'),
      xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, PNG.toString('base64'))))));
    storage.mapSet('localhost', 'private', 'alice', 'storage:storage:bookmarks', elementToJson(xml('storage', { xmlns: 'storage:bookmarks' },
      xml('conference', { jid: 'old@conference.localhost', name: 'Old room' }))));
    const raw = await s.raw('alice', 'raw');
    const v4 = await raw.iq(xml('iq', { type: 'get' }, xml('vcard', { xmlns: 'urn:ietf:params:xml:ns:vcard-4.0' })));
    assert.equal(v4.getChild('vcard')!.getChild('fn')!.getChildText('text'), 'Old Alice');
    const meta = (await pubsubItems(raw, 'urn:xmpp:avatar:metadata')).getChild('pubsub', NS_PUBSUB)!.getChild('items')!.getChild('item')!;
    assert.equal(meta.attrs.id, PNG_SHA1);
    const bookmarks = (await pubsubItems(raw, 'urn:xmpp:bookmarks:1')).getChild('pubsub', NS_PUBSUB)!.getChild('items')!.getChildren('item');
    assert.deepEqual(bookmarks.map((i) => i.attrs.id), ['old@conference.localhost']);
    assert.equal(storage.get('localhost', 'vcard', 'alice'), undefined, 'the vcard-temp copy is gone');
    assert.equal(storage.mapGet('localhost', 'private', 'alice', 'storage:storage:bookmarks'), undefined, 'the private copy is gone');
  });
});
