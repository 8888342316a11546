// Tests for StreamParser (lib/core/xml-parser.ts) and, through it, the shared
// Tokenizer: a realistic client stream split at every offset, restricted XML,
// malformed input, namespaces, limits, UTF-8 handling, restarts and a fuzz.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamParser } from '../../lib/core/xml-parser.js';
import type { StreamParserLimits } from '../../lib/core/xml-parser.js';
import { parseFrame } from '../../lib/core/xml-frame.js';
import type { Element } from '../../lib/core/xml.js';
import { serialize } from '../../lib/core/xml.js';
import { prng } from '../helpers/prng.js';

type Tree = [string, Record<string, string>, Array<Tree | string>];

function dump(el: Element): Tree {
  return [
    el.name,
    { ...(el.attrs as Record<string, string>) },
    el.children.map((c) => (typeof c === 'string' ? c : dump(c))),
  ];
}

type Ev =
  | ['open', string, Record<string, string>]
  | ['el', Tree]
  | ['close']
  | ['error', string, string];

interface Run {
  parser: StreamParser;
  events: Ev[];
  elements: Element[];
}

/** A parser recording its events; restarts the stream (reset) after <auth/> like a server on SASL success. */
function run(limits: StreamParserLimits = { maxStanzaSize: 65536 }, resetOnAuth = true): Run {
  const events: Ev[] = [];
  const elements: Element[] = [];
  const r: Run = { parser: undefined as unknown as StreamParser, events, elements };
  r.parser = new StreamParser(
    {
      streamOpen(attrs, name) {
        events.push(['open', name, { ...attrs }]);
      },
      element(el) {
        events.push(['el', dump(el)]);
        elements.push(el);
        if (resetOnAuth && el.name === 'auth') r.parser.reset();
      },
      streamClose() {
        events.push(['close']);
      },
      error(condition, text) {
        events.push(['error', condition, text]);
      },
    },
    limits,
  );
  return r;
}

function parseAll(input: string | Buffer | Array<string | Buffer>, limits?: StreamParserLimits): Ev[] {
  const r = run(limits);
  for (const c of Array.isArray(input) ? input : [input]) r.parser.write(c);
  return r.events;
}

function errorsOf(events: Ev[]): Array<[string, string]> {
  return events.filter((e): e is ['error', string, string] => e[0] === 'error').map((e) => [e[1], e[2]]);
}

function firstError(events: Ev[]): string | undefined {
  return errorsOf(events)[0]?.[0];
}

const HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>";

// A realistic c2s session: declaration, header, SASL PLAIN, restart, bind, a message with
// entities/CDATA/multi-byte text (2-, 3- and 4-byte UTF-8), presence, whitespace keepalives, close.
const STREAM =
  "<?xml version='1.0' encoding='UTF-8'?>" + HEADER + '\n' +
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldABy0G1lbw==</auth>" +
  HEADER +
  "\n  <iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind></iq>\n" +
  "<message to='romeo@example.net' from='juliet@example.com/balcony' type=\"chat\" id='m&amp;1' xml:lang='en'>" +
  '<body>Wherefore art thou, Romeo? &lt;3 &amp; &quot;q&quot; &apos;a&apos; &#169;&#x1F339; — héllo 日本語 🌹\r\nline2\rline3</body>' +
  "<thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>" +
  "<x xmlns='jabber:x:data' type='form' label='tab&#9;nl&#10;x\ty'><![CDATA[<not>markup</not> & ]]]]><![CDATA[]]>tail]</x>" +
  '</message>  \n\t ' +
  "<presence><show>away</show><status>Café ☕</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>" +
  ' ' +
  "<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>" +
  '\n</stream:stream>';

describe('StreamParser: realistic stream', () => {
  const reference = parseAll(STREAM);

  it('parses the whole stream', () => {
    assert.equal(firstError(reference), undefined, JSON.stringify(errorsOf(reference)));
    const kinds = reference.map((e) => (e[0] === 'el' ? e[1][0] : e[0]));
    assert.deepEqual(kinds, ['open', 'auth', 'open', 'iq', 'message', 'presence', 'iq', 'close']);
    const open = reference[0] as ['open', string, Record<string, string>];
    assert.equal(open[1], 'stream:stream');
    assert.equal(open[2]['xml:lang'], 'en');
    assert.equal(open[2].to, 'example.com');
  });

  it('decodes entities, CDATA, line ends and multi-byte text', () => {
    const msg = reference.find((e) => e[0] === 'el' && e[1][0] === 'message') as ['el', Tree];
    const [, attrs, children] = msg[1];
    assert.equal(attrs.id, 'm&1');
    assert.equal(attrs.type, 'chat');
    assert.equal(attrs.xmlns, 'jabber:client', 'inherited default namespace made explicit');
    const body = children[0] as Tree;
    assert.deepEqual(body[2], [
      'Wherefore art thou, Romeo? <3 & "q" \'a\' ©🌹 — héllo 日本語 🌹\nline2\nline3',
    ]);
    const x = children[2] as Tree;
    assert.equal(x[1].label, 'tab\tnl\nx y', 'char refs kept, literal TAB normalised (XML 1.0 §3.3.3)');
    assert.deepEqual(x[2], ['<not>markup</not> & ]]tail]'], 'adjacent CDATA/text merged into one node');
  });

  it('top-level elements have explicit xmlns and nested ones resolve via ltx', () => {
    const r = run();
    r.parser.write(STREAM);
    const iq = r.elements.find((e) => e.name === 'iq')!;
    assert.equal(iq.attrs.xmlns, 'jabber:client');
    assert.equal(iq.getNS(), 'jabber:client');
    assert.equal(iq.getChild('bind')?.getNS(), 'urn:ietf:params:xml:ns:xmpp-bind');
    assert.equal(iq.getChild('bind')?.getChildText('resource'), 'balcony');
    assert.equal(iq.parent, null);
  });

  it('yields identical events when split in two at every string offset', () => {
    for (let i = 1; i < STREAM.length; i++) {
      const ev = parseAll([STREAM.slice(0, i), STREAM.slice(i)]);
      assert.deepEqual(ev, reference, `split at ${i}`);
    }
  });

  it('yields identical events when split in two at every byte offset (inside UTF-8 sequences too)', () => {
    const bytes = Buffer.from(STREAM, 'utf8');
    assert.ok(bytes.length > STREAM.length, 'the stream contains multi-byte characters');
    for (let i = 1; i < bytes.length; i++) {
      const ev = parseAll([bytes.subarray(0, i), bytes.subarray(i)]);
      assert.deepEqual(ev, reference, `split at byte ${i}`);
    }
  });

  it('yields identical events fed one byte / one code unit at a time', () => {
    const bytes = Buffer.from(STREAM, 'utf8');
    const byteChunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) byteChunks.push(bytes.subarray(i, i + 1));
    assert.deepEqual(parseAll(byteChunks), reference);
    assert.deepEqual(parseAll(STREAM.split('')), reference, 'surrogate pairs split across string chunks');
  });

  it('yields identical events for three-way splits at many offsets', () => {
    const bytes = Buffer.from(STREAM, 'utf8');
    for (let i = 1; i < bytes.length; i += 7) {
      for (let j = i + 1; j < bytes.length; j += 13) {
        const ev = parseAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
        assert.deepEqual(ev, reference, `split at ${i}, ${j}`);
      }
    }
  });

  it('accepts a UTF-8 BOM and whitespace before the header', () => {
    const ev = parseAll(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(' \n' + HEADER + '</stream:stream>')]));
    assert.deepEqual(ev.map((e) => e[0]), ['open', 'close']);
  });
});

describe('StreamParser: stream header', () => {
  it('accepts the XML declaration only before the header', () => {
    assert.equal(firstError(parseAll("<?xml version='1.0'?>" + HEADER)), undefined);
    assert.equal(firstError(parseAll(HEADER + "<?xml version='1.0'?>")), 'restricted-xml');
    assert.equal(firstError(parseAll("<?xml version='1.0'?><?xml version='1.0'?>" + HEADER)), 'restricted-xml');
  });

  it('rejects non-UTF-8 encodings declared in the XML declaration (RFC 6120 §11.6)', () => {
    assert.equal(firstError(parseAll("<?xml version='1.0' encoding='ISO-8859-1'?>" + HEADER)), 'unsupported-encoding');
  });

  it('requires <stream> in the streams namespace (RFC 6120 §4.9.3.10)', () => {
    assert.equal(firstError(parseAll("<message xmlns='jabber:client'/>")), 'invalid-namespace');
    assert.equal(
      firstError(parseAll("<stream:stream xmlns='jabber:client' xmlns:stream='http://example.com/wrong'>")),
      'invalid-namespace',
    );
    assert.equal(firstError(parseAll("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>")), 'invalid-namespace',
      'no content namespace');
    assert.equal(firstError(parseAll("<stream:stream xmlns='jabber:client'>")), 'bad-namespace-prefix');
  });

  it('accepts other prefixes for the stream element and jabber:server content', () => {
    const ev = parseAll("<s:stream xmlns='jabber:server' xmlns:s='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback'>" +
      "<db:result from='a' to='b'>key</db:result><s:features/></s:stream>");
    assert.equal(firstError(ev), undefined);
    const els = ev.filter((e) => e[0] === 'el').map((e) => (e as ['el', Tree])[1]);
    assert.deepEqual(els[0], ['db:result', { from: 'a', to: 'b', xmlns: 'jabber:server', 'xmlns:db': 'jabber:server:dialback' }, ['key']]);
    assert.deepEqual(els[1], ['s:features', { xmlns: 'jabber:server', 'xmlns:s': 'http://etherx.jabber.org/streams' }, []]);
    assert.equal(ev.at(-1)?.[0], 'close');
  });

  it('emits stream-level elements with the stream prefix declared on them', () => {
    const r = run();
    r.parser.write(HEADER + "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    const el = r.elements[0]!;
    assert.equal(el.name, 'stream:error');
    assert.equal(el.getNS(), 'http://etherx.jabber.org/streams');
    assert.equal(el.attrs['xmlns:stream'], 'http://etherx.jabber.org/streams');
    const again = parseFrame(serialize(el));
    assert.ok('element' in again);
    assert.deepEqual(dump(again.element), dump(el));
  });

  it('handles a self-closing header as open + close', () => {
    const ev = parseAll(HEADER.replace(/>$/, '/>'));
    assert.deepEqual(ev.map((e) => e[0]), ['open', 'close']);
  });

  it('ignores input after </stream:stream>', () => {
    const ev = parseAll(HEADER + '</stream:stream><garbage');
    assert.deepEqual(ev.map((e) => e[0]), ['open', 'close']);
  });
});

describe('StreamParser: restricted XML (RFC 6120 §11.1)', () => {
  const cases: Array<[string, string]> = [
    ['comment in stanza', '<message><!-- hi --></message>'],
    ['comment at stream level', '<!-- hi -->'],
    ['processing instruction', '<message><?php echo 1 ?></message>'],
    ['PI at stream level', "<?xml-stylesheet href='a'?>"],
    ['DOCTYPE', '<!DOCTYPE foo>'],
    ['internal subset', "<!DOCTYPE foo [<!ENTITY bar 'baz'>]>"],
    ['ENTITY declaration', "<!ENTITY bar 'baz'>"],
    ['entity reference in text', '<message><body>&nbsp;</body></message>'],
    ['entity reference in attribute', "<message id='&foo;'/>"],
    ['external entity reference', '<message><body>&xxe;</body></message>'],
  ];
  for (const [what, xml] of cases) {
    it(what, () => {
      const ev = parseAll(HEADER + xml);
      assert.deepEqual(errorsOf(ev).map((e) => e[0]), ['restricted-xml'], JSON.stringify(ev));
      assert.equal(ev.filter((e) => e[0] === 'el').length, 0);
    });
  }

  it('a DOCTYPE before the header is restricted too', () => {
    assert.equal(firstError(parseAll('<!DOCTYPE stream>' + HEADER)), 'restricted-xml');
  });

  it('the five predefined entities and character references are fine', () => {
    const ev = parseAll(HEADER + "<message a='&lt;&gt;&amp;&quot;&apos;&#65;&#x42;'><body>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x10FFFF;</body></message>");
    assert.equal(firstError(ev), undefined);
    const m = (ev[1] as ['el', Tree])[1];
    assert.equal(m[1].a, '<>&"\'AB');
    assert.deepEqual((m[2][0] as Tree)[2], ['<>&"\'AB\u{10FFFF}']);
  });
});

describe('StreamParser: not-well-formed', () => {
  const cases: Array<[string, string]> = [
    ['mismatched end tag', '<message><body></message></body>'],
    ['end tag without start', '</message>'],
    ['unquoted attribute', '<message to=juliet/>'],
    ['attribute without value', '<message to/>'],
    ['attributes not separated', "<message to='a'from='b'/>"],
    ['duplicate attribute', "<message to='a' to='b'/>"],
    ['duplicate attribute named like an Object.prototype member', "<message toString='a' toString='b'/>"],
    ["'<' in attribute value", "<message to='a<b'/>"],
    ['text at stream level', 'hello'],
    ['text between stanzas', '<presence/>x<presence/>'],
    ["bare '&' in text", '<message><body>fish & chips</body></message>'],
    ['unterminated reference', '<message><body>&amp</body></message>'],
    ['bad character reference digits', '<message><body>&#xZZ;</body></message>'],
    ['character reference to a forbidden char', '<message><body>&#1;</body></message>'],
    ['character reference to a surrogate', '<message><body>&#xD800;</body></message>'],
    ['character reference beyond Unicode', '<message><body>&#x110000;</body></message>'],
    ["']]>' in text", '<message><body>a]]>b</body></message>'],
    ['raw control character', '<message><body>a\u0001b</body></message>'],
    ['U+FFFE', '<message><body>a\uFFFEb</body></message>'],
    ['space after <', '< message/>'],
    ['bad name start', '<1message/>'],
    ["'/' not followed by '>'", '<message/ >'],
    ['CDATA at stream level', '<![CDATA[x]]>'],
    ['unknown <! markup', '<message><!x></message>'],
    ['bad <![ markup', '<message><![CDAT[x]]></message>'],
    ['end tag with garbage', '<message></message x>'],
    ['QName with two colons', "<a:b:c xmlns:a='urn:a'/>"],
    ['empty namespace declaration', "<a:b xmlns:a=''/>"],
    ['xmlns prefix redefined', "<message xmlns:xmlns='urn:x'/>"],
  ];
  for (const [what, xml] of cases) {
    it(what, () => {
      const ev = parseAll(HEADER + xml);
      assert.deepEqual(errorsOf(ev).map((e) => e[0]), ['not-well-formed'], JSON.stringify(ev));
    });
  }

  it('whitespace keepalives between stanzas are ignored', () => {
    const ev = parseAll([HEADER, ' ', '\n', '<presence/>', ' \r\n\t ', ' ', '<presence/>']);
    assert.equal(firstError(ev), undefined);
    assert.equal(ev.filter((e) => e[0] === 'el').length, 2);
  });

  it('delivers stanzas before the error, then nothing more', () => {
    const ev = parseAll(HEADER + "<presence/><message><body>a</bod></message><presence/>");
    assert.deepEqual(ev.map((e) => e[0]), ['open', 'el', 'error']);
  });

  it('never reports more than one error, and ignores input after it', () => {
    const r = run();
    r.parser.write(HEADER + '<!-- x -->');
    r.parser.write('<!-- y -->garbage<presence/>');
    r.parser.write(Buffer.from([0xff, 0xfe]));
    assert.equal(errorsOf(r.events).length, 1);
  });
});

describe('StreamParser: namespaces', () => {
  it('undeclared element prefix → bad-namespace-prefix (RFC 6120 §4.9.3.2)', () => {
    assert.deepEqual(errorsOf(parseAll(HEADER + '<foo:message/>')).map((e) => e[0]), ['bad-namespace-prefix']);
    assert.equal(firstError(parseAll(HEADER + "<message><x:y/></message>")), 'bad-namespace-prefix');
  });

  it('undeclared attribute prefix → bad-namespace-prefix', () => {
    assert.equal(firstError(parseAll(HEADER + "<message foo:bar='1'/>")), 'bad-namespace-prefix');
  });

  it('prefixes declared on the element or an ancestor resolve; scopes end with the element', () => {
    const ok = parseAll(HEADER + "<message xmlns:a='urn:a'><a:x a:y='1'><a:z/></a:x></message>");
    assert.equal(firstError(ok), undefined);
    const out = parseAll(HEADER + "<message><a:x xmlns:a='urn:a'/><a:y/></message>");
    assert.equal(firstError(out), 'bad-namespace-prefix');
  });

  it('xml:lang needs no declaration', () => {
    assert.equal(firstError(parseAll(HEADER + "<message xml:lang='fr'><body xml:lang='en'>x</body></message>")), undefined);
  });

  it('copies header declarations that the stanza uses, and only those', () => {
    const r = run();
    r.parser.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:foo='urn:foo' xmlns:bar='urn:bar'>" +
      "<message><foo:x/></message><presence/>");
    assert.deepEqual(errorsOf(r.events), []);
    const [m, p] = r.elements;
    assert.equal(m!.attrs['xmlns:foo'], 'urn:foo');
    assert.equal(m!.attrs['xmlns:bar'], undefined);
    assert.equal(m!.getChild('x')?.getNS(), 'urn:foo');
    assert.deepEqual(p!.attrs, { xmlns: 'jabber:client' });
  });

  it('keeps an explicit xmlns on the top-level element', () => {
    const r = run();
    r.parser.write(HEADER + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert.deepEqual(r.elements[0]!.attrs, { xmlns: 'urn:ietf:params:xml:ns:xmpp-tls' });
  });
});

describe('StreamParser: limits', () => {
  it('stanza size limit hit mid-stanza, before its end tag arrives', () => {
    const r = run({ maxStanzaSize: 200 });
    r.parser.write(HEADER + '<message><body>');
    let wrote = 0;
    for (let i = 0; i < 100 && r.events.every((e) => e[0] !== 'error'); i++) {
      r.parser.write('0123456789');
      wrote += 10;
    }
    assert.deepEqual(errorsOf(r.events), [['policy-violation', 'stanza too large']]);
    assert.ok(wrote <= 200, `cut off after ${wrote} chars`);
  });

  it('counts a stanza whole when it arrives in one chunk', () => {
    const body = 'x'.repeat(300);
    const ev = parseAll(HEADER + `<message><body>${body}</body></message>`, { maxStanzaSize: 200 });
    assert.deepEqual(errorsOf(ev), [['policy-violation', 'stanza too large']]);
    assert.equal(ev.filter((e) => e[0] === 'el').length, 0);
  });

  it('a stanza of exactly the limit passes', () => {
    const stanza = "<message><body>abc</body></message>";
    assert.equal(firstError(parseAll(HEADER + stanza, { maxStanzaSize: stanza.length })), undefined);
    assert.equal(firstError(parseAll(HEADER + stanza, { maxStanzaSize: stanza.length - 1 })), 'policy-violation');
  });

  it('a giant start tag without > is cut off at the limit', () => {
    const r = run({ maxStanzaSize: 1000 });
    r.parser.write(HEADER + '<message ');
    for (let i = 0; i < 500 && r.events.every((e) => e[0] !== 'error'); i++) r.parser.write("a" + i + "='xxxxxxxxxx' ");
    assert.deepEqual(errorsOf(r.events), [['policy-violation', 'stanza too large']]);
  });

  it('a giant attribute value, tag whitespace, end tag, CDATA or header is cut off too', () => {
    const cases: Array<[string, string]> = [
      [HEADER + "<message to='", 'y'],
      [HEADER + '<message', ' '],
      [HEADER + "<message to", ' '],
      [HEADER + '<message></message', ' '],
      [HEADER + '<message><![CDATA[', 'y'],
      ['<stream:stream xmlns="x" a="', 'y'],
      ["<?xml version='1.0'", ' '],
    ];
    for (const [start, fill] of cases) {
      const r = run({ maxStanzaSize: 500 });
      r.parser.write(start);
      for (let i = 0; i < 100 && r.events.every((e) => e[0] !== 'error'); i++) r.parser.write(fill.repeat(50));
      const e = firstError(r.events);
      assert.ok(e === 'policy-violation' || (start.startsWith('<?xml') && e === 'not-well-formed'), `${start}: ${e}`);
    }
  });

  it('slow-drip input inside one construct costs linear time', () => {
    // 1-char chunks of a 100k attribute value / tag whitespace must not be re-buffered per chunk.
    for (const [start, fill] of [[HEADER + "<message to='", 'a'], [HEADER + '<message></message', ' ']] as const) {
      const r = run({ maxStanzaSize: 1 << 20 });
      r.parser.write(start);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 100000; i++) r.parser.write(fill);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.deepEqual(errorsOf(r.events), []);
      assert.ok(ms < 2000, `${ms} ms`);
    }
  });

  it('setMaxStanzaSize raises the limit (after authentication)', () => {
    const stanza = `<message><body>${'z'.repeat(500)}</body></message>`;
    const r = run({ maxStanzaSize: 100 });
    r.parser.write(HEADER);
    r.parser.setMaxStanzaSize(10000);
    r.parser.write(stanza);
    assert.deepEqual(errorsOf(r.events), []);
    assert.equal(r.elements.length, 1);
    r.parser.setMaxStanzaSize(100);
    r.parser.write(stanza);
    assert.equal(firstError(r.events), 'policy-violation');
  });

  it('depth limit', () => {
    const nest = (d: number): string => '<a>'.repeat(d) + '</a>'.repeat(d);
    assert.equal(firstError(parseAll(HEADER + nest(3), { maxStanzaSize: 1000, maxDepth: 3 })), undefined);
    assert.deepEqual(errorsOf(parseAll(HEADER + nest(4), { maxStanzaSize: 1000, maxDepth: 3 })).map((e) => e[0]), ['policy-violation']);
    assert.equal(firstError(parseAll(HEADER + nest(64), { maxStanzaSize: 100000 })), undefined, 'default 64');
    assert.equal(firstError(parseAll(HEADER + nest(65), { maxStanzaSize: 100000 })), 'policy-violation');
  });

  it('attribute count and name length limits', () => {
    const limits = { maxStanzaSize: 10000, maxAttributes: 2, maxNameLength: 13 }; // 'stream:stream'
    const h = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    assert.equal(firstError(parseAll(h + "<a b='1' c='2'/>", limits)), undefined);
    assert.equal(firstError(parseAll(h + "<a b='1' c='2' d='3'/>", limits)), 'policy-violation');
    assert.equal(firstError(parseAll(h + '<abcdefghijklm/>', limits)), undefined);
    assert.equal(firstError(parseAll(h + '<abcdefghijklmn/>', limits)), 'policy-violation');
    assert.equal(firstError(parseAll(h + "<a bcdefghijklmno='1'/>", limits)), 'policy-violation');
    assert.equal(firstError(parseAll(HEADER, limits)), 'policy-violation', 'the header is limited too');
  });
});

describe('StreamParser: reset and end', () => {
  it('reset() restarts: the next thing expected is a stream header', () => {
    const r = run(undefined, false);
    r.parser.write(HEADER + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    r.parser.reset();
    r.parser.write(HEADER + '<presence/></stream:stream>');
    assert.deepEqual(r.events.map((e) => e[0]), ['open', 'el', 'open', 'el', 'close']);
  });

  it('after reset() a stanza instead of a header is invalid-namespace', () => {
    const r = run(undefined, false);
    r.parser.write(HEADER);
    r.parser.reset();
    r.parser.write('<presence/>');
    assert.equal(firstError(r.events), 'invalid-namespace');
  });

  it('reset() clears an error', () => {
    const r = run(undefined, false);
    r.parser.write(HEADER + '<!---->');
    r.parser.reset();
    r.parser.write(HEADER + '<presence/>');
    assert.deepEqual(r.events.map((e) => e[0]), ['open', 'error', 'open', 'el']);
  });

  it('input pipelined after the element that triggered reset() belongs to the new stream', () => {
    const r = run();
    r.parser.write(HEADER + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + HEADER + '<presence/>');
    assert.deepEqual(r.events.map((e) => e[0]), ['open', 'el', 'open', 'el']);
  });

  it('end() releases the parser; later writes are ignored', () => {
    const r = run();
    r.parser.write(HEADER + '<message><body>part');
    r.parser.end();
    r.parser.write('</body></message>');
    assert.deepEqual(r.events.map((e) => e[0]), ['open']);
  });
});

describe('StreamParser: UTF-8 (RFC 6120 §11.6)', () => {
  const pre = Buffer.from(HEADER + '<message><body>');
  const post = Buffer.from('</body></message>');
  const bad: Array<[string, number[]]> = [
    ['0xFF byte', [0xff]],
    ['stray continuation byte', [0x80]],
    ['overlong encoding', [0xc0, 0xaf]],
    ['encoded surrogate', [0xed, 0xa0, 0x80]],
    ['truncated sequence', [0xe6, 0x97, 0x41]],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ];
  for (const [what, bytes] of bad) {
    it(`${what} → unsupported-encoding, whole or split at every offset`, () => {
      const all = Buffer.concat([pre, Buffer.from(bytes), post]);
      for (let i = 0; i <= all.length; i++) {
        const ev = parseAll(i === 0 ? [all] : [all.subarray(0, i), all.subarray(i)]);
        assert.deepEqual(errorsOf(ev).map((e) => e[0]), ['unsupported-encoding'], `split at ${i}`);
      }
    });
  }

  it('a genuine U+FFFD (EF BF BD) is accepted, also when split', () => {
    const all = Buffer.concat([pre, Buffer.from([0xef, 0xbf, 0xbd]), post]);
    for (let i = 1; i < all.length; i++) {
      const r = run();
      r.parser.write(all.subarray(0, i));
      r.parser.write(all.subarray(i));
      assert.deepEqual(errorsOf(r.events), []);
      assert.equal(r.elements[0]!.getChildText('body'), '\uFFFD');
    }
  });

  it('lone surrogates in string input are not-well-formed', () => {
    assert.equal(firstError(parseAll(HEADER + '<message><body>\uDC00</body></message>')), 'not-well-formed');
    assert.equal(firstError(parseAll([HEADER + '<message><body>\uD83D', 'x</body></message>'])), 'not-well-formed');
  });
});

// ---- fuzz ----------------------------------------------------------------------


function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const n = 1 + Math.floor(rnd() * 4);
  const inserts = ['<', '&', ']]>', '>', "'", '"', '</', '<!', '<?', '<![CDATA[', '&#x', ';', ':', '/>', '\u0000', 'é', '🌹'];
  for (let k = 0; k < n; k++) {
    const at = Math.floor(rnd() * b.length);
    const op = Math.floor(rnd() * 5);
    if (op === 0) {
      b[at] = Math.floor(rnd() * 256); // byte flip
    } else if (op === 1) {
      b = b.subarray(0, at); // truncation
    } else if (op === 2) {
      const s = Buffer.from(inserts[Math.floor(rnd() * inserts.length)]!);
      b = Buffer.concat([b.subarray(0, at), s, b.subarray(at)]);
    } else if (op === 3) {
      b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(rnd() * 8)))]); // deletion
    } else {
      const from = Math.floor(rnd() * b.length);
      b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + Math.floor(rnd() * 40)), b.subarray(at)]); // duplication
    }
    if (b.length === 0) break;
  }
  return b;
}

function randomChunks(b: Buffer, rnd: () => number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const n = 1 + Math.floor(rnd() * (rnd() < 0.3 ? 4 : 80));
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('StreamParser: fuzz', () => {
  it('never throws, reports at most one error per stream, and emitted elements round-trip', () => {
    const rnd = prng(0x5eed);
    const src = Buffer.from(STREAM, 'utf8');
    let errors = 0;
    let elements = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const input = mutate(src, rnd);
      const asString = rnd() < 0.3;
      const chunks = randomChunks(input, rnd);
      let errorsThisStream = 0;
      const emitted: Element[] = [];
      const parser: StreamParser = new StreamParser(
        {
          streamOpen() {
            // nothing
          },
          element(el) {
            emitted.push(el);
            if (el.name === 'auth') {
              parser.reset();
              errorsThisStream = 0;
            }
          },
          streamClose() {
            // nothing
          },
          error() {
            errorsThisStream++;
            errors++;
            assert.equal(errorsThisStream, 1, `iteration ${iter}: second error on one stream`);
          },
        },
        { maxStanzaSize: 1 + Math.floor(rnd() * 2000), maxDepth: 1 + Math.floor(rnd() * 6) },
      );
      assert.doesNotThrow(() => {
        if (asString) {
          const s = input.toString('utf8');
          let i = 0;
          while (i < s.length) {
            const n = 1 + Math.floor(rnd() * 60);
            parser.write(s.slice(i, i + n));
            i += n;
          }
        } else {
          for (const c of chunks) parser.write(c);
        }
        parser.end();
      }, `iteration ${iter}`);
      for (const el of emitted) {
        elements++;
        // A mutated <auth/> skips the restart, so a nested stream header can be a (legal) stanza;
        // parseFrame refuses those by design (RFC 7395 §3.3.3).
        if (el.getName() === 'stream' && el.getNS() === 'http://etherx.jabber.org/streams') continue;
        const again = parseFrame(serialize(el), { maxDepth: 100 });
        assert.ok('element' in again, `iteration ${iter}: ${serialize(el)} → ${'error' in again ? again.error.text : ''}`);
        assert.deepEqual(dump(again.element), dump(el), `iteration ${iter}`);
      }
    }
    assert.ok(errors > 1000, `mutations mostly produce errors (${errors})`);
    assert.ok(elements > 1000, `mutations still yield elements (${elements})`);
  });

  it('string input: events do not depend on how the input is chunked', () => {
    const rnd = prng(42);
    const src = Buffer.from(STREAM, 'utf8');
    for (let iter = 0; iter < 1500; iter++) {
      const s = mutate(src, rnd).toString('utf8');
      const whole = parseAll(s);
      const parts: string[] = [];
      for (let i = 0; i < s.length; ) {
        const n = 1 + Math.floor(rnd() * 50);
        parts.push(s.slice(i, i + n));
        i += n;
      }
      const split = parseAll(parts);
      // The size bound on unparsed input is checked per chunk, so only compare the conditions.
      assert.deepEqual(
        split.map((e) => (e[0] === 'error' ? e[1] : e)),
        whole.map((e) => (e[0] === 'error' ? e[1] : e)),
        `iteration ${iter}: ${JSON.stringify(s)}`,
      );
    }
  });
});
