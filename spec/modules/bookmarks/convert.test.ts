/**
 * Tests for lib/modules/bookmarks/convert: XEP-0048 storage to XEP-0402 items and back
 * (XEP-0411), with extensions kept and bad room JIDs refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseElement } from '../../../lib/core/xml-frame.js';
import { serialize, xml, type Element } from '../../../lib/core/xml.js';
import { itemsToLegacy, legacyToItems, sameBookmark, NS_BOOKMARKS } from '../../../lib/modules/bookmarks/convert.js';

const parse = (s: string): Element => parseElement(s.replace(/>\s+</g, '><'))!;

describe('XEP-0048 storage to XEP-0402 items', () => {
  it('makes one item per room, id = room JID, with name, autojoin, nick and password', () => {
    const items = legacyToItems(parse(`<storage xmlns='storage:bookmarks'>
      <conference jid='Council@Conference.Example.org' name='Council' autojoin='1'><nick>juliet</nick><password>secret</password></conference>
      <conference jid='lobby@conference.example.org'/>
      <url name='site' url='https://example.org'/>
    </storage>`));
    assert.ok(Array.isArray(items));
    assert.deepEqual(items.map((i) => i.id), ['council@conference.example.org', 'lobby@conference.example.org']);
    assert.equal(serialize(items[0]!.payload),
      `<conference xmlns="${NS_BOOKMARKS}" name="Council" autojoin="true"><nick>juliet</nick><password>secret</password></conference>`);
    assert.equal(serialize(items[1]!.payload), `<conference xmlns="${NS_BOOKMARKS}"/>`);
  });

  it('keeps the last entry of a room listed twice and the extensions an item had', () => {
    const ext = xml('extensions', {}, xml('state', { xmlns: 'urn:example:state' }));
    const items = legacyToItems(parse(`<storage xmlns='storage:bookmarks'>
      <conference jid='a@muc.example.org' name='first'/><conference jid='a@muc.example.org' name='second' autojoin='false'/>
    </storage>`), (jid) => (jid === 'a@muc.example.org' ? ext : undefined));
    assert.ok(Array.isArray(items));
    assert.equal(items.length, 1);
    assert.equal(serialize(items[0]!.payload), `<conference xmlns="${NS_BOOKMARKS}" name="second"><extensions><state xmlns="urn:example:state"/></extensions></conference>`);
  });

  it('refuses a conference without a room JID', () => {
    for (const jid of ['', 'muc.example.org', 'room@muc.example.org/nick', 'a@b@c']) {
      assert.equal(legacyToItems(parse(`<storage xmlns='storage:bookmarks'><conference jid='${jid}'/></storage>`)), 'bad-request', jid);
    }
    assert.equal(legacyToItems(parse(`<storage xmlns='storage:bookmarks'><conference/></storage>`)), 'bad-request');
  });
});

describe('XEP-0402 items to XEP-0048 storage', () => {
  it('lists every conference item with autojoin spelled out', () => {
    const storage = itemsToLegacy([
      { id: 'a@muc.example.org', payload: parse(`<conference xmlns='${NS_BOOKMARKS}' name='A' autojoin='true'><nick>n</nick><extensions><x xmlns='urn:example'/></extensions></conference>`) },
      { id: 'b@muc.example.org', payload: parse(`<conference xmlns='${NS_BOOKMARKS}'/>`) },
      { id: 'junk', payload: xml('other', { xmlns: 'urn:example' }) },
      { id: 'none', payload: undefined },
    ]);
    assert.equal(serialize(storage), '<storage xmlns="storage:bookmarks">'
      + '<conference jid="a@muc.example.org" name="A" autojoin="true"><nick>n</nick></conference>'
      + '<conference jid="b@muc.example.org" autojoin="false"/></storage>');
  });

  it('round-trips and compares bookmarks', () => {
    const items = legacyToItems(itemsToLegacy([{ id: 'a@muc.example.org', payload: parse(`<conference xmlns='${NS_BOOKMARKS}' name='A' autojoin='1'><password>p</password></conference>`) }]));
    assert.ok(Array.isArray(items));
    assert.ok(sameBookmark(items[0]!.payload, parse(`<conference xmlns='${NS_BOOKMARKS}' name='A' autojoin='true'><password>p</password></conference>`)));
    assert.ok(!sameBookmark(items[0]!.payload, parse(`<conference xmlns='${NS_BOOKMARKS}' name='A'><password>p</password></conference>`)));
    assert.ok(!sameBookmark(items[0]!.payload, undefined));
  });
});
