// Tests for the Tokenizer (lib/core/xml-tokenizer.ts) through both of its users,
// StreamParser (stream mode) and parseFrame (frame mode): attribute uniqueness
// by expanded name (Namespaces in XML §6.3), and the Tokenizer API itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamParser } from '../../lib/core/xml-parser.js';
import { parseFrame } from '../../lib/core/xml-frame.js';
import { Tokenizer, tokenizerOptions } from '../../lib/core/xml-tokenizer.js';
import type { Element } from '../../lib/core/xml.js';

const HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

interface Outcome {
  errors: Array<[string, string]>;
  elements: Element[];
  opened: number;
}

/** Feed `chunks` to a fresh StreamParser and record what it reports. */
function stream(chunks: string[]): Outcome {
  const out: Outcome = { errors: [], elements: [], opened: 0 };
  const p = new StreamParser({
    streamOpen() {
      out.opened++;
    },
    element(el) {
      out.elements.push(el);
    },
    streamClose() {
      // nothing to record
    },
    error(condition, text) {
      out.errors.push([condition, text]);
    },
  }, { maxStanzaSize: 65536 });
  for (const c of chunks) p.write(c);
  return out;
}

function frameCondition(xml: string): string | undefined {
  const r = parseFrame(xml);
  return 'error' in r ? r.error.condition : undefined;
}

describe('Tokenizer: attributes unique by expanded name (Namespaces in XML §6.3)', () => {
  // The plain duplicate is the reference: the namespaced one must be reported the same way.
  const plain = "<message x='1' x='2'/>";

  // Each is one stanza (also used whole as a frame) with two attributes of one expanded name.
  const duplicates: Array<[string, string]> = [
    ['two prefixes for one namespace on the element', "<message xmlns:a='urn:x' xmlns:b='urn:x' a:foo='1' b:foo='2'/>"],
    ['prefixes declared on an ancestor', "<message xmlns:a='urn:x' xmlns:b='urn:x'><body a:foo='1' b:foo='2'/></message>"],
    ['one prefix from an ancestor, one from the element', "<message xmlns:a='urn:x'><body xmlns:b='urn:x' b:foo='1' a:foo='2'/></message>"],
    ['between other attributes, declarations last', "<message id='1' a:foo='1' to='t' b:foo='2' xmlns:a='urn:x' xmlns:b='urn:x'/>"],
    ['deep inside a stanza', "<iq xmlns:a='urn:x'><query><item xmlns:b='urn:x'><x a:v='1' b:v='2'/></item></query></iq>"],
  ];

  it('the plain duplicate is not-well-formed in both modes', () => {
    assert.deepEqual(stream([HEADER + plain]).errors.map((e) => e[0]), ['not-well-formed']);
    assert.equal(frameCondition(plain), 'not-well-formed');
  });

  for (const [what, xml] of duplicates) {
    it(`stream mode: ${what}`, () => {
      const out = stream([HEADER + xml]);
      assert.deepEqual(out.errors.map((e) => e[0]), ['not-well-formed'], JSON.stringify(out.errors));
      assert.match(out.errors[0]![1], /duplicate attribute/);
      assert.equal(out.elements.length, 0);
    });

    it(`frame mode: ${what}`, () => {
      const r = parseFrame(xml);
      assert.ok('error' in r, `accepted: ${xml}`);
      assert.equal(r.error.condition, 'not-well-formed');
      assert.match(r.error.text, /duplicate attribute/);
    });
  }

  it('stream mode: the same, split at every offset', () => {
    const [, xml] = duplicates[1]!;
    const input = HEADER + xml;
    for (let i = 1; i < input.length; i++) {
      const out = stream([input.slice(0, i), input.slice(i)]);
      assert.deepEqual(out.errors.map((e) => e[0]), ['not-well-formed'], `split at ${i}`);
    }
  });

  it('stream mode: prefixes declared on the stream header', () => {
    const header = HEADER.replace(/>$/, " xmlns:a='urn:x' xmlns:b='urn:x'>");
    const out = stream([header + "<message a:foo='1' b:foo='2'/>"]);
    assert.equal(out.opened, 1);
    assert.deepEqual(out.errors.map((e) => e[0]), ['not-well-formed']);
    assert.equal(out.elements.length, 0);
  });

  it('stream mode: a duplicate on the stream header itself', () => {
    const out = stream([HEADER.replace(/>$/, " xmlns:a='urn:x' xmlns:b='urn:x' a:foo='1' b:foo='2'>")]);
    assert.equal(out.opened, 0);
    assert.deepEqual(out.errors.map((e) => e[0]), ['not-well-formed']);
  });

  const fine: Array<[string, string]> = [
    ['an unprefixed and a prefixed attribute of one local name', "<message xmlns:a='urn:x' foo='1' a:foo='2'/>"],
    ['two prefixes, two namespaces', "<message xmlns:a='urn:x' xmlns:b='urn:y' a:foo='1' b:foo='2'/>"],
    ['two prefixes, one namespace, different local names', "<message xmlns:a='urn:x' xmlns:b='urn:x' a:foo='1' b:bar='2'/>"],
    ['the same expanded name on parent and child', "<message xmlns:a='urn:x' xmlns:b='urn:x' a:foo='1'><body b:foo='2'/></message>"],
    ['a prefix rebound to another namespace', "<message xmlns:a='urn:x' a:foo='1'><body xmlns:a='urn:y' xmlns:b='urn:x' a:foo='2' b:foo='3'/></message>"],
    ['xml:lang next to an unprefixed lang', "<message xml:lang='en' lang='fr'/>"],
  ];
  for (const [what, xml] of fine) {
    it(`accepts ${what}`, () => {
      const out = stream([HEADER + xml]);
      assert.deepEqual(out.errors, []);
      assert.equal(out.elements.length, 1);
      assert.equal(frameCondition(xml), undefined);
    });
  }
});

describe('Tokenizer: reserved namespace names and prefixes (Namespaces in XML §3)', () => {
  const XMLNS = 'http://www.w3.org/2000/xmlns/';
  const XML = 'http://www.w3.org/XML/1998/namespace';
  const invalid: Array<[string, string]> = [
    ["'xmlns:' without a prefix", "<message xmlns:='urn:x'/>"],
    ['a prefix that is not an NCName', "<message xmlns:-a='urn:x'/>"],
    ['a prefix starting with a digit', "<message><body xmlns:1a='urn:x'/></message>"],
    ['a prefix bound to the xmlns namespace', `<message xmlns:p='${XMLNS}'/>`],
    ['the xmlns namespace as the default namespace', `<message><body xmlns='${XMLNS}'/></message>`],
    ['the xml namespace as the default namespace', `<message xmlns='${XML}'/>`],
  ];
  for (const [what, xml] of invalid) {
    it(`rejects ${what}, in both modes`, () => {
      const out = stream([HEADER + xml]);
      assert.deepEqual(out.errors.map((e) => e[0]), ['not-well-formed'], JSON.stringify(out.errors));
      assert.equal(out.elements.length, 0);
      assert.equal(frameCondition(xml), 'not-well-formed');
    });
  }

  it('rejects them on the stream header too', () => {
    for (const attr of ["xmlns:='urn:x'", `xmlns:p='${XMLNS}'`]) {
      const out = stream([HEADER.replace(/>$/, ` ${attr}>`)]);
      assert.equal(out.opened, 0, attr);
      assert.deepEqual(out.errors.map((e) => e[0]), ['not-well-formed'], attr);
    }
    const out = stream([`<stream:stream xmlns='${XML}' xmlns:stream='http://etherx.jabber.org/streams'>`]);
    assert.deepEqual(out.errors.map((e) => e[0]), ['not-well-formed']);
  });

  it('accepts the xml prefix bound to its own namespace, and undeclaring the default namespace', () => {
    for (const xml of [`<message xmlns:xml='${XML}' xml:lang='en'/>`, "<message><x xmlns=''/></message>", "<message xmlns:xmlnsx='urn:x'/>"]) {
      assert.deepEqual(stream([HEADER + xml]).errors, [], xml);
      assert.equal(frameCondition(xml), undefined, xml);
    }
  });
});

describe('Tokenizer: API', () => {
  it('tokenizerOptions applies the defaults', () => {
    assert.deepEqual(tokenizerOptions(true, undefined), {
      frame: true, maxStanzaSize: Infinity, maxDepth: 64, maxAttributes: 64, maxNameLength: 1024,
    });
    assert.deepEqual(tokenizerOptions(false, { maxStanzaSize: 10, maxDepth: 2 }), {
      frame: false, maxStanzaSize: 10, maxDepth: 2, maxAttributes: 64, maxNameLength: 1024,
    });
  });

  it('frame mode: one element per input, error() after a failure is ignored, clear() recycles', () => {
    const got: string[] = [];
    const tok = new Tokenizer({
      streamOpen() {
        got.push('open');
      },
      element(el) {
        got.push(`el ${el.name} ${String(el.attrs.xmlns)}`);
      },
      streamClose() {
        got.push('close');
      },
      error(condition) {
        got.push(`error ${condition}`);
      },
    }, tokenizerOptions(true, undefined));
    tok.feed('<a><b/>', true);
    tok.feed('</a>', true);
    tok.finish();
    assert.equal(tok.failed, false);
    tok.clear();
    tok.feed('<a><b/>', true);
    tok.finish();
    assert.equal(tok.failed, true);
    tok.error('unsupported-encoding', 'ignored: an error was already reported');
    tok.clear();
    tok.feed("<c xmlns='urn:c'/>", true);
    tok.finish();
    assert.deepEqual(got, ['el a jabber:client', 'error not-well-formed', 'el c urn:c']);
  });
});
