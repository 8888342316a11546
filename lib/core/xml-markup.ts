// Markup tokens of the scanner (XML 1.0 §3.1, §2.8): start tags with their
// attributes (name, '=', quoted value, duplicates, count and name-length
// limits) and end tags, both resumable when a chunk ends inside them so
// nothing is rescanned or re-buffered; and the XML declaration. Namespace
// work is left to the tree layer (xml-tree.ts).
import { isNameStart, nameEnd } from './xml-chars.js';
import type { CharData } from './xml-chardata.js';
import { NS_XML } from './xml.js';
import { F_NSDECL, F_PREFIXED, F_RESERVED_DEFAULT, NS_XMLNS } from './xml-tree.js';

/** What a {@link StartTag} reports to the tokenizer. */
export interface TagSink {
  /** Report a stream error; always false. */
  fail(condition: string, text: string): false;
  /** A complete start tag ending just before buf[end]; returns whether scanning continues. */
  tag(name: string, attrs: Record<string, string>, flags: number, self: boolean, end: number): boolean;
  /** The input ended inside the tag: what was parsed is kept; scanning resumes at buf[at]. */
  suspend(at: number): void;
}

/** The limits a {@link StartTag} enforces (read on every tag, so they may change). */
export interface TagLimits {
  readonly maxAttributes: number;
  readonly maxNameLength: number;
}

// Position inside an attribute of a suspended start tag.
const A_NONE = 0; // between attributes
const A_EQ = 1; // after the name, before '='
const A_QUOTE = 2; // after '=', before the opening quote
const A_VALUE = 3; // inside the value

const hasOwn = Object.prototype.hasOwnProperty;

/** Scanner of one start tag at a time, holding the part of a tag cut by a chunk end. */
export class StartTag {
  readonly #limits: TagLimits;
  readonly #chars: CharData;
  readonly #sink: TagSink;
  // The suspended tag: name, attributes so far, their count, F_* flags, whether whitespace preceded.
  #name = '';
  #attrs: Record<string, string> | null = null;
  #count = 0;
  #flags = 0;
  #ws = false;
  /** Where inside an attribute the tag was suspended (A_*), that attribute's name, quote and decoded value so far. */
  #sub = A_NONE;
  #attrName = '';
  #quote = 0;
  #acc = '';

  constructor(limits: TagLimits, chars: CharData, sink: TagSink) {
    this.#limits = limits;
    this.#chars = chars;
    this.#sink = sink;
  }

  /** Forget a suspended tag. */
  clear(): void {
    this.#name = '';
    this.#attrs = null;
    this.#sub = A_NONE;
    this.#acc = '';
  }

  /**
   * Scan from buf[i]: the '<' of a new tag, or (`resume`) where the suspended
   * tag left off. Returns whether the tokenizer may continue with the next token.
   * An incomplete element name is not kept: it is rescanned from '<' with more
   * input (it is at most maxNameLength long).
   */
  scan(buf: string, i: number, resume: boolean): boolean {
    const len = buf.length;
    const sink = this.#sink;
    const limits = this.#limits;
    const chars = this.#chars;
    let name: string;
    let attrs: Record<string, string>;
    let nattrs: number;
    let flags: number;
    let ws: boolean;
    let sub = A_NONE;
    let aname = '';
    let q = 0;
    let acc = '';
    if (resume) {
      name = this.#name;
      attrs = this.#attrs!;
      nattrs = this.#count;
      flags = this.#flags;
      ws = this.#ws;
      sub = this.#sub;
      aname = this.#attrName;
      q = this.#quote;
      acc = this.#acc;
    } else {
      const p = i;
      if (!isNameStart(buf.charCodeAt(p + 1))) return sink.fail('not-well-formed', "invalid element name after '<'");
      i = nameEnd(buf, p + 2, len);
      if (i - p - 1 > limits.maxNameLength) return sink.fail('policy-violation', 'element name too long');
      if (i >= len) return false;
      name = buf.slice(p + 1, i);
      attrs = {};
      nattrs = 0;
      flags = 0;
      ws = false;
    }
    let c = 0;
    for (;;) {
      if (sub === A_NONE) {
        const w = i;
        while (i < len && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
        if (i > w) ws = true;
        if (i >= len) break;
        if (c === 0x3e) return this.#done(name, attrs, flags, false, i + 1, resume);
        if (c === 0x2f) {
          if (i + 1 >= len) break;
          if (buf.charCodeAt(i + 1) !== 0x3e) return sink.fail('not-well-formed', "expected '>' after '/' in a start tag");
          return this.#done(name, attrs, flags, true, i + 2, resume);
        }
        if (!ws) return sink.fail('not-well-formed', 'attributes must be separated by whitespace');
        if (!isNameStart(c)) return sink.fail('not-well-formed', 'invalid attribute name');
        const an = i;
        i = nameEnd(buf, i + 1, len);
        if (i - an > limits.maxNameLength) return sink.fail('policy-violation', 'attribute name too long');
        if (i >= len) {
          i = an; // rescan the (short) name with the next chunk
          break;
        }
        aname = buf.slice(an, i);
        sub = A_EQ;
      }
      if (sub === A_EQ) {
        while (i < len && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
        if (i >= len) break;
        if (c !== 0x3d) return sink.fail('not-well-formed', `expected '=' after attribute name ${aname}`);
        i++;
        sub = A_QUOTE;
      }
      if (sub === A_QUOTE) {
        while (i < len && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
        if (i >= len) break;
        if (c !== 0x22 && c !== 0x27) return sink.fail('not-well-formed', `value of attribute ${aname} must be quoted`);
        q = c;
        i++;
        sub = A_VALUE;
      }
      // A_VALUE
      const ve = buf.indexOf(q === 0x22 ? '"' : "'", i);
      if (ve === -1) {
        // Decode what arrived; hold back what may continue in the next chunk.
        const stop = chars.decodableEnd(buf, i, len, false);
        if (stop > i) {
          const part = chars.attrValue(buf, i, stop);
          if (part === null) return false;
          acc += part;
        }
        i = stop;
        break;
      }
      const part = chars.attrValue(buf, i, ve);
      if (part === null) return false;
      const value = acc === '' ? part : acc + part;
      acc = '';
      if (attrs[aname] !== undefined && hasOwn.call(attrs, aname)) return sink.fail('not-well-formed', `duplicate attribute ${aname}`);
      if (++nattrs > limits.maxAttributes) return sink.fail('policy-violation', 'too many attributes');
      if (aname === '__proto__') {
        Object.defineProperty(attrs, aname, { value, enumerable: true, writable: true, configurable: true });
      } else {
        attrs[aname] = value;
      }
      if (aname.charCodeAt(0) === 0x78 && aname.startsWith('xmlns') && (aname.length === 5 || aname.charCodeAt(5) === 0x3a)) {
        if (aname.length > 5) flags |= F_NSDECL;
        else if (value === NS_XML || value === NS_XMLNS) flags |= F_RESERVED_DEFAULT;
      } else if (aname.indexOf(':') !== -1) {
        flags |= F_PREFIXED;
      }
      sub = A_NONE;
      ws = false;
      i = ve + 1;
    }
    // The chunk ended inside the tag: keep what was parsed.
    this.#name = name;
    this.#attrs = attrs;
    this.#count = nattrs;
    this.#flags = flags;
    this.#ws = ws;
    this.#sub = sub;
    this.#attrName = aname;
    this.#quote = q;
    this.#acc = acc;
    sink.suspend(i);
    return false;
  }

  #done(name: string, attrs: Record<string, string>, flags: number, self: boolean, end: number, resumed: boolean): boolean {
    if (resumed) {
      this.#attrs = null;
      this.#acc = '';
      this.#sub = A_NONE;
    }
    return this.#sink.tag(name, attrs, flags, self, end);
  }
}

/** End tag (XML 1.0 §3.1), matched against the name it must have incrementally, so it can be resumed. */
export class EndTag {
  readonly #fail: (condition: string, text: string) => false;
  #name = '';
  #matched = 0;

  constructor(fail: (condition: string, text: string) => false) {
    this.#fail = fail;
  }

  /** A new end tag that must close `name`. */
  begin(name: string): void {
    this.#name = name;
    this.#matched = 0;
  }

  /** Forget a suspended end tag. */
  clear(): void {
    this.#name = '';
  }

  /**
   * Continue at buf[i] (just after '</', or where the input ran out last
   * time). Returns the index after '>' when the tag is complete, -1 when the
   * input ran out (all of it matched so far), -2 after an error.
   */
  scan(buf: string, i: number): number {
    const len = buf.length;
    const expected = this.#name;
    let k = this.#matched;
    const n = expected.length;
    for (; k < n && i < len; k++, i++) {
      if (buf.charCodeAt(i) !== expected.charCodeAt(k)) return this.#mismatch();
    }
    this.#matched = k;
    if (k < n) return -1;
    for (; i < len; i++) {
      const c = buf.charCodeAt(i);
      if (c === 0x3e) {
        this.#name = '';
        return i + 1;
      }
      if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) return this.#mismatch();
    }
    return -1;
  }

  #mismatch(): number {
    this.#fail('not-well-formed', `mismatched end tag: expected </${this.#name}>`);
    return -2;
  }
}

/**
 * The pseudo-attributes of an XML declaration (XML 1.0 §2.8) in buf[i..end),
 * after '<?xml' and before '?>': the error as [condition, text], or null if fine.
 */
export function xmlDeclError(buf: string, i: number, end: number): [string, string] | null {
  const malformed: [string, string] = ['not-well-formed', 'malformed XML declaration'];
  let version = false;
  for (;;) {
    const ws = i;
    let c = 0;
    while (i < end && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
    if (i >= end) break;
    if (i === ws || !isNameStart(c)) return malformed;
    const ns = i;
    i = nameEnd(buf, i + 1, end);
    const name = buf.slice(ns, i);
    while (i < end && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
    if (i >= end || c !== 0x3d) return malformed;
    i++;
    while (i < end && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
    if (i >= end || (c !== 0x22 && c !== 0x27)) return malformed;
    const ve = buf.indexOf(c === 0x22 ? '"' : "'", i + 1);
    if (ve === -1 || ve >= end) return malformed;
    const value = buf.slice(i + 1, ve);
    i = ve + 1;
    if (name === 'version') {
      if (!value.startsWith('1.')) return ['not-well-formed', `unsupported XML version ${value}`];
      version = true;
    } else if (name === 'encoding') {
      // RFC 6120 §11.6: UTF-8 only
      if (value.toLowerCase() !== 'utf-8') return ['unsupported-encoding', 'only UTF-8 is supported (RFC 6120 §11.6)'];
    } else if (name !== 'standalone') {
      return malformed;
    }
  }
  return version ? null : ['not-well-formed', 'XML declaration without version'];
}
