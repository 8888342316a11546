// Tests for parseFrame (lib/core/xml-frame.ts): RFC 7395 §3.3.3 one-element
// WebSocket frames, default namespace, prefixes, restricted and malformed XML.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFrame } from '../../lib/core/xml-frame.js';
import type { FrameResult } from '../../lib/core/xml-frame.js';
import type { Element } from '../../lib/core/xml.js';
import { NS_FRAMING, serialize } from '../../lib/core/xml.js';

function ok(r: FrameResult): Element {
  if ('error' in r) assert.fail(`unexpected error ${r.error.condition}: ${r.error.text}`);
  return r.element;
}

function err(r: FrameResult): { condition: string; text: string } {
  if ('element' in r) assert.fail(`expected an error, got ${serialize(r.element)}`);
  return r.error;
}

describe('parseFrame', () => {
  it('parses <open/> and <close/> framing elements', () => {
    const open = ok(parseFrame(`<open xmlns="${NS_FRAMING}" to="example.com" version="1.0"/>`));
    assert.equal(open.name, 'open');
    assert.equal(open.getNS(), NS_FRAMING);
    assert.equal(open.attrs.to, 'example.com');
    assert.equal(ok(parseFrame(`<close xmlns="${NS_FRAMING}"/>`)).name, 'close');
  });

  it('gives elements without xmlns the jabber:client namespace', () => {
    const el = ok(parseFrame("<message to='a@b' type='chat'><body>hi &amp; bye</body></message>"));
    assert.equal(el.attrs.xmlns, 'jabber:client');
    assert.equal(el.getChildText('body'), 'hi & bye');
    assert.equal(el.getChild('body')?.getNS(), 'jabber:client');
  });

  it('keeps an explicit xmlns', () => {
    const el = ok(parseFrame("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGE=</auth>"));
    assert.equal(el.attrs.xmlns, 'urn:ietf:params:xml:ns:xmpp-sasl');
  });

  it('tolerates leading and trailing whitespace', () => {
    assert.equal(ok(parseFrame(' \r\n\t<presence/>\n ')).name, 'presence');
  });

  it('resolves prefixes declared on the element', () => {
    const el = ok(parseFrame("<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"));
    assert.equal(el.getNS(), 'http://etherx.jabber.org/streams');
    assert.equal(err(parseFrame('<stream:features/>')).condition, 'bad-namespace-prefix');
    assert.equal(err(parseFrame("<message><x foo:y='1'/></message>")).condition, 'bad-namespace-prefix');
  });

  it('decodes CDATA and multi-byte text', () => {
    const el = ok(parseFrame('<message><body>日本<![CDATA[<&>]]>🌹</body></message>'));
    assert.equal(el.getChildText('body'), '日本<&>🌹');
  });

  const rfc: Array<[string, string, RegExp]> = [
    ['two elements', '<presence/><presence/>', /more than one element/],
    ['two elements with whitespace', '<presence/>\n<message/>', /more than one element/],
    ['text before the element', 'hello<presence/>', /text outside/],
    ['text after the element', '<presence/>hello', /text outside/],
    ['an unclosed element', '<message><body>hi</body>', /unclosed/],
    ['a truncated start tag', '<message to="a"', /unclosed/],
    ['an empty frame', '', /no element/],
    ['a whitespace-only frame', '  \n', /no element/],
    ['a <stream:stream> opening', "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='x' version='1.0'>", /stream:stream/],
  ];
  for (const [what, frame, text] of rfc) {
    it(`rejects ${what} (RFC 7395 §3.3.3)`, () => {
      const e = err(parseFrame(frame));
      assert.equal(e.condition, 'not-well-formed');
      assert.match(e.text, /RFC 7395 §3\.3\.3/);
      assert.match(e.text, text);
    });
  }

  it('rejects other spellings of a stream header but not a <stream/> in another namespace', () => {
    assert.match(err(parseFrame("<s:stream xmlns:s='http://etherx.jabber.org/streams'/>")).text, /RFC 7395 §3\.3\.3/);
    assert.match(err(parseFrame("<stream xmlns='http://etherx.jabber.org/streams'/>")).text, /RFC 7395 §3\.3\.3/);
    assert.equal(ok(parseFrame('<stream/>')).attrs.xmlns, 'jabber:client');
  });

  const restricted = [
    '<message><!-- c --></message>',
    '<!-- c --><message/>',
    '<message/><!-- c -->',
    '<message><?pi x?></message>',
    '<!DOCTYPE message><message/>',
    "<!DOCTYPE m [<!ENTITY e 'x'>]><m>&e;</m>",
    '<message><body>&copy;</body></message>',
  ];
  for (const frame of restricted) {
    it(`restricted-xml: ${frame}`, () => {
      const e = err(parseFrame(frame));
      // Markup after a complete element is also "more than one element"; either is a rejection.
      assert.ok(e.condition === 'restricted-xml' || (frame.startsWith('<message/>') && e.condition === 'not-well-formed'), JSON.stringify(e));
    });
  }

  const malformed = [
    '<message></presence>',
    "<message to='a' to='b'/>",
    '<message to=a/>',
    "<message to='<'/>",
    '<message>&</message>',
    '<message>&#0;</message>',
    '<message>]]></message>',
    '<message>\u0000</message>',
    '<message>\uD800</message>',
    '</message>',
  ];
  for (const frame of malformed) {
    it(`not-well-formed: ${JSON.stringify(frame)}`, () => {
      assert.equal(err(parseFrame(frame)).condition, 'not-well-formed');
    });
  }

  it('applies depth and attribute limits', () => {
    assert.equal(err(parseFrame('<a><b><c/></b></a>', { maxDepth: 2 })).condition, 'policy-violation');
    ok(parseFrame('<a><b><c/></b></a>', { maxDepth: 3 }));
    assert.equal(err(parseFrame("<a x='1' y='2'/>", { maxAttributes: 1 })).condition, 'policy-violation');
    ok(parseFrame("<a x='1' y='2'/>"));
  });

  it('is independent between calls (recycled state)', () => {
    err(parseFrame('<a><b>'));
    err(parseFrame('<a/><b/>'));
    const el = ok(parseFrame('<c/>'));
    assert.equal(el.name, 'c');
    assert.equal(err(parseFrame('<!-- x -->')).condition, 'restricted-xml');
    ok(parseFrame("<d xmlns:p='urn:p'><p:e/></d>"));
    assert.equal(err(parseFrame('<p:e/>')).condition, 'bad-namespace-prefix', 'no prefix leaks from the previous frame');
  });
});
