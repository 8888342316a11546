/**
 * Tests for lib/modules/websocket/framing.ts: decoding messages into opens, closes, elements
 * and errors (RFC 7395 §3.3), the legacy framing, and our headers and self-contained
 * elements, which never mutate the element they are given.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, serialize } from '../../../lib/core/api.js';
import { closeMessage, decodeMessage, frameElement, frameText, openMessage } from '../../../lib/modules/websocket/framing.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

describe('decodeMessage', () => {
  it('decodes <open/> with the header attributes, ignoring a client id', () => {
    const m = decodeMessage(`<open xmlns='${FRAMING}' to='example.org' from='a@example.org' version='1.0' xml:lang='fr' id='x'/>`, false);
    assert.deepEqual(m, { kind: 'open', attrs: { to: 'example.org', from: 'a@example.org', version: '1.0', 'xml:lang': 'fr' }, legacy: false });
  });

  it('decodes <close/>, with or without see-other-uri', () => {
    assert.deepEqual(decodeMessage(`<close xmlns='${FRAMING}'/>`, false), { kind: 'close', legacy: false });
    assert.equal(decodeMessage(`<close xmlns='${FRAMING}' see-other-uri='wss://x/'/>`, false).kind, 'close');
  });

  it('gives elements without xmlns the jabber:client namespace', () => {
    const m = decodeMessage("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", false);
    assert.equal(m.kind, 'element');
    assert.equal(m.kind === 'element' && m.element.attrs.xmlns, 'jabber:client');
  });

  it('refuses <open/> or <close/> in the content or stream namespace (RFC 7395 §3.3.2)', () => {
    for (const text of ["<open to='x' version='1.0'/>", "<close xmlns='jabber:client'/>", "<open xmlns='http://etherx.jabber.org/streams'/>"]) {
      const m = decodeMessage(text, false);
      assert.equal(m.kind, 'error', text);
      assert.equal(m.kind === 'error' && m.condition, 'invalid-namespace');
    }
  });

  it('passes other namespaces\' <open/> elements through as nonzas', () => {
    assert.equal(decodeMessage("<open xmlns='urn:example:other'/>", false).kind, 'element');
  });

  it('refuses messages that are not exactly one element, citing RFC 7395 §3.3.3', () => {
    for (const text of ['<a/><b/>', '<a/>text', 'text<a/>', ' <a/>', '\ufeff<a/>', '', '<stream:stream>']) {
      const m = decodeMessage(text, false);
      assert.equal(m.kind, 'error', JSON.stringify(text));
      assert.equal(m.kind === 'error' && m.condition, 'not-well-formed');
      assert.match(m.kind === 'error' ? m.text : '', /RFC 7395 §3\.3\.3/, JSON.stringify(text));
    }
  });

  it('tolerates a leading XML declaration (RFC 7395 §3.3.3: NOT RECOMMENDED, not forbidden)', () => {
    assert.equal(decodeMessage("<?xml version='1.0'?><presence/>", false).kind, 'element');
  });

  it('decodes the legacy stream header and close only when allowed', () => {
    const header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='d' version='1.0'>";
    assert.deepEqual(decodeMessage(header, true), { kind: 'open', attrs: { to: 'd', version: '1.0' }, legacy: true });
    assert.deepEqual(decodeMessage(`<?xml version='1.0'?>${header}`, true), { kind: 'open', attrs: { to: 'd', version: '1.0' }, legacy: true });
    assert.deepEqual(decodeMessage('</stream:stream>', true), { kind: 'close', legacy: true });
    assert.equal(decodeMessage(header, false).kind, 'error');
    const wrong = decodeMessage("<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong' to='d'>", true);
    assert.equal(wrong.kind === 'error' && wrong.condition, 'invalid-namespace');
  });
});

describe('outbound', () => {
  it('builds <open/> and <close/> in the framing namespace, escaping attributes', () => {
    assert.equal(openMessage({ from: 'a&b', id: 'i', version: '1.0', 'xml:lang': 'en' }, false),
      `<open xmlns="${FRAMING}" from="a&amp;b" id="i" version="1.0" xml:lang="en"/>`);
    assert.equal(closeMessage(false), `<close xmlns="${FRAMING}"/>`);
    assert.equal(closeMessage(false, 'wss://x.example/ws?a=1&b=2'), `<close xmlns="${FRAMING}" see-other-uri="wss://x.example/ws?a=1&amp;b=2"/>`);
    assert.match(openMessage({ from: 'd', id: 'i', version: '1.0' }, true), /^<stream:stream xmlns="jabber:client" xmlns:stream="http:\/\/etherx\.jabber\.org\/streams" from="d" id="i" version="1\.0">$/);
    assert.equal(closeMessage(true, 'wss://ignored'), '</stream:stream>');
  });

  it('adds jabber:client to stanzas on a copy, leaving the shared element untouched', () => {
    const stanza = xml('message', { to: 'a@b' }, xml('body', {}, 'hi'));
    const framed = frameElement(stanza);
    assert.notEqual(framed, stanza);
    assert.equal(serialize(framed), '<message to="a@b" xmlns="jabber:client"><body>hi</body></message>');
    assert.equal(stanza.attrs.xmlns, undefined);
    assert.equal(serialize(stanza), '<message to="a@b"><body>hi</body></message>');
  });

  it('declares the stream prefix on stream: elements that lack it, on a copy', () => {
    const features = xml('stream:features', {});
    const framed = frameElement(features);
    assert.equal(serialize(framed), '<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>');
    assert.equal(features.attrs['xmlns:stream'], undefined);
    const declared = xml('stream:error', { 'xmlns:stream': 'http://etherx.jabber.org/streams' });
    assert.equal(frameElement(declared), declared);
  });

  it('returns elements that already carry a namespace as they are', () => {
    const success = xml('success', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl' });
    assert.equal(frameElement(success), success);
  });

  it('frameText writes what serialize(frameElement(el)) would, without the copy', () => {
    const cases = [
      xml('message', { to: 'a@b', type: 'chat' }, xml('body', {}, 'hi & <bye>'), xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })),
      xml('presence', {}),
      xml('iq', { xmlns: 'jabber:client', type: 'result', id: '1' }),
      xml('stream:features', {}, xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' })),
      xml('stream:error', { 'xmlns:stream': 'http://etherx.jabber.org/streams' }, xml('conflict', { xmlns: 'urn:ietf:params:xml:ns:xmpp-streams' })),
      xml('stream:error', { xmlns: 'http://etherx.jabber.org/streams' }),
      xml('success', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl' }),
    ];
    for (const el of cases) {
      const attrs = { ...el.attrs };
      assert.equal(frameText(el), serialize(frameElement(el)));
      assert.deepEqual(el.attrs, attrs, 'the element is not changed');
    }
    assert.equal(frameText(cases[0]!), '<message to="a@b" type="chat" xmlns="jabber:client"><body>hi &amp; &lt;bye&gt;</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>');
  });
});
