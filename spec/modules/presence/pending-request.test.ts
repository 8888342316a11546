/**
 * Tests for lib/modules/presence/pending-request.ts: bounding a stored subscribe stanza
 * (statuses cut by characters, the whole by bytes, extended content kept while it fits) and
 * its JSON form.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, xml } from '../../../lib/core/xml.js';
import { boundRequest, fromData, toData, type BoundReport } from '../../../lib/modules/presence/pending-request.js';

const bytes = (el: ReturnType<typeof xml>): number => Buffer.byteLength(serialize(el));

describe('boundRequest', () => {
  it('cuts statuses by characters without splitting a surrogate pair, keeping xml:lang', () => {
    const stanza = xml('presence', { type: 'subscribe', from: 'a@x', to: 'b@x', id: 'i1' },
      xml('status', { 'xml:lang': 'en' }, '😀'.repeat(20)),
      xml('status', { 'xml:lang': 'fr' }, 'court'));
    const report: BoundReport = { truncated: 0, dropped: [] };
    const out = boundRequest(stanza, { statusChars: 5, bytes: 4096 }, report);
    const statuses = out.getChildren('status');
    assert.deepEqual(statuses.map((s) => [s.attrs['xml:lang'], s.getText()]), [['en', '😀'.repeat(5)], ['fr', 'court']]);
    assert.equal(out.attrs.from, undefined, 'addresses are set on delivery');
    assert.equal(out.attrs.id, 'i1');
    assert.equal(report.truncated, 1);
  });

  it('keeps extended content in order while it fits, drops what does not, and shortens a status last', () => {
    const stanza = xml('presence', { type: 'subscribe' },
      xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'N'),
      xml('big', { xmlns: 'urn:x' }, 'b'.repeat(500)),
      xml('status', {}, 's'.repeat(400)),
      xml('small', { xmlns: 'urn:y' }));
    const report: BoundReport = { truncated: 0, dropped: [] };
    const out = boundRequest(stanza, { statusChars: 1000, bytes: 300 }, report);
    assert.ok(bytes(out) <= 300, `${bytes(out)} bytes`);
    assert.deepEqual(out.getChildElements().map((c) => c.name), ['status'], 'the status takes the room first');
    assert.ok((out.getChildText('status') ?? '').length > 200, 'and is shortened to fit');
    assert.equal(report.dropped.length, 3);

    const roomy = boundRequest(stanza, { statusChars: 10, bytes: 300 });
    assert.deepEqual(roomy.getChildElements().map((c) => c.name), ['nick', 'status', 'small']);
    assert.ok(bytes(roomy) <= 300);
  });

  it('is idempotent, and round-trips through its JSON form', () => {
    const stanza = xml('presence', { type: 'subscribe', id: 'q', 'xml:lang': 'de' },
      xml('status', {}, 'Hallo <&> "Welt"'),
      xml('x', { xmlns: 'urn:z', a: '1' }, xml('y', {}, 'text'), 'tail'));
    const once = boundRequest(stanza, { statusChars: 8, bytes: 512 });
    const twice = boundRequest(once, { statusChars: 8, bytes: 512 });
    assert.equal(serialize(twice), serialize(once));
    const back = fromData(JSON.parse(JSON.stringify(toData(once))));
    assert.ok(back);
    assert.equal(serialize(back), serialize(once));
    assert.equal(fromData({ name: 5 }), undefined, 'malformed stored data is refused, not thrown');
    assert.equal(serialize(fromData({ name: 'presence', attrs: { type: 'subscribe', bad: 3 }, children: [null, 'ok', { nope: 1 }] })!), '<presence type="subscribe">ok</presence>');
  });
});
