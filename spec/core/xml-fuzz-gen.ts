// Random XML frames for the differential fuzz test (xml-fuzz.test.ts), drawn
// from a seeded PRNG: well-formed documents (nesting, attributes with and
// without prefixes, namespace declarations, entity and character references,
// CDATA, multibyte text and names, whitespace), the same with one defect that
// makes them ill-formed, and ones using XML that RFC 6120 §11.1 forbids.

type Rnd = () => number;

const NS_XML = 'http://www.w3.org/XML/1998/namespace';
const NS_XMLNS = 'http://www.w3.org/2000/xmlns/';

function int(rnd: Rnd, n: number): number {
  return Math.floor(rnd() * n);
}

function pick<T>(rnd: Rnd, a: readonly T[]): T {
  return a[int(rnd, a.length)]!;
}

// XML 1.0 §2.3 names: ASCII, Latin-1, a combining mark, CJK, Greek, a supplementary-plane letter, U+00B7.
const LOCALS = ['a', 'b', 'body', 'x', 'item', 'q-1', 'n.m', '_u', 'A9', 'é', 'ñame', '日本', 'a\u0300', 'ω', '\u{10000}x', 'x\u00b7y', 'xmlish'];
const PREFIXES = ['p', 'q', 'ns1', 'é', 'x-y', 'P'];
const URIS = ['urn:x', 'urn:y', 'jabber:client', 'http://example.com/ns', 'urn:é', 'urn:with space', 'urn:a&b', "urn:'q'", 'urn:"d"'];
const WS = [' ', '  ', '\n', '\t', '\r\n', ' \r '];
// Pieces of character data as written: raw characters (incl. CR, NEL, LS, non-BMP) and references.
const TEXT = ['a', 'Zz', '0', ' ', '  ', '\t', '\n', '\r\n', '\r', 'é', '日本語', '🌹', '\u00a0', '>', ']', ']]', '"', "'",
  '\u0085', '\u2028', '\uFFFD', '\u{10FFFF}', '&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#65;', '&#x1F339;', '&#9;',
  '&#13;', '&#xD;', '&#x10FFFF;', '&#xa0;', '&#0065;'];
// Pieces of attribute values as written (raw quotes are escaped for the quote in use).
const VALUE = ['v', 'x y', ' ', '\t', '\n', '\r\n', '\r', 'é', '🌹', '>', ']]>', "'", '"', '&amp;', '&lt;', '&gt;', '&#9;',
  '&#10;', '&#13;', '&#x20;', '&quot;', '&apos;', '&#x1F339;'];
const CDATA = ['x', '<', '&', '&amp;', ']', ']]', '>', '\r\n', '\r', 'é', '🌹', '<![CDATA[', ' ', '<b>'];

// Places where a defect can be put: element content, and inside an attribute value.
const AT_CONTENT = '\uE000';
const AT_VALUE = '\uE001';

function pieces(rnd: Rnd, from: readonly string[], max: number): string {
  let s = '';
  for (let n = 1 + int(rnd, max); n > 0; n--) s += pick(rnd, from);
  return s;
}

/** Escape a raw value for an attribute quoted with `quote`. */
function escapeValue(s: string, quote: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(quote === '"' ? /"/g : /'/g, quote === '"' ? '&quot;' : '&apos;');
}

interface GenOptions {
  /** Put AT_CONTENT / AT_VALUE markers where a defect may go. */
  marks: boolean;
  /** Elements still to generate. */
  budget: number;
}

function element(rnd: Rnd, scope: ReadonlyMap<string, string>, depth: number, o: GenOptions): string {
  o.budget--;
  const attrs: Array<[string, string]> = []; // name, raw value
  const inScope = new Map(scope);
  for (let n = rnd() < 0.35 ? 1 + int(rnd, 2) : 0; n > 0; n--) {
    const prefix = pick(rnd, PREFIXES);
    if (attrs.some(([k]) => k === `xmlns:${prefix}`)) continue;
    const uri = pick(rnd, URIS);
    attrs.push([`xmlns:${prefix}`, uri]);
    inScope.set(prefix, uri);
  }
  if (rnd() < 0.03) attrs.push(['xmlns:xml', NS_XML]);
  if (rnd() < 0.2) attrs.push(['xmlns', pick(rnd, [...URIS, ''])]);
  const prefixes = [...inScope.keys()];
  const r = rnd();
  const name = prefixes.length > 0 && r < 0.35 ? `${pick(rnd, prefixes)}:${pick(rnd, LOCALS)}`
    : r > 0.98 ? `xml:${pick(rnd, LOCALS)}` : pick(rnd, LOCALS);
  // Namespaces in XML §6.3: attributes unique by expanded name.
  const expanded = new Set<string>();
  const values: Array<[string, string]> = []; // name, value as written (quotes escaped later)
  for (let n = int(rnd, 4); n > 0; n--) {
    let attr: string;
    let key: string;
    if (rnd() < 0.4) {
      const prefix = pick(rnd, [...prefixes, 'xml']);
      const local = pick(rnd, LOCALS);
      attr = `${prefix}:${local}`;
      key = `${prefix === 'xml' ? NS_XML : inScope.get(prefix)} ${local}`;
    } else {
      attr = pick(rnd, LOCALS);
      key = ` ${attr}`;
    }
    if (expanded.has(key)) continue;
    expanded.add(key);
    values.push([attr, pieces(rnd, VALUE, 5) + (o.marks ? AT_VALUE : '')]);
  }
  const all: Array<[string, string, boolean]> = [
    ...attrs.map(([k, v]): [string, string, boolean] => [k, v, true]),
    ...values.map(([k, v]): [string, string, boolean] => [k, v, false]),
  ];
  for (let i = all.length - 1; i > 0; i--) {
    const j = int(rnd, i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  let s = `<${name}`;
  for (const [k, v, raw] of all) {
    const q = rnd() < 0.5 ? '"' : "'";
    const written = raw ? escapeValue(v, q) : v.replace(q === '"' ? /"/g : /'/g, q === '"' ? '&quot;' : '&apos;');
    s += pick(rnd, WS) + k + (rnd() < 0.2 ? pick(rnd, WS) : '') + '=' + (rnd() < 0.2 ? pick(rnd, WS) : '') + q + written + q;
  }
  if (rnd() < 0.2) s += pick(rnd, WS);
  const mustOpen = o.marks && depth === 1;
  if (!mustOpen && (depth >= 6 || o.budget <= 0 || rnd() < 0.25)) return s + '/>';
  s += '>';
  let lastText = false;
  for (let n = int(rnd, 6); n >= 0; n--) {
    if (o.marks) s += AT_CONTENT;
    const k = rnd();
    if (k < 0.45) {
      if (lastText) continue; // adjacent text pieces could form ']]>'
      s += pieces(rnd, TEXT, 8).replace(/]]>/g, ']]&gt;');
      lastText = true;
      continue;
    }
    lastText = false;
    if (k < 0.6) s += `<![CDATA[${pieces(rnd, CDATA, 6).replace(/]]>/g, ']]&gt;')}]]>`;
    else if (o.budget > 0) s += element(rnd, inScope, depth + 1, o);
  }
  return s + `</${name}${rnd() < 0.15 ? pick(rnd, WS) : ''}>`;
}

/** The frame's leading part: maybe a BOM, an XML declaration, whitespace. */
function prolog(rnd: Rnd): string {
  let s = rnd() < 0.05 ? '\uFEFF' : '';
  if (rnd() < 0.1) s += `<?xml version='1.0'${rnd() < 0.5 ? " encoding='UTF-8'" : ''}?>`;
  return rnd() < 0.3 ? s + pick(rnd, WS) : s;
}

/** The element of a frame, maybe followed by whitespace. */
function bare(rnd: Rnd): string {
  return element(rnd, new Map(), 1, { marks: false, budget: 1 + int(rnd, 30) }) + (rnd() < 0.3 ? pick(rnd, WS) : '');
}

/** A well-formed frame: one element, maybe with a prolog and trailing whitespace. */
export function randomDocument(rnd: Rnd): string {
  return prolog(rnd) + bare(rnd);
}

/** Put `snippet` at one random marker of kind `at`, and drop the other markers. */
function place(rnd: Rnd, at: string, snippet: string): string {
  for (;;) {
    const body = element(rnd, new Map(), 1, { marks: true, budget: 1 + int(rnd, 20) });
    const parts = body.split(at);
    if (parts.length < 2) continue; // no attribute value to put it in: another element
    const k = 1 + int(rnd, parts.length - 1);
    const doc = parts.slice(0, k).join('') + snippet + parts.slice(k).join('');
    return doc.replace(/[\uE000\uE001]/g, '');
  }
}

const NWF = ['not-well-formed'];
const BAD_PREFIX = ['bad-namespace-prefix'];

type Make = (rnd: Rnd) => string;

/** Defects that are complete elements put into some element's content. */
const CHILD: Array<[string, Make, string[]]> = [
  ['mismatched end tag', (rnd) => pick(rnd, ['<c></d>', '<c><d></c></d>', '<c></C>', '<c>x</c d>', "<p:c xmlns:p='urn:x' xmlns:q='urn:x'></q:c>"]), NWF],
  ['unclosed element', (rnd) => pick(rnd, ['<c>', '<c><d/>', '<c x="1"']), NWF],
  ['bad element name', (rnd) => pick(rnd, ['<1c/>', '<-c/>', '<.c/>', '<c!d/>', '< c/>', '<\u00d7c/>', '<c\u037ed/>', '<:c/>', "<c: xmlns:c='urn:x'/>", "<c:d:e xmlns:c='urn:x'/>"]), NWF],
  ['bad attribute name', (rnd) => pick(rnd, ["<c 1x='1'/>", "<c :x='1'/>", "<c x:='1'/>", "<c x:y:z='1' xmlns:x='urn:x'/>", "<c -x='1'/>", "<c xmlns:='urn:x'/>"]), NWF],
  ['declared prefix that is not an NCName', (rnd) => `<c xmlns:${pick(rnd, ['-a', '1a', '.a', '\u0300a'])}='urn:x'/>`, NWF],
  ['duplicate attribute', (rnd) => {
    const local = pick(rnd, LOCALS);
    return pick(rnd, [`<c ${local}='1' ${local}='2'/>`, `<c xml:lang='en' xml:lang='fr'/>`, `<c xmlns='urn:d' xmlns='urn:d'/>`,
      `<c xmlns:a='urn:d' xmlns:a='urn:e'/>`]);
  }, NWF],
  ['duplicate attribute through two prefixes', (rnd) => {
    const [a, b] = [pick(rnd, ['a', 'p1', 'é']), pick(rnd, ['b', 'p2', 'ü'])];
    const uri = escapeValue(pick(rnd, URIS), "'");
    const local = pick(rnd, LOCALS);
    return pick(rnd, [
      `<c xmlns:${a}='${uri}' xmlns:${b}='${uri}' ${a}:${local}='1' ${b}:${local}='2'/>`,
      `<c ${b}:${local}='1' xmlns:${b}='${uri}' x='y' ${a}:${local}='2' xmlns:${a}='${uri}'/>`,
      `<c xmlns:${a}='${uri}'><d xmlns:${b}='${uri}' ${a}:${local}='1' ${b}:${local}='2'/></c>`,
      `<c xmlns:${a}='${uri}' xmlns:${b}='${uri}'><d><e ${b}:${local}='1' ${a}:${local}='2'/></d></c>`,
    ]);
  }, NWF],
  ['undeclared prefix', (rnd) => pick(rnd, ['<zz:c/>', "<c zz:y='1'/>", "<c><d xmlns:zz='urn:x'/><zz:e/></c>", "<c><d xmlns:zz='urn:x'/><e zz:y='1'/></c>", '<xmlns:c/>']), BAD_PREFIX],
  ['invalid namespace declaration', (rnd) => pick(rnd, ["<c xmlns:a=''/>", "<c xmlns:xmlns='urn:x'/>", "<c xmlns:xml='urn:x'/>",
    `<c xmlns:a='${NS_XML}'/>`, `<c xmlns:a='${NS_XMLNS}'/>`, `<c xmlns='${NS_XMLNS}'/>`, `<c xmlns='${NS_XML}'/>`,
    `<c xmlns:xmlns='${NS_XMLNS}'/>`, "<c xmlns:b='urn:x'><b:d xmlns:b=''/></c>"]), NWF],
  ['bad attribute syntax', (rnd) => pick(rnd, ['<c x=1/>', '<c x/>', "<c x='1'y='2'/>", '<c/ >', "<c x='1' / >", "<c x='1'=/>", '<c x=>']), NWF],
  ['bad markup', (rnd) => pick(rnd, ['<![CDAT[x]]>', '<!x>', '<!>', '<![ CDATA[x]]>', '<?>', '<? x?>']), NWF],
  ['XML declaration inside the element', () => "<?xml version='1.0'?>", ['restricted-xml']],
];

const REFS = ['&', '&amp', '&#xZZ;', '&#0;', '&#xD800;', '&#xDFFF;', '&#x110000;', '&#1114112;', '&#;', '&#x;', '&;', '&1x;', '&#-1;',
  '&#x1F339', '&#xFFFE;', '&#8;', '& amp;', '&a b;'];
const ILLEGAL = ['\u0001', '\u0008', '\u000B', '\u000C', '\u001F', '\uFFFE', '\uFFFF', '\uDFFF', '\uDC00x'];
// saxes 6 pairs a high surrogate with whatever follows it, so only we are checked on these.
const LONE_HIGH = ['\uD800', 'x\uD83D', '\uDBFF '];

/** Defects inside text (between elements) and inside attribute values. */
const TEXT_DEFECTS: Array<[string, Make, string[]]> = [
  ['bad reference in text', (rnd) => `a ${pick(rnd, REFS)} b`, NWF],
  ['illegal character in text', (rnd) => `a${pick(rnd, ILLEGAL)}b`, NWF],
  ['lone high surrogate in text', (rnd) => `a${pick(rnd, LONE_HIGH)}b`, NWF],
  ["']]>' in text", () => 'a]]>b', NWF],
];
const VALUE_DEFECTS: Array<[string, Make, string[]]> = [
  ['bad reference in an attribute value', (rnd) => ` ${pick(rnd, REFS)} `, NWF],
  ['illegal character in an attribute value', (rnd) => pick(rnd, ILLEGAL), NWF],
  ['lone high surrogate in an attribute value', (rnd) => `${pick(rnd, LONE_HIGH)}b`, NWF],
  ["'<' in an attribute value", () => 'a<b', NWF],
];

/** Kinds of defect that saxes does not detect. */
export const SAXES_MISSES: ReadonlySet<string> = new Set([
  'lone high surrogate in text', 'lone high surrogate in an attribute value', 'declared prefix that is not an NCName',
]);

/** A document with one defect that makes it ill-formed, its kind, and the conditions we may report. */
export function illFormedDocument(rnd: Rnd): { doc: string; kind: string; conditions: string[] } {
  const r = rnd();
  if (r < 0.5) {
    const [kind, make, conditions] = pick(rnd, CHILD);
    return { doc: place(rnd, AT_CONTENT, make(rnd)), kind, conditions };
  }
  if (r < 0.65) {
    const [kind, make, conditions] = pick(rnd, TEXT_DEFECTS);
    return { doc: place(rnd, AT_CONTENT, make(rnd)), kind, conditions };
  }
  if (r < 0.8) {
    const [kind, make, conditions] = pick(rnd, VALUE_DEFECTS);
    return { doc: place(rnd, AT_VALUE, make(rnd)), kind, conditions };
  }
  const doc = randomDocument(rnd).trimEnd();
  const end = doc.lastIndexOf('>'); // the root element is closed by this '>'
  if (r < 0.9) return { doc: doc.slice(0, int(rnd, end)), kind: 'truncated', conditions: NWF };
  // Characters that look like white space but are not XML's S (§2.3) count as text.
  const extra = pick(rnd, ['<c/>', 'x', '</c>', '<![CDATA[x]]>', "<?xml version='1.0'?>", '&amp;', '\u00a0', '\u0085', '\u2028', '\u3000', '\f']);
  return rnd() < 0.7 || extra.startsWith('<?')
    ? { doc: doc + pick(rnd, ['', ' ']) + extra, kind: 'markup after the element', conditions: NWF }
    : { doc: extra + doc, kind: 'markup before the element', conditions: NWF };
}

/**
 * A document using what RFC 6120 §11.1 forbids (comments, processing
 * instructions, DTDs, entities other than the predefined ones) or RFC 6120
 * §11.6 (encodings other than UTF-8). `wellFormed`: it is plain XML 1.0 that
 * a general parser accepts.
 */
export function restrictedDocument(rnd: Rnd): { doc: string; kind: string; wellFormed: boolean; conditions: string[] } {
  const restricted = ['restricted-xml'];
  const comment = pick(rnd, ['<!-- c -->', '<!---->', '<!-- <a> & é -->']);
  const pi = pick(rnd, ['<?pi x?>', '<?php echo 1 ?>', '<?app?>', '<?xml-stylesheet href="a"?>']);
  // Markup allowed before the element (XML 1.0 §2.8 Misc): after the XML declaration, if any.
  const before = (markup: string): string => (rnd() < 0.2 ? "<?xml version='1.0'?>" : '') + markup + (rnd() < 0.3 ? '\n' : '') + bare(rnd);
  switch (int(rnd, 7)) {
    case 0: return { doc: place(rnd, AT_CONTENT, comment), kind: 'comment', wellFormed: true, conditions: restricted };
    case 1: return { doc: before(comment), kind: 'comment before the element', wellFormed: true, conditions: restricted };
    case 2: return { doc: place(rnd, AT_CONTENT, pi), kind: 'processing instruction', wellFormed: true, conditions: restricted };
    case 3: return { doc: before(pi), kind: 'processing instruction before the element', wellFormed: true, conditions: restricted };
    case 4: return { doc: before('<!DOCTYPE c>'), kind: 'DOCTYPE', wellFormed: true, conditions: restricted };
    case 5: {
      const ref = pick(rnd, ['&nbsp;', '&copy;', '&e;', '&xxe;']);
      const dtd = rnd() < 0.5 ? "<!DOCTYPE c [<!ENTITY e 'x'>]>" : '';
      const doc = place(rnd, rnd() < 0.5 ? AT_CONTENT : AT_VALUE, ref);
      return { doc: dtd + doc, kind: 'entity reference', wellFormed: false, conditions: restricted };
    }
    default:
      return {
        doc: `<?xml version='1.0' encoding='${pick(rnd, ['ISO-8859-1', 'UTF-16', 'us-ascii'])}'?>${bare(rnd)}`,
        kind: 'XML declaration with an encoding other than UTF-8',
        wellFormed: true,
        conditions: ['unsupported-encoding'],
      };
  }
}
