// Tests for lib/core/xml.ts: namespace constants, the xml() builder, serialize()
// escaping and round-tripping through the parser, and withNamespace().
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Element, xml, serialize, withNamespace, escapeAttr, escapeText,
  NS_CLIENT, NS_STREAMS, NS_FRAMING, NS_XMPP_STREAMS, NS_STANZAS, NS_SASL, NS_TLS, NS_BIND,
  NS_SESSION, NS_ROSTER, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_REGISTER, NS_XRD, NS_DELAY,
} from '../../lib/core/xml.js';
import { parseFrame } from '../../lib/core/xml-frame.js';
import { StreamParser } from '../../lib/core/xml-parser.js';

function reparse(el: Element): Element {
  const r = parseFrame(serialize(el));
  if ('error' in r) assert.fail(`${r.error.condition}: ${r.error.text} in ${serialize(el)}`);
  return r.element;
}

describe('xml.ts', () => {
  it('exports the namespace constants', () => {
    assert.deepEqual(
      [NS_CLIENT, NS_STREAMS, NS_FRAMING, NS_XMPP_STREAMS, NS_STANZAS, NS_SASL, NS_TLS, NS_BIND, NS_SESSION,
        NS_ROSTER, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_REGISTER, NS_XRD, NS_DELAY],
      ['jabber:client', 'http://etherx.jabber.org/streams', 'urn:ietf:params:xml:ns:xmpp-framing',
        'urn:ietf:params:xml:ns:xmpp-streams', 'urn:ietf:params:xml:ns:xmpp-stanzas', 'urn:ietf:params:xml:ns:xmpp-sasl',
        'urn:ietf:params:xml:ns:xmpp-tls', 'urn:ietf:params:xml:ns:xmpp-bind', 'urn:ietf:params:xml:ns:xmpp-session',
        'jabber:iq:roster', 'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items',
        'urn:xmpp:ping', 'jabber:iq:register', 'http://docs.oasis-open.org/ns/xri/xrd-1.0', 'urn:xmpp:delay'],
    );
  });

  it('xml() builds ltx elements', () => {
    const el = xml('message', { to: 'a@b', id: undefined, n: 5 }, xml('body', {}, 'hi'), null, 'tail');
    assert.ok(el instanceof Element);
    assert.deepEqual(el.attrs, { to: 'a@b', n: '5' });
    assert.equal(el.getChildText('body'), 'hi');
    assert.equal(el.getChild('body')?.parent, el);
    assert.equal(serialize(el), '<message to="a@b" n="5"><body>hi</body>tail</message>');
  });

  it('escapes attribute values and text', () => {
    assert.equal(escapeAttr(`a<b&c>d"e'f\tg\nh\ri`), 'a&lt;b&amp;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i');
    assert.equal(escapeText('a<b&c>d"e\'f\tg\nh\ri'), 'a&lt;b&amp;c&gt;d"e\'f\tg\nh&#13;i');
    assert.equal(escapeText('plain'), 'plain');
    assert.equal(escapeText('x\u0001y'), 'x\uFFFDy', 'chars XML cannot carry are replaced');
    const el = xml('a', { q: `"'<>&` }, ']]> & <b>');
    assert.equal(serialize(el), '<a q="&quot;&apos;&lt;&gt;&amp;">]]&gt; &amp; &lt;b&gt;</a>');
  });

  it('writes empty elements self-closed, omits null attributes, stringifies others', () => {
    const el = new Element('x');
    el.attrs = { a: null, b: undefined, c: 0, d: '' };
    assert.equal(serialize(el), '<x c="0" d=""/>');
  });

  it('round-trips through the parser: awkward text and attribute values', () => {
    const nasty = ['a]]>b', '\r\n\r', ' \t\n ', '&amp;', '<![CDATA[x]]>', '日本🌹', '"\'', '&#x41;', '\uFFFD'];
    for (const s of nasty) {
      const el = xml('message', { xmlns: 'jabber:client', id: s, 'xml:lang': 'en' }, xml('body', {}, s));
      const back = reparse(el);
      assert.equal(back.attrs.id, s, JSON.stringify(s));
      assert.equal(back.getChildText('body'), s, JSON.stringify(s));
      assert.equal(serialize(back), serialize(el));
    }
  });

  it('round-trips through the stream parser, with prefixes', () => {
    const el = xml('stream:error', { 'xmlns:stream': NS_STREAMS },
      xml('conflict', { xmlns: NS_XMPP_STREAMS }),
      xml('text', { xmlns: NS_XMPP_STREAMS, 'xml:lang': 'en' }, 'Replaced by new connection & <more>'));
    const got: Element[] = [];
    const errors: string[] = [];
    const p = new StreamParser({
      streamOpen() {},
      element: (e) => got.push(e),
      streamClose() {},
      error: (c) => errors.push(c),
    }, { maxStanzaSize: 10000 });
    p.write(`<stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAMS}'>` + serialize(el));
    assert.deepEqual(errors, []);
    assert.equal(got[0]!.getChildText('text'), 'Replaced by new connection & <more>');
    assert.equal(serialize(got[0]!), serialize(withNamespace(el, NS_CLIENT)));
  });

  it('serializes deep trees and numbers', () => {
    let el = xml('leaf', {}, 42 as unknown as string);
    for (let i = 0; i < 5000; i++) el = xml('n', {}, el);
    const s = serialize(el);
    assert.ok(s.startsWith('<n><n>'));
    assert.ok(s.includes('<leaf>42</leaf>'));
  });

  it('withNamespace returns the element itself when it has xmlns', () => {
    const el = xml('iq', { xmlns: 'jabber:server', type: 'get' });
    assert.equal(withNamespace(el, NS_CLIENT), el);
  });

  it('withNamespace copies without mutating the shared original', () => {
    const body = xml('body', {}, 'hi');
    const el = xml('message', { to: 'a@b' }, body);
    const before = serialize(el);
    const copy = withNamespace(el, NS_CLIENT);
    assert.notEqual(copy, el);
    assert.equal(copy.attrs.xmlns, NS_CLIENT);
    assert.equal(el.attrs.xmlns, undefined);
    assert.notEqual(copy.attrs, el.attrs);
    assert.notEqual(copy.children, el.children);
    assert.equal(copy.children[0], body, 'children are shared');
    assert.equal(serialize(el), before);
    assert.equal(serialize(copy), '<message to="a@b" xmlns="jabber:client"><body>hi</body></message>');
    copy.children.push('x');
    copy.attrs.id = '1';
    assert.equal(serialize(el), before);
  });
});
