// The one XML parser of the server: a single-pass, incremental tokenizer and
// tree builder for the restricted XML of RFC 6120 §11, producing ltx Elements.
// Used by StreamParser (TCP streams, RFC 6120 §4) and parseFrame (WebSocket
// frames, RFC 7395 §3.3.3); it never throws and bounds what it buffers.
import { Element, NS_STREAMS, NS_XML, NS_CLIENT } from './xml.js';

/** Callbacks of a {@link Tokenizer}; all are invoked synchronously from `feed()`. */
export interface TokenizerHandler {
  /** Stream mode only: the stream header `<stream:stream ...>` (attributes as written). */
  streamOpen(attrs: Record<string, string>, name: string): void;
  /** A complete top-level element (a stanza, or the frame's single element). */
  element(el: Element): void;
  /** Stream mode only: `</stream:stream>`. */
  streamClose(): void;
  /** A stream error condition (RFC 6120 §4.9.3); reported at most once until `reset()`. */
  error(condition: string, text: string): void;
}

/** Limits and mode of a {@link Tokenizer}. */
export interface TokenizerOptions {
  /** true: one element per input (RFC 7395 §3.3.3); false: an RFC 6120 stream. */
  frame: boolean;
  /** Largest top-level element, and largest unparsed input, in UTF-16 code units. */
  maxStanzaSize: number;
  /** Deepest nesting of elements inside a top-level element (the top-level one is depth 1). */
  maxDepth: number;
  /** Most attributes on one element. */
  maxAttributes: number;
  /** Longest element/attribute name. */
  maxNameLength: number;
}

/** Default {@link TokenizerOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 64;
/** Default {@link TokenizerOptions.maxAttributes}. */
export const DEFAULT_MAX_ATTRIBUTES = 64;
/** Default {@link TokenizerOptions.maxNameLength}. */
export const DEFAULT_MAX_NAME_LENGTH = 1024;

const S_PROLOG = 0; // before the stream header / the frame's element
const S_CONTENT = 1; // inside the stream / the frame's element
const S_DONE = 2; // frame: element complete, only whitespace may follow
const S_CLOSED = 3; // stream: </stream:stream> seen, input ignored
const S_FAILED = 4; // error reported, input ignored until reset()

// Token continued across chunks (Tokenizer.mode).
const M_NONE = 0;
const M_STAG = 1;
const M_ETAG = 2;
const M_CDATA = 3;
// Position inside an attribute of a suspended start tag (Tokenizer.attrSub).
const A_NONE = 0; // between attributes
const A_EQ = 1; // after the name, before '='
const A_QUOTE = 2; // after '=', before the opening quote
const A_VALUE = 3; // inside the value

/** Longest XML declaration accepted (XML 1.0 §2.8); real ones are < 60 chars. */
const MAX_DECL = 512;

/** Longest reference accepted between '&' and ';' (covers &#x0010FFFF; and names). */
const MAX_REF = 32;
const NONE = 0x3fffffff;

// XML 1.0 §2.2 Char: C0 controls other than TAB/LF/CR and U+FFFE/U+FFFF are never allowed.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
// Same, plus unpaired surrogates (in /u mode a surrogate class only matches lone halves).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_CHARS_U = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/u;

// ASCII character classes (XML 1.0 §2.3 NameStartChar / NameChar).
const NAME_START = 1;
const NAME_CHAR = 2;
const CC = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a;
  const other = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
  CC[c] = letter ? NAME_START | NAME_CHAR : other ? NAME_CHAR : 0;
}

// XML 1.0 (5th ed.) §2.3 NameStartChar above ASCII. Surrogates are accepted as
// halves of supplementary characters (#x10000-#xEFFFF); lone ones are rejected earlier.
function isNameStartHi(c: number): boolean {
  return (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) || (c >= 0x37f && c <= 0x1fff) || c === 0x200c || c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) || (c >= 0x3001 && c <= 0xdb7f) ||
    (c >= 0xdc00 && c <= 0xdfff) || (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd);
}

function isNameCharHi(c: number): boolean {
  return isNameStartHi(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

function isNameStart(c: number): boolean {
  return c < 128 ? (CC[c]! & NAME_START) !== 0 : isNameStartHi(c);
}

// XML 1.0 §2.2 Char
function isXmlChar(v: number): boolean {
  return v === 0x9 || v === 0xa || v === 0xd || (v >= 0x20 && v <= 0xd7ff) ||
    (v >= 0xe000 && v <= 0xfffd) || (v >= 0x10000 && v <= 0x10ffff);
}

/** Namespaces in XML §3: a QName has at most one colon, with an NCName on each side. */
function isBadQName(name: string, colon: number): boolean {
  return colon === 0 || colon === name.length - 1 || name.indexOf(':', colon + 1) !== -1 ||
    !isNameStart(name.charCodeAt(colon + 1));
}

const hasOwn = Object.prototype.hasOwnProperty;

/** RFC 7395 §3.3.3: a frame must not be an RFC 6120 stream header (checked before prefix resolution). */
function isStreamOpening(name: string, attrs: Record<string, string>): boolean {
  if (name === 'stream:stream') return true;
  const colon = name.indexOf(':');
  if (name.slice(colon + 1) !== 'stream') return false;
  return (colon === -1 ? attrs.xmlns : attrs['xmlns:' + name.slice(0, colon)]) === NS_STREAMS;
}

const F_NSDECL = 1; // some attribute is xmlns:prefix
const F_PREFIXED = 2; // some attribute name has a prefix
const CDATA_OPEN = '<![CDATA[';

/**
 * Incremental restricted-XML parser (RFC 6120 §11) building ltx Elements.
 * Feed it decoded text with {@link Tokenizer.feed}; complete top-level elements
 * are delivered to the handler as their end tags arrive. Scanning is single
 * pass (indexOf/charCodeAt); incomplete constructs are resumed, not rescanned,
 * so slow-drip input costs linear time; unparsed input is bounded by
 * `maxStanzaSize`. After an error, input is ignored until {@link Tokenizer.reset}.
 */
export class Tokenizer {
  /** Current stanza size limit; may be changed at any time. */
  maxStanzaSize: number;
  /** See {@link TokenizerOptions.maxDepth}. */
  maxDepth: number;
  /** See {@link TokenizerOptions.maxAttributes}. */
  maxAttributes: number;
  /** See {@link TokenizerOptions.maxNameLength}. */
  maxNameLength: number;
  /** Receiver of the events. */
  handler: TokenizerHandler;
  private readonly frame: boolean;

  private buf = '';
  private pos = 0;
  /** Absolute offset (in code units since construction) of buf[0]. */
  private base = 0;
  private state = S_PROLOG;
  /** What the input at `pos` continues: M_NONE (a new token), or a token cut by a chunk end. */
  private mode = M_NONE;
  private seenDecl = false;
  private epoch = 0;
  /** Number of errors reported so far. */
  private fails = 0;
  /** Absolute offset where the current stream began (a BOM is allowed there). */
  private streamStart = 0;
  /** Resume index of an incomplete XML declaration scan, or -1. */
  private resume = -1;
  /** Absolute offset of the '<' of the tag in progress. */
  private tokStart = 0;
  // M_STAG: the start tag in progress, suspended with `pos` just after what it has consumed.
  private tagName = '';
  private tagAttrs: Record<string, string> | null = null;
  private tagCount = 0;
  private tagFlags = 0;
  private tagWs = false;
  /** Where inside an attribute the tag was suspended (A_*), that attribute's name, quote and decoded value so far. */
  private attrSub = A_NONE;
  private attrName = '';
  private attrQuote = 0;
  private attrAcc = '';
  // M_ETAG: the name the end tag must match and how much of it has matched.
  private etagName = '';
  private etagIdx = 0;
  // "next occurrence at or after" caches for the current buf; -1 = stale.
  private nextAmp = -1;
  private nextCr = -1;
  private nextCdEnd = -1;
  /** Index of ';' of the last reference decoded by ref(). */
  private refEnd = 0;

  private stack: Element[] = [];
  private stanzaStart = 0;
  private rootName = '';
  private rootDefault = '';
  // In-scope prefix bindings, innermost last; the first rootCount come from the stream header.
  private nsPrefix: string[] = [];
  private nsUri: string[] = [];
  private nsDepth: number[] = [];
  private rootCount = 0;
  /** Stream-header prefixes referenced by the current top-level element's subtree. */
  private usedRoot: string[] = [];

  constructor(handler: TokenizerHandler, opts: TokenizerOptions) {
    this.handler = handler;
    this.frame = opts.frame;
    this.maxStanzaSize = opts.maxStanzaSize;
    this.maxDepth = opts.maxDepth;
    this.maxAttributes = opts.maxAttributes;
    this.maxNameLength = opts.maxNameLength;
    if (this.frame) this.rootDefault = NS_CLIENT;
  }

  /** True once an error has been reported (until reset()). */
  get failed(): boolean {
    return this.state === S_FAILED;
  }

  /**
   * Parse more input. `checkSurrogates` must be true when the text did not come
   * from validated UTF-8 (it may then contain unpaired surrogates).
   */
  feed(chunk: string, checkSurrogates: boolean): void {
    if (this.state >= S_CLOSED) return;
    let bad = chunk.search(INVALID_CHARS);
    // Lone surrogates: native isWellFormed() first, the slower /u search only to locate one.
    if (checkSurrogates && !(chunk as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      const at = chunk.search(INVALID_CHARS_U);
      if (bad === -1 || at < bad) bad = at;
    }
    this.append(bad === -1 ? chunk : chunk.slice(0, bad));
    const fails = this.fails;
    this.run();
    // Elements before the offending character are still delivered; if the text
    // before it already failed, that input (and the character) is discarded.
    if (bad !== -1 && this.fails === fails) this.error('not-well-formed', 'character not allowed in XML (XML 1.0 §2.2)');
  }

  /** Report an error found outside the tokenizer (e.g. bad UTF-8), unless one was already reported. */
  error(condition: string, text: string): void {
    if (this.state < S_CLOSED) this.fail(condition, text);
  }

  /**
   * Frame mode: end of input. Reports an element that was not closed, an empty
   * frame or trailing markup (RFC 7395 §3.3.3).
   */
  finish(): void {
    if (this.state >= S_CLOSED || !this.frame) return;
    if (this.state === S_DONE) {
      if (this.pos < this.buf.length) this.fail('not-well-formed', 'RFC 7395 §3.3.3: more than one element in a frame');
    } else if (this.state === S_PROLOG && this.pos >= this.buf.length && this.mode === M_NONE) {
      this.fail('not-well-formed', 'RFC 7395 §3.3.3: the frame contains no element');
    } else {
      this.fail('not-well-formed', 'RFC 7395 §3.3.3: unclosed element (a frame must be one complete element)');
    }
  }

  /**
   * Start a new stream (RFC 6120 §4.3.3 restart after STARTTLS/SASL): the next
   * thing expected is a stream header. Input received but not yet consumed
   * (e.g. a pipelined header after `<auth/>`) is kept and parsed as the new stream.
   */
  reset(): void {
    this.state = S_PROLOG;
    this.seenDecl = false;
    this.endToken();
    this.stack.length = 0;
    this.nsPrefix.length = 0;
    this.nsUri.length = 0;
    this.nsDepth.length = 0;
    this.rootCount = 0;
    this.usedRoot.length = 0;
    this.rootName = '';
    this.rootDefault = this.frame ? NS_CLIENT : '';
    this.streamStart = this.base + this.pos;
    this.epoch++;
  }

  /** reset() and also drop all buffered input (used to recycle an instance). */
  clear(): void {
    this.base += this.buf.length;
    this.buf = '';
    this.pos = 0;
    this.nextAmp = this.nextCr = this.nextCdEnd = -1;
    this.reset();
  }

  private append(s: string): void {
    const buf = this.buf;
    const pos = this.pos;
    if (pos >= buf.length) {
      this.base += buf.length;
      this.buf = s;
    } else {
      this.base += pos;
      this.buf = pos === 0 ? buf + s : buf.slice(pos) + s;
      if (this.resume !== -1) this.resume -= pos;
    }
    this.pos = 0;
    this.nextAmp = this.nextCr = this.nextCdEnd = -1;
  }

  private fail(condition: string, text: string): false {
    this.fails++;
    this.state = S_FAILED;
    this.endToken();
    this.buf = '';
    this.pos = 0;
    this.stack.length = 0;
    this.handler.error(condition, text);
    return false;
  }

  /** Forget any token in progress. */
  private endToken(): void {
    this.mode = M_NONE;
    this.resume = -1;
    this.tagName = '';
    this.tagAttrs = null;
    this.attrSub = A_NONE;
    this.attrAcc = '';
    this.etagName = '';
  }

  private tooLarge(): false {
    return this.fail('policy-violation', 'stanza too large');
  }

  private run(): void {
    for (;;) {
      if (this.state >= S_CLOSED) return;
      const buf = this.buf;
      const pos = this.pos;
      const len = buf.length;
      if (pos >= len) break;
      let ok: boolean;
      const mode = this.mode;
      if (mode !== M_NONE) {
        ok = mode === M_STAG ? this.startTag() : mode === M_ETAG ? this.endTag() : this.cdata();
      } else if (buf.charCodeAt(pos) !== 0x3c) {
        ok = this.text();
      } else if (this.state === S_DONE) {
        ok = this.fail('not-well-formed', 'RFC 7395 §3.3.3: more than one element in a frame');
      } else if (pos + 1 >= len) {
        ok = false;
      } else {
        const c = buf.charCodeAt(pos + 1);
        ok = c === 0x2f ? this.endTag() : c === 0x21 ? this.bang() : c === 0x3f ? this.pi() : this.startTag();
      }
      if (!ok) break;
    }
    if (this.state >= S_CLOSED) return;
    // Bound unparsed input: a partial top-level element counts from its '<'.
    const from = this.stack.length > 0 ? this.stanzaStart
      : this.mode === M_STAG || this.mode === M_ETAG ? this.tokStart : this.base + this.pos;
    if (this.base + this.buf.length - from > this.maxStanzaSize) this.tooLarge();
  }

  // ---- character data ------------------------------------------------------

  private text(): boolean {
    const buf = this.buf;
    const start = this.pos;
    const len = buf.length;
    const lt = buf.indexOf('<', start);
    const end = lt === -1 ? len : lt;
    if (this.stack.length === 0) {
      // Between top-level elements only whitespace (keepalives, RFC 6120 §4.6.1).
      for (let i = start; i < end; i++) {
        const c = buf.charCodeAt(i);
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (c === 0xfeff && this.base + i === this.streamStart && this.state === S_PROLOG) continue; // BOM
        return this.fail('not-well-formed', this.frame
          ? 'RFC 7395 §3.3.3: text outside the element'
          : 'text is not allowed at the stream level');
      }
      this.pos = end;
      return true;
    }
    let stop = end;
    if (lt === -1) {
      // Hold back what may continue in the next chunk: an unterminated
      // reference, and up to two ']' / CR (for ']]>' detection and CRLF).
      const lim = end - MAX_REF > start ? end - MAX_REF : start;
      for (let i = end - 1; i >= lim; i--) {
        const c = buf.charCodeAt(i);
        if (c === 0x3b) break;
        if (c === 0x26) { stop = i; break; }
      }
      if (stop === end) {
        for (let k = 0; k < 2 && stop > start; k++) {
          const c = buf.charCodeAt(stop - 1);
          if (c !== 0x5d && c !== 0x0d) break;
          stop--;
        }
      }
      if (stop === start) return false;
    }
    const s = this.decodeText(start, stop);
    if (s === null) return false;
    this.pos = stop;
    this.appendText(s);
    if (this.base + stop - this.stanzaStart > this.maxStanzaSize) return this.tooLarge();
    return stop === end;
  }

  private appendText(s: string): void {
    const ch = this.stack[this.stack.length - 1]!.children;
    const n = ch.length;
    const last = n > 0 ? ch[n - 1] : undefined;
    if (typeof last === 'string') ch[n - 1] = last + s;
    else ch.push(s);
  }

  private decodeText(start: number, stop: number): string | null {
    const buf = this.buf;
    let cd = this.nextCdEnd;
    if (cd < start) {
      cd = buf.indexOf(']]>', start);
      this.nextCdEnd = cd = cd === -1 ? NONE : cd;
    }
    // XML 1.0 §2.4: ']]>' must not appear in character data.
    if (cd + 3 <= stop) {
      this.fail('not-well-formed', "']]>' is not allowed in character data");
      return null;
    }
    let amp = this.nextAmp;
    if (amp < start) {
      amp = buf.indexOf('&', start);
      this.nextAmp = amp = amp === -1 ? NONE : amp;
    }
    let cr = this.nextCr;
    if (cr < start) {
      cr = buf.indexOf('\r', start);
      this.nextCr = cr = cr === -1 ? NONE : cr;
    }
    const first = amp < cr ? amp : cr;
    if (first >= stop) return buf.slice(start, stop);
    let out = '';
    let last = start;
    for (let i = first; i < stop; i++) {
      const c = buf.charCodeAt(i);
      if (c === 0x26) {
        const r = this.ref(buf, i, stop);
        if (r === null) return null;
        out += buf.slice(last, i) + r;
        i = this.refEnd;
        last = i + 1;
      } else if (c === 0x0d) {
        // XML 1.0 §2.11 end-of-line handling
        out += buf.slice(last, i) + '\n';
        if (i + 1 < stop && buf.charCodeAt(i + 1) === 0x0a) i++;
        last = i + 1;
      }
    }
    return out + buf.slice(last, stop);
  }

  /** CDATA content: only end-of-line normalisation. */
  private normalizeCr(start: number, stop: number): string {
    const buf = this.buf;
    let cr = this.nextCr;
    if (cr < start) {
      cr = buf.indexOf('\r', start);
      this.nextCr = cr = cr === -1 ? NONE : cr;
    }
    if (cr >= stop) return buf.slice(start, stop);
    let out = '';
    let last = start;
    for (let i = cr; i < stop; i++) {
      if (buf.charCodeAt(i) !== 0x0d) continue;
      out += buf.slice(last, i) + '\n';
      if (i + 1 < stop && buf.charCodeAt(i + 1) === 0x0a) i++;
      last = i + 1;
    }
    return out + buf.slice(last, stop);
  }

  /**
   * Decode the reference starting at buf[a] === '&' (ending before `stop`).
   * RFC 6120 §11.1: only the five predefined entities and character references.
   */
  private ref(buf: string, a: number, stop: number): string | null {
    const lim = a + MAX_REF + 1 < stop ? a + MAX_REF + 1 : stop;
    let semi = -1;
    for (let i = a + 1; i < lim; i++) {
      if (buf.charCodeAt(i) === 0x3b) { semi = i; break; }
    }
    if (semi === -1) {
      this.fail('not-well-formed', "'&' must start a reference ending in ';' (escape it as &amp;)");
      return null;
    }
    this.refEnd = semi;
    const c1 = buf.charCodeAt(a + 1);
    if (c1 === 0x23) {
      // XML 1.0 §4.1 CharRef
      let i = a + 2;
      const hex = buf.charCodeAt(i) === 0x78;
      if (hex) i++;
      let v = 0;
      if (i === semi) v = -1;
      for (; i < semi && v >= 0; i++) {
        const c = buf.charCodeAt(i);
        let d: number;
        if (c >= 0x30 && c <= 0x39) d = c - 0x30;
        else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x57;
        else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x37;
        else { v = -1; break; }
        v = v * (hex ? 16 : 10) + d;
        if (v > 0x10ffff) v = 0x110000;
      }
      if (v < 0) {
        this.fail('not-well-formed', 'malformed character reference');
        return null;
      }
      if (!isXmlChar(v)) {
        this.fail('not-well-formed', `character reference ${buf.slice(a, semi + 1)} is not an XML character (XML 1.0 §2.2)`);
        return null;
      }
      return String.fromCodePoint(v);
    }
    const n = semi - a - 1;
    if (n === 2) {
      const c2 = buf.charCodeAt(a + 2);
      if (c2 === 0x74 && c1 === 0x6c) return '<';
      if (c2 === 0x74 && c1 === 0x67) return '>';
    } else if (n === 3) {
      if (buf.startsWith('amp', a + 1)) return '&';
    } else if (n === 4) {
      if (buf.startsWith('quot', a + 1)) return '"';
      if (buf.startsWith('apos', a + 1)) return "'";
    }
    if (n > 0 && isNameStart(c1) && this.nameEnd(buf, a + 2, semi) === semi) {
      this.fail('restricted-xml', `entity reference ${buf.slice(a, semi + 1)} is not allowed (RFC 6120 §11.1)`);
    } else {
      this.fail('not-well-formed', "'&' must start a reference ending in ';' (escape it as &amp;)");
    }
    return null;
  }

  private cdata(): boolean {
    const buf = this.buf;
    const p = this.pos;
    const len = buf.length;
    let cd = this.nextCdEnd;
    if (cd < p) {
      cd = buf.indexOf(']]>', p);
      this.nextCdEnd = cd = cd === -1 ? NONE : cd;
    }
    const done = cd < len;
    let stop = done ? cd : len - 2;
    if (!done && stop > p && buf.charCodeAt(stop - 1) === 0x0d) stop--;
    if (stop > p) {
      this.appendText(this.normalizeCr(p, stop));
      this.pos = stop;
    }
    if (done) {
      this.pos = cd + 3;
      this.mode = M_NONE;
    }
    if (this.base + this.pos - this.stanzaStart > this.maxStanzaSize) return this.tooLarge();
    return done;
  }

  // ---- markup --------------------------------------------------------------

  /** End of the name starting before i: first index >= i that is not a NameChar. */
  private nameEnd(buf: string, i: number, len: number): number {
    for (; i < len; i++) {
      const c = buf.charCodeAt(i);
      if (c < 128) {
        if ((CC[c]! & NAME_CHAR) === 0) return i;
      } else if (!isNameCharHi(c)) {
        return i;
      }
    }
    return i;
  }

  private incomplete(resume: number): false {
    this.resume = resume;
    return false;
  }

  /**
   * Start tag (XML 1.0 §3.1), resumable: when the chunk ends inside it, what
   * was parsed is kept (name, complete attributes, the decoded part of a value)
   * and `pos` moves past it, so nothing is rescanned or re-buffered.
   */
  private startTag(): boolean {
    const buf = this.buf;
    const len = buf.length;
    let i = this.pos;
    let name: string;
    let attrs: Record<string, string>;
    let nattrs: number;
    let flags: number;
    let ws: boolean;
    let sub = A_NONE;
    let aname = '';
    let q = 0;
    let acc = '';
    if (this.mode === M_STAG) {
      name = this.tagName;
      attrs = this.tagAttrs!;
      nattrs = this.tagCount;
      flags = this.tagFlags;
      ws = this.tagWs;
      sub = this.attrSub;
      aname = this.attrName;
      q = this.attrQuote;
      acc = this.attrAcc;
    } else {
      // buf[i] === '<'; an incomplete name is rescanned (it is at most maxNameLength long).
      const p = i;
      if (!isNameStart(buf.charCodeAt(p + 1))) return this.fail('not-well-formed', "invalid element name after '<'");
      i = this.nameEnd(buf, p + 2, len);
      if (i - p - 1 > this.maxNameLength) return this.fail('policy-violation', 'element name too long');
      if (i >= len) return false;
      name = buf.slice(p + 1, i);
      attrs = {};
      nattrs = 0;
      flags = 0;
      ws = false;
      this.tokStart = this.base + p;
    }
    let c = 0;
    for (;;) {
      if (sub === A_NONE) {
        const w = i;
        while (i < len && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
        if (i > w) ws = true;
        if (i >= len) break;
        if (c === 0x3e) return this.tagDone(name, attrs, flags, false, i + 1);
        if (c === 0x2f) {
          if (i + 1 >= len) break;
          if (buf.charCodeAt(i + 1) !== 0x3e) return this.fail('not-well-formed', "expected '>' after '/' in a start tag");
          return this.tagDone(name, attrs, flags, true, i + 2);
        }
        if (!ws) return this.fail('not-well-formed', 'attributes must be separated by whitespace');
        if (!isNameStart(c)) return this.fail('not-well-formed', 'invalid attribute name');
        const an = i;
        i = this.nameEnd(buf, i + 1, len);
        if (i - an > this.maxNameLength) return this.fail('policy-violation', 'attribute name too long');
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
        if (c !== 0x3d) return this.fail('not-well-formed', `expected '=' after attribute name ${aname}`);
        i++;
        sub = A_QUOTE;
      }
      if (sub === A_QUOTE) {
        while (i < len && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
        if (i >= len) break;
        if (c !== 0x22 && c !== 0x27) return this.fail('not-well-formed', `value of attribute ${aname} must be quoted`);
        q = c;
        i++;
        sub = A_VALUE;
      }
      // A_VALUE
      const ve = buf.indexOf(q === 0x22 ? '"' : "'", i);
      if (ve === -1) {
        // Decode what arrived; hold back an unterminated reference or a CR.
        let stop = len;
        const lim = len - MAX_REF > i ? len - MAX_REF : i;
        for (let k = len - 1; k >= lim; k--) {
          const ck = buf.charCodeAt(k);
          if (ck === 0x3b) break;
          if (ck === 0x26) { stop = k; break; }
        }
        if (stop === len && stop > i && buf.charCodeAt(stop - 1) === 0x0d) stop--;
        if (stop > i) {
          const part = this.attrValue(i, stop);
          if (part === null) return false;
          acc += part;
        }
        i = stop;
        break;
      }
      const part = this.attrValue(i, ve);
      if (part === null) return false;
      const value = acc === '' ? part : acc + part;
      acc = '';
      if (attrs[aname] !== undefined && hasOwn.call(attrs, aname)) return this.fail('not-well-formed', `duplicate attribute ${aname}`);
      if (++nattrs > this.maxAttributes) return this.fail('policy-violation', 'too many attributes');
      if (aname === '__proto__') {
        Object.defineProperty(attrs, aname, { value, enumerable: true, writable: true, configurable: true });
      } else {
        attrs[aname] = value;
      }
      if (aname.charCodeAt(0) === 0x78 && aname.startsWith('xmlns') && (aname.length === 5 || aname.charCodeAt(5) === 0x3a)) {
        if (aname.length > 5) flags |= F_NSDECL;
      } else if (aname.indexOf(':') !== -1) {
        flags |= F_PREFIXED;
      }
      sub = A_NONE;
      ws = false;
      i = ve + 1;
    }
    // The chunk ended inside the tag: keep what was parsed.
    this.mode = M_STAG;
    this.tagName = name;
    this.tagAttrs = attrs;
    this.tagCount = nattrs;
    this.tagFlags = flags;
    this.tagWs = ws;
    this.attrSub = sub;
    this.attrName = aname;
    this.attrQuote = q;
    this.attrAcc = acc;
    this.pos = i;
    return false;
  }

  private tagDone(name: string, attrs: Record<string, string>, flags: number, self: boolean, end: number): boolean {
    if (this.mode === M_STAG) {
      this.mode = M_NONE;
      this.tagAttrs = null;
      this.attrAcc = '';
      this.attrSub = A_NONE;
    }
    this.pos = end;
    return this.open(name, attrs, flags, self);
  }

  /** Attribute value buf[vs..ve): references, no '<', whitespace normalised (XML 1.0 §3.3.3). */
  private attrValue(vs: number, ve: number): string | null {
    const buf = this.buf;
    let i = vs;
    for (; i < ve; i++) {
      const c = buf.charCodeAt(i);
      if (c < 0x3d && (c === 0x3c || c === 0x26 || c < 0x20)) break;
    }
    if (i === ve) return buf.slice(vs, ve);
    let out = '';
    let last = vs;
    for (; i < ve; i++) {
      const c = buf.charCodeAt(i);
      if (c >= 0x3d) continue;
      if (c === 0x3c) {
        this.fail('not-well-formed', "'<' is not allowed in attribute values");
        return null;
      }
      if (c === 0x26) {
        const r = this.ref(buf, i, ve);
        if (r === null) return null;
        out += buf.slice(last, i) + r;
        i = this.refEnd;
        last = i + 1;
      } else if (c < 0x20) {
        out += buf.slice(last, i) + ' ';
        if (c === 0x0d && i + 1 < ve && buf.charCodeAt(i + 1) === 0x0a) i++;
        last = i + 1;
      }
    }
    return out + buf.slice(last, ve);
  }

  /** End tag (XML 1.0 §3.1): matched against the open element incrementally, so it can be resumed. */
  private endTag(): boolean {
    const buf = this.buf;
    const len = buf.length;
    let i = this.pos;
    if (this.mode !== M_ETAG) {
      const depth = this.stack.length;
      let expected: string;
      if (depth > 0) expected = this.stack[depth - 1]!.name;
      else if (this.state === S_CONTENT && !this.frame) expected = this.rootName;
      else return this.fail('not-well-formed', 'end tag without a matching start tag');
      this.tokStart = this.base + i;
      this.mode = M_ETAG;
      this.etagName = expected;
      this.etagIdx = 0;
      i += 2;
    }
    const expected = this.etagName;
    let k = this.etagIdx;
    const n = expected.length;
    for (; k < n && i < len; k++, i++) {
      if (buf.charCodeAt(i) !== expected.charCodeAt(k)) return this.fail('not-well-formed', `mismatched end tag: expected </${expected}>`);
    }
    this.etagIdx = k;
    if (k === n) {
      for (; i < len; i++) {
        const c = buf.charCodeAt(i);
        if (c === 0x3e) {
          this.pos = i + 1;
          this.mode = M_NONE;
          this.etagName = '';
          return this.closeTag();
        }
        if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) {
          return this.fail('not-well-formed', `mismatched end tag: expected </${expected}>`);
        }
      }
    }
    this.pos = i;
    return false;
  }

  private closeTag(): boolean {
    const depth = this.stack.length;
    if (depth === 0) {
      // RFC 6120 §4.4: closing the stream
      this.state = S_CLOSED;
      this.handler.streamClose();
      return true;
    }
    const el = this.stack.pop()!;
    return this.close(el, depth);
  }

  private bang(): boolean {
    const buf = this.buf;
    const len = buf.length;
    const p = this.pos;
    if (p + 2 >= len) return false;
    const c = buf.charCodeAt(p + 2);
    if (c === 0x2d) return this.fail('restricted-xml', 'comments are not allowed (RFC 6120 §11.1)');
    if (c === 0x5b) {
      const n = len - p < 9 ? len - p : 9;
      for (let k = 3; k < n; k++) {
        if (buf.charCodeAt(p + k) !== CDATA_OPEN.charCodeAt(k)) return this.fail('not-well-formed', "invalid markup after '<!['");
      }
      if (n < 9) return false;
      if (this.stack.length === 0) return this.fail('not-well-formed', 'CDATA section outside an element');
      this.pos = p + 9;
      this.mode = M_CDATA;
      return true;
    }
    if (c >= 0x41 && c <= 0x5a) {
      return this.fail('restricted-xml', 'DTDs and markup declarations are not allowed (RFC 6120 §11.1)');
    }
    return this.fail('not-well-formed', "invalid markup after '<!'");
  }

  private pi(): boolean {
    const buf = this.buf;
    const len = buf.length;
    const p = this.pos;
    const ts = p + 2;
    if (ts >= len) return false;
    if (!isNameStart(buf.charCodeAt(ts))) return this.fail('not-well-formed', 'invalid processing instruction');
    const te = this.nameEnd(buf, ts + 1, len);
    if (te - ts > this.maxNameLength) return this.fail('restricted-xml', 'processing instructions are not allowed (RFC 6120 §11.1)');
    if (te >= len) return false;
    const isXml = te - ts === 3 && buf.startsWith('xml', ts);
    if (!isXml) return this.fail('restricted-xml', 'processing instructions are not allowed (RFC 6120 §11.1)');
    if (this.state !== S_PROLOG || this.seenDecl) {
      return this.fail('restricted-xml', 'an XML declaration is only allowed before the stream header (RFC 6120 §11.1)');
    }
    const end = buf.indexOf('?>', this.resume !== -1 ? this.resume : te);
    if (end === -1) {
      if (len - p > MAX_DECL) return this.fail('not-well-formed', 'XML declaration too long');
      return this.incomplete(len - 1 > te ? len - 1 : te);
    }
    this.resume = -1;
    if (!this.xmlDecl(te, end)) return false;
    this.seenDecl = true;
    this.pos = end + 2;
    return true;
  }

  /** XML 1.0 §2.8 XMLDecl pseudo-attributes in buf[i..end). */
  private xmlDecl(i: number, end: number): boolean {
    const buf = this.buf;
    let version = false;
    for (;;) {
      const ws = i;
      let c = 0;
      while (i < end && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
      if (i >= end) break;
      if (i === ws || !isNameStart(c)) return this.fail('not-well-formed', 'malformed XML declaration');
      const ns = i;
      i = this.nameEnd(buf, i + 1, end);
      const name = buf.slice(ns, i);
      while (i < end && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
      if (i >= end || c !== 0x3d) return this.fail('not-well-formed', 'malformed XML declaration');
      i++;
      while (i < end && ((c = buf.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d)) i++;
      if (i >= end || (c !== 0x22 && c !== 0x27)) return this.fail('not-well-formed', 'malformed XML declaration');
      const ve = buf.indexOf(c === 0x22 ? '"' : "'", i + 1);
      if (ve === -1 || ve >= end) return this.fail('not-well-formed', 'malformed XML declaration');
      const value = buf.slice(i + 1, ve);
      i = ve + 1;
      if (name === 'version') {
        if (!value.startsWith('1.')) return this.fail('not-well-formed', `unsupported XML version ${value}`);
        version = true;
      } else if (name === 'encoding') {
        // RFC 6120 §11.6: UTF-8 only
        if (value.toLowerCase() !== 'utf-8') return this.fail('unsupported-encoding', 'only UTF-8 is supported (RFC 6120 §11.6)');
      } else if (name !== 'standalone') {
        return this.fail('not-well-formed', 'malformed XML declaration');
      }
    }
    if (!version) return this.fail('not-well-formed', 'XML declaration without version');
    return true;
  }

  // ---- tree building -------------------------------------------------------

  private lookup(prefix: string): string | undefined {
    if (prefix === 'xml') return NS_XML;
    const P = this.nsPrefix;
    for (let k = P.length - 1; k >= 0; k--) {
      if (P[k] === prefix) {
        if (k < this.rootCount && !this.usedRoot.includes(prefix)) this.usedRoot.push(prefix);
        return this.nsUri[k];
      }
    }
    return undefined;
  }

  /** Namespaces in XML: record declarations of an element at `depth`, resolve its prefixes. */
  private namespaces(name: string, attrs: Record<string, string>, flags: number, depth: number): boolean {
    if ((flags & F_NSDECL) !== 0) {
      for (const k in attrs) {
        if (k.length <= 6 || !k.startsWith('xmlns:')) continue;
        const prefix = k.slice(6);
        const uri = attrs[k]!;
        if (prefix.indexOf(':') !== -1 || uri === '' || prefix === 'xmlns' || (prefix === 'xml') !== (uri === NS_XML)) {
          return this.fail('not-well-formed', `invalid namespace declaration ${k} (Namespaces in XML §3)`);
        }
        if (prefix === 'xml') continue;
        this.nsPrefix.push(prefix);
        this.nsUri.push(uri);
        this.nsDepth.push(depth);
      }
    }
    const colon = name.indexOf(':');
    if (colon !== -1) {
      if (isBadQName(name, colon)) return this.fail('not-well-formed', `invalid qualified name ${name}`);
      const prefix = name.slice(0, colon);
      if (prefix === 'xmlns' || this.lookup(prefix) === undefined) {
        return this.fail('bad-namespace-prefix', `undeclared namespace prefix '${prefix}' (RFC 6120 §4.9.3.2)`);
      }
    }
    if ((flags & F_PREFIXED) !== 0) {
      for (const k in attrs) {
        const ac = k.indexOf(':');
        if (ac === -1 || k.startsWith('xmlns:')) continue;
        if (isBadQName(k, ac)) return this.fail('not-well-formed', `invalid qualified name ${k}`);
        const prefix = k.slice(0, ac);
        if (this.lookup(prefix) === undefined) {
          return this.fail('bad-namespace-prefix', `undeclared namespace prefix '${prefix}' (RFC 6120 §4.9.3.2)`);
        }
      }
    }
    return true;
  }

  private open(name: string, attrs: Record<string, string>, flags: number, self: boolean): boolean {
    if (this.state === S_PROLOG) {
      if (!this.frame) return this.openStream(name, attrs, flags, self);
      if (isStreamOpening(name, attrs)) {
        return this.fail('not-well-formed', 'RFC 7395 §3.3.3: <stream:stream> is not used over WebSocket; open with <open xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
      }
      this.state = S_CONTENT;
    }
    const depth = this.stack.length + 1;
    if (depth > this.maxDepth) return this.fail('policy-violation', 'maximum element depth exceeded');
    if (depth === 1) {
      this.stanzaStart = this.tokStart;
      this.usedRoot.length = 0;
    }
    if ((flags !== 0 || name.indexOf(':') !== -1) && !this.namespaces(name, attrs, flags, depth)) return false;
    const el = new Element(name);
    el.attrs = attrs;
    if (depth === 1) {
      // The top-level element must serialise standalone: explicit default namespace.
      if (!hasOwn.call(attrs, 'xmlns') && this.rootDefault !== '') attrs.xmlns = this.rootDefault;
    } else {
      const parent = this.stack[depth - 2]!;
      el.parent = parent;
      parent.children.push(el);
    }
    if (this.base + this.pos - this.stanzaStart > this.maxStanzaSize) return this.tooLarge();
    if (self) return this.close(el, depth);
    this.stack.push(el);
    return true;
  }

  private close(el: Element, depth: number): boolean {
    const D = this.nsDepth;
    let n = D.length;
    if (n > this.rootCount) {
      while (n > this.rootCount && D[n - 1]! >= depth) n--;
      D.length = n;
      this.nsPrefix.length = n;
      this.nsUri.length = n;
    }
    if (depth > 1) return true;
    if (this.base + this.pos - this.stanzaStart > this.maxStanzaSize) return this.tooLarge();
    const used = this.usedRoot;
    for (let k = 0; k < used.length; k++) {
      const prefix = used[k]!;
      const key = 'xmlns:' + prefix;
      if (!hasOwn.call(el.attrs, key)) {
        const at = this.nsPrefix.lastIndexOf(prefix, this.rootCount - 1);
        (el.attrs as Record<string, string>)[key] = this.nsUri[at]!;
      }
    }
    if (this.frame) this.state = S_DONE;
    this.handler.element(el);
    return true;
  }

  private openStream(name: string, attrs: Record<string, string>, flags: number, self: boolean): boolean {
    if (!this.namespaces(name, attrs, flags, 0)) return false;
    this.rootCount = this.nsPrefix.length;
    const colon = name.indexOf(':');
    const local = colon === -1 ? name : name.slice(colon + 1);
    const ns = colon === -1 ? attrs.xmlns : this.lookup(name.slice(0, colon));
    // RFC 6120 §4.9.3.10 invalid-namespace
    if (local !== 'stream' || ns !== NS_STREAMS) {
      return this.fail('invalid-namespace', `the stream element must be <stream> in ${NS_STREAMS} (RFC 6120 §4.9.3.10)`);
    }
    const content = attrs.xmlns;
    if (content === undefined || content === '' || content === NS_STREAMS) {
      return this.fail('invalid-namespace', 'the stream header must declare a content namespace (RFC 6120 §4.8.2)');
    }
    this.rootName = name;
    this.rootDefault = content;
    this.state = S_CONTENT;
    const epoch = this.epoch;
    this.handler.streamOpen(attrs, name);
    if (self && this.epoch === epoch && this.state === S_CONTENT) {
      this.state = S_CLOSED;
      this.handler.streamClose();
    }
    return true;
  }
}

/** Build the options of a {@link Tokenizer} from partial limits, applying defaults. */
export function tokenizerOptions(
  frame: boolean,
  limits: { maxStanzaSize?: number; maxDepth?: number; maxAttributes?: number; maxNameLength?: number } | undefined,
): TokenizerOptions {
  return {
    frame,
    maxStanzaSize: limits?.maxStanzaSize ?? Infinity,
    maxDepth: limits?.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxAttributes: limits?.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES,
    maxNameLength: limits?.maxNameLength ?? DEFAULT_MAX_NAME_LENGTH,
  };
}
