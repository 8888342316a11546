// Differential fuzz test of the Tokenizer in frame mode (parseFrame, and the
// Tokenizer fed in random chunks) against saxes, an independent
// namespace-aware XML 1.0 parser. Random documents are generated from a seeded
// PRNG: well-formed ones (which both must accept, with equal trees), ill-formed
// ones (which both must reject) and ones using XML that RFC 6120 §11.1 forbids
// (which only we reject). Set FUZZ_SEED to replay a run; every failure names
// the seed of the document that failed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SaxesParser } from 'saxes';
import { parseFrame } from '../../lib/core/xml-frame.js';
import { Tokenizer, tokenizerOptions } from '../../lib/core/xml-tokenizer.js';
import { NS_CLIENT, NS_XML } from '../../lib/core/xml.js';
import type { Element } from '../../lib/core/xml.js';
import { prng } from '../helpers/prng.js';
import { randomDocument, illFormedDocument, restrictedDocument, SAXES_MISSES } from './xml-fuzz-gen.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x786d6c);
const WELL_FORMED = 3000;
const ILL_FORMED = 2500;
const RESTRICTED = 500;

// Namespaces in XML §3: the namespace of xmlns and xmlns:prefix attributes.
const NS_XMLNS = 'http://www.w3.org/2000/xmlns/';

/** A parsed element, the same shape from both parsers: children with adjacent text merged. */
interface Node {
  name: string;
  uri: string;
  /** Expanded attribute name `{uri}local` → value. */
  attrs: Record<string, string>;
  children: Array<Node | string>;
}

type Outcome = { tree: Node } | { error: string };

function pushText(children: Array<Node | string>, s: string): void {
  if (s === '') return;
  const n = children.length;
  if (typeof children[n - 1] === 'string') children[n - 1] += s;
  else children.push(s);
}

function bySaxes(doc: string): Outcome {
  // Frames get jabber:client as the default namespace (RFC 7395 §3.3.3, as parseFrame does).
  const p = new SaxesParser({ xmlns: true, position: false, additionalNamespaces: { '': NS_CLIENT } });
  let error: string | null = null;
  let root: Node | null = null;
  const stack: Node[] = [];
  p.on('error', (e) => {
    error ??= e.message;
  });
  p.on('opentag', (t) => {
    const node: Node = { name: t.name, uri: t.uri, attrs: {}, children: [] };
    for (const a of Object.values(t.attributes)) node.attrs[`{${a.uri}}${a.local}`] = a.value;
    if (stack.length > 0) stack[stack.length - 1]!.children.push(node);
    else root ??= node;
    stack.push(node);
  });
  p.on('closetag', () => {
    stack.pop();
  });
  const text = (s: string): void => {
    if (stack.length > 0) pushText(stack[stack.length - 1]!.children, s);
  };
  p.on('text', text);
  p.on('cdata', text);
  try {
    p.write(doc).close();
  } catch (e) {
    error ??= `threw: ${String(e)}`;
  }
  if (error !== null) return { error };
  if (root === null) return { error: 'no root' };
  return { tree: root };
}

/** Namespaces in XML §5/§6: the namespace a prefix ('' = default) means at `el`, read from the xmlns attributes. */
function resolve(el: Element, prefix: string): string | undefined {
  if (prefix === 'xml') return NS_XML;
  const key = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
  for (let e: Element | null = el; e !== null; e = e.parent as Element | null) {
    if (Object.prototype.hasOwnProperty.call(e.attrs, key)) return (e.attrs as Record<string, string>)[key];
  }
  return prefix === '' ? '' : undefined;
}

function expanded(el: Element, qname: string): [string, string] {
  const colon = qname.indexOf(':');
  if (colon === -1) return ['', qname];
  return [resolve(el, qname.slice(0, colon)) ?? `unbound ${qname.slice(0, colon)}`, qname.slice(colon + 1)];
}

function ours(el: Element): Node {
  const colon = el.name.indexOf(':');
  const uri = resolve(el, colon === -1 ? '' : el.name.slice(0, colon)) ?? 'unbound';
  const node: Node = { name: el.name, uri, attrs: {}, children: [] };
  for (const [k, v] of Object.entries(el.attrs as Record<string, string>)) {
    if (k === 'xmlns') node.attrs[`{${NS_XMLNS}}xmlns`] = v;
    else if (k.startsWith('xmlns:')) node.attrs[`{${NS_XMLNS}}${k.slice(6)}`] = v;
    else {
      const [u, local] = expanded(el, k);
      node.attrs[`{${u}}${local}`] = v;
    }
  }
  for (const c of el.children) {
    if (typeof c === 'string') pushText(node.children, c);
    else node.children.push(ours(c));
  }
  return node;
}

/**
 * Our parser: parseFrame, and the Tokenizer fed the same text in random chunks
 * (never between the halves of a surrogate pair, as StreamParser ensures), which must agree.
 */
function byUs(doc: string, rnd: () => number, seed: number): Outcome & { condition?: string } {
  const r = parseFrame(doc);
  const whole: Outcome & { condition?: string } = 'error' in r
    ? { error: r.error.text, condition: r.error.condition }
    : { tree: ours(r.element) };
  let element: Element | null = null;
  let condition = '';
  const tok = new Tokenizer({
    streamOpen() {
      assert.fail('no stream header in frame mode');
    },
    element(el) {
      element = el;
    },
    streamClose() {
      assert.fail('no stream close in frame mode');
    },
    error(c) {
      condition ||= c;
    },
  }, tokenizerOptions(true, undefined));
  for (let i = 0; i < doc.length;) {
    let j = i + 1 + Math.floor(rnd() * (rnd() < 0.3 ? 3 : 40));
    const hi = doc.charCodeAt(j - 1);
    const lo = doc.charCodeAt(j);
    if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) j++;
    tok.feed(doc.slice(i, j), true);
    i = j;
  }
  tok.finish();
  assert.equal(condition, whole.condition ?? '', `chunked Tokenizer and parseFrame differ (seed ${seed}): ${show(doc)}`);
  if (element !== null && condition === '') assert.deepEqual(ours(element), 'tree' in whole ? whole.tree : null, `seed ${seed}`);
  return whole;
}

function show(doc: string): string {
  return JSON.stringify(doc.length > 600 ? doc.slice(0, 600) + '…' : doc);
}

/** One reusable saxes parser for many tiny documents: whether it accepts `doc`. */
function saxesAccepts(): (doc: string) => boolean {
  const p = new SaxesParser({ xmlns: true, position: false });
  let ok = true;
  p.on('error', () => {
    ok = false;
  });
  return (doc) => {
    ok = true;
    p.write(doc).close();
    return ok;
  };
}

describe('XML fuzz: Tokenizer (frame mode) against saxes', { timeout: 60_000 }, () => {
  it('character classes: every character as a name start, in a name, in text and in a value agrees with saxes', () => {
    const accepts = saxesAccepts();
    const differ: string[] = [];
    // Lone surrogates are left out (saxes 6 does not reject a lone high surrogate); pairs are sampled.
    const chars: string[] = [];
    for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) chars.push(String.fromCharCode(c));
    for (const cp of [0x10000, 0x1f339, 0xeffff, 0xf0000, 0x10fffd, 0x10ffff]) chars.push(String.fromCodePoint(cp));
    for (const ch of chars) {
      for (const doc of [`<${ch}/>`, `<a${ch}/>`, `<a>${ch}</a>`, `<a b='${ch}'/>`]) {
        if (accepts(doc) !== !('error' in parseFrame(doc))) differ.push(`${doc} (U+${ch.codePointAt(0)!.toString(16)})`);
      }
    }
    assert.deepEqual(differ.slice(0, 20), [], `${differ.length} differences`);
  });


  it(`well-formed documents: both accept, with the same tree (FUZZ_SEED=${SEED})`, () => {
    let cdata = 0;
    let prefixed = 0;
    for (let i = 0; i < WELL_FORMED; i++) {
      const seed = (SEED + i) >>> 0;
      const rnd = prng(seed);
      const doc = randomDocument(rnd);
      const theirs = bySaxes(doc);
      const mine = byUs(doc, rnd, seed);
      assert.ok('tree' in theirs, `generator made an ill-formed document (seed ${seed}): ${'error' in theirs ? theirs.error : ''} ${show(doc)}`);
      assert.ok('tree' in mine, `rejected (seed ${seed}): ${'error' in mine ? `${mine.condition} ${mine.error}` : ''} ${show(doc)}`);
      // The frame's element gets an explicit default namespace (RFC 7395 §3.3.3) if it had none.
      const key = `{${NS_XMLNS}}xmlns`;
      if (!(key in theirs.tree.attrs)) {
        assert.equal(mine.tree.attrs[key], NS_CLIENT, `seed ${seed}`);
        delete mine.tree.attrs[key];
      }
      assert.deepEqual(mine.tree, theirs.tree, `different trees (seed ${seed}): ${show(doc)}`);
      if (doc.includes('<![CDATA[')) cdata++;
      if (/<[^>]*:[^>]*=/.test(doc)) prefixed++;
    }
    assert.ok(cdata > WELL_FORMED / 10 && prefixed > WELL_FORMED / 10, `the generator covers CDATA (${cdata}) and prefixes (${prefixed})`);
  });

  it(`ill-formed documents: both reject, we with the right condition (FUZZ_SEED=${SEED})`, () => {
    const kinds = new Map<string, number>();
    for (let i = 0; i < ILL_FORMED; i++) {
      const seed = (SEED + WELL_FORMED + i) >>> 0;
      const rnd = prng(seed);
      const { doc, kind, conditions } = illFormedDocument(rnd);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const theirs = bySaxes(doc);
      const mine = byUs(doc, rnd, seed);
      if (!SAXES_MISSES.has(kind)) assert.ok('error' in theirs, `saxes accepted a ${kind} document (seed ${seed}): ${show(doc)}`);
      assert.ok('error' in mine, `accepted a ${kind} document (seed ${seed}): ${show(doc)}`);
      assert.ok(conditions.includes(mine.condition!), `${kind}: ${mine.condition} ${mine.error} (seed ${seed}): ${show(doc)}`);
    }
    assert.ok(kinds.size >= 15, `all kinds of defects were generated: ${[...kinds.keys()].join(', ')}`);
  });

  it(`restricted XML (RFC 6120 §11.1): we reject what saxes may accept (FUZZ_SEED=${SEED})`, () => {
    let saxesAccepted = 0;
    for (let i = 0; i < RESTRICTED; i++) {
      const seed = (SEED + WELL_FORMED + ILL_FORMED + i) >>> 0;
      const rnd = prng(seed);
      const { doc, kind, wellFormed, conditions } = restrictedDocument(rnd);
      const theirs = bySaxes(doc);
      const mine = byUs(doc, rnd, seed);
      assert.ok('error' in mine, `accepted ${kind} (seed ${seed}): ${show(doc)}`);
      assert.ok(conditions.includes(mine.condition!), `${kind}: ${mine.condition} ${mine.error} (seed ${seed}): ${show(doc)}`);
      if (wellFormed) {
        assert.ok('tree' in theirs, `${kind} is plain XML 1.0, saxes should accept it (seed ${seed}): ${show(doc)}`);
        saxesAccepted++;
      }
    }
    assert.ok(saxesAccepted > RESTRICTED / 3, `${saxesAccepted} of the documents we refuse are well-formed XML`);
  });
});
