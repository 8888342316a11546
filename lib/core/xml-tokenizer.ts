// The one XML parser of the server: a single-pass, incremental tokenizer and
// tree builder for the restricted XML of RFC 6120 §11, producing ltx Elements.
// Used by StreamParser (TCP streams, RFC 6120 §4) and parseFrame (WebSocket
// frames, RFC 7395 §3.3.3); it never throws and bounds what it buffers.
// This module is the scanner's core: the input buffer, token dispatch, text
// and CDATA, refused markup (RFC 6120 §11.1) and the size limits. Tags are
// scanned in xml-markup.ts, references decoded in xml-chardata.ts, character
// classes are in xml-chars.ts, namespaces and elements in xml-tree.ts.
import { INVALID_CHARS, INVALID_CHARS_U, isNameStart, nameEnd } from './xml-chars.js';
import { CharData } from './xml-chardata.js';
import { StartTag, EndTag, xmlDeclError } from './xml-markup.js';
import { TreeBuilder, TOO_LARGE, S_PROLOG, S_DONE, S_CLOSED, S_FAILED } from './xml-tree.js';
import type { TokenizerHandler } from './xml-tree.js';

export type { TokenizerHandler };

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

// Token continued across chunks (Tokenizer #mode).
const M_NONE = 0;
const M_STAG = 1;
const M_ETAG = 2;
const M_CDATA = 3;

/** Longest XML declaration accepted (XML 1.0 §2.8); real ones are < 60 chars. */
const MAX_DECL = 512;
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
  readonly #frame: boolean;
  readonly #tree: TreeBuilder;
  readonly #chars: CharData;
  readonly #stag: StartTag;
  readonly #etag: EndTag;

  #buf = '';
  #pos = 0;
  /** Absolute offset (in code units since construction) of buf[0]. */
  #base = 0;
  /** What the input at `pos` continues: M_NONE (a new token), or a token cut by a chunk end. */
  #mode = M_NONE;
  #seenDecl = false;
  /** Number of errors reported so far. */
  #fails = 0;
  /** pause(): input is kept, not parsed, until resume(). */
  #paused = false;
  /** An invalid character arrived while paused (reported after what precedes it). */
  #badWhilePaused = false;
  /** Absolute offset where the current stream began (a BOM is allowed there). */
  #streamStart = 0;
  /** Resume index of an incomplete XML declaration scan, or -1. */
  #resume = -1;
  /** Absolute offset of the '<' of the tag in progress. */
  #tokStart = 0;
  /** Absolute offset of the '<' of the current top-level element. */
  #stanzaStart = 0;

  constructor(handler: TokenizerHandler, opts: TokenizerOptions) {
    this.#frame = opts.frame;
    this.maxStanzaSize = opts.maxStanzaSize;
    this.maxDepth = opts.maxDepth;
    this.maxAttributes = opts.maxAttributes;
    this.maxNameLength = opts.maxNameLength;
    const fail = (condition: string, text: string): false => this.#fail(condition, text);
    this.#chars = new CharData(fail);
    this.#etag = new EndTag(fail);
    this.#tree = new TreeBuilder(handler, opts.frame, this, fail);
    this.#stag = new StartTag(this, this.#chars, {
      fail,
      tag: (name, attrs, flags, self, end) => {
        this.#mode = M_NONE;
        this.#pos = end;
        const tree = this.#tree;
        let start = this.#stanzaStart;
        if (tree.depth === 0) this.#stanzaStart = start = this.#tokStart;
        return tree.open(name, attrs, flags, self, this.#base + end - start);
      },
      suspend: (at) => {
        this.#mode = M_STAG;
        this.#pos = at;
      },
    });
  }

  /** True once an error has been reported (until reset()). */
  get failed(): boolean {
    return this.#tree.state === S_FAILED;
  }

  /**
   * Parse more input. `checkSurrogates` must be true when the text did not come
   * from validated UTF-8 (it may then contain unpaired surrogates).
   */
  feed(chunk: string, checkSurrogates: boolean): void {
    if (this.#tree.state >= S_CLOSED) return;
    let bad = chunk.search(INVALID_CHARS);
    // Lone surrogates: native isWellFormed() first, the slower /u search only to locate one.
    if (checkSurrogates && !(chunk as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      const at = chunk.search(INVALID_CHARS_U);
      if (bad === -1 || at < bad) bad = at;
    }
    this.#append(bad === -1 ? chunk : chunk.slice(0, bad));
    if (this.#paused) {
      if (bad !== -1) this.#badWhilePaused = true;
      return;
    }
    const fails = this.#fails;
    this.#run();
    // Elements before the offending character are still delivered; if the text
    // before it already failed, that input (and the character) is discarded.
    if (bad !== -1 && this.#fails === fails) this.error('not-well-formed', 'character not allowed in XML (XML 1.0 §2.2)');
  }

  /**
   * Stop parsing after the current token (callable from a handler): input keeps arriving
   * and is buffered, not parsed, until resume(). A stream restart decided meanwhile (reset())
   * then applies to the input that followed the element, as RFC 6120 §4.3.3 wants.
   */
  pause(): void {
    this.#paused = true;
  }

  /** Parse what arrived while paused. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const fails = this.#fails;
    this.#run();
    if (this.#badWhilePaused && !this.#paused) {
      this.#badWhilePaused = false;
      if (this.#fails === fails) this.error('not-well-formed', 'character not allowed in XML (XML 1.0 §2.2)');
    }
  }

  /** Report an error found outside the tokenizer (e.g. bad UTF-8), unless one was already reported. */
  error(condition: string, text: string): void {
    if (this.#tree.state < S_CLOSED) this.#fail(condition, text);
  }

  /**
   * Frame mode: end of input. Reports an element that was not closed, an empty
   * frame or trailing markup (RFC 7395 §3.3.3).
   */
  finish(): void {
    const state = this.#tree.state;
    if (state >= S_CLOSED || !this.#frame) return;
    if (state === S_DONE) {
      if (this.#pos < this.#buf.length) this.#fail('not-well-formed', 'RFC 7395 §3.3.3: more than one element in a frame');
    } else if (state === S_PROLOG && this.#pos >= this.#buf.length && this.#mode === M_NONE) {
      this.#fail('not-well-formed', 'RFC 7395 §3.3.3: the frame contains no element');
    } else {
      this.#fail('not-well-formed', 'RFC 7395 §3.3.3: unclosed element (a frame must be one complete element)');
    }
  }

  /**
   * Start a new stream (RFC 6120 §4.3.3 restart after STARTTLS/SASL): the next
   * thing expected is a stream header. Input received but not yet consumed
   * (e.g. a pipelined header after `<auth/>`) is kept and parsed as the new stream.
   */
  reset(): void {
    this.#seenDecl = false;
    this.#endToken();
    this.#tree.reset();
    this.#streamStart = this.#base + this.#pos;
  }

  /** reset() and also drop all buffered input (used to recycle an instance). */
  clear(): void {
    this.#paused = false;
    this.#badWhilePaused = false;
    this.#base += this.#buf.length;
    this.#buf = '';
    this.#pos = 0;
    this.#chars.invalidate();
    this.reset();
  }

  #append(s: string): void {
    const buf = this.#buf;
    const pos = this.#pos;
    if (pos >= buf.length) {
      this.#base += buf.length;
      this.#buf = s;
    } else {
      this.#base += pos;
      this.#buf = pos === 0 ? buf + s : buf.slice(pos) + s;
      if (this.#resume !== -1) this.#resume -= pos;
    }
    this.#pos = 0;
    this.#chars.invalidate();
  }

  #fail(condition: string, text: string): false {
    this.#fails++;
    this.#endToken();
    this.#buf = '';
    this.#pos = 0;
    this.#tree.abort(condition, text);
    return false;
  }

  /** Forget any token in progress. */
  #endToken(): void {
    this.#mode = M_NONE;
    this.#resume = -1;
    this.#stag.clear();
    this.#etag.clear();
  }

  /** Whether the top-level element, up to the scan position, is within maxStanzaSize; reports it if not. */
  #fits(): boolean {
    return this.#base + this.#pos - this.#stanzaStart <= this.maxStanzaSize || this.#fail('policy-violation', TOO_LARGE);
  }

  #run(): void {
    const tree = this.#tree;
    for (;;) {
      if (tree.state >= S_CLOSED) return;
      if (this.#paused) break;
      const buf = this.#buf;
      const pos = this.#pos;
      const len = buf.length;
      if (pos >= len) break;
      let ok: boolean;
      const mode = this.#mode;
      if (mode !== M_NONE) {
        ok = mode === M_STAG ? this.#stag.scan(buf, pos, true) : mode === M_ETAG ? this.#endTag() : this.#cdata();
      } else if (buf.charCodeAt(pos) !== 0x3c) {
        ok = this.#text();
      } else if (tree.state === S_DONE) {
        ok = this.#fail('not-well-formed', 'RFC 7395 §3.3.3: more than one element in a frame');
      } else if (pos + 1 >= len) {
        ok = false;
      } else {
        const c = buf.charCodeAt(pos + 1);
        if (c === 0x2f) ok = this.#endTag();
        else if (c === 0x21) ok = this.#bang();
        else if (c === 0x3f) ok = this.#pi();
        else {
          this.#tokStart = this.#base + pos;
          ok = this.#stag.scan(buf, pos, false);
        }
      }
      if (!ok) break;
    }
    if (tree.state >= S_CLOSED) return;
    // Bound unparsed input: a partial top-level element counts from its '<'.
    const from = tree.depth > 0 ? this.#stanzaStart
      : this.#mode === M_STAG || this.#mode === M_ETAG ? this.#tokStart : this.#base + this.#pos;
    if (this.#base + this.#buf.length - from > this.maxStanzaSize) this.#fail('policy-violation', TOO_LARGE);
  }

  /** Character data up to the next '<' (or what can be decoded of it so far). */
  #text(): boolean {
    const buf = this.#buf;
    const start = this.#pos;
    const len = buf.length;
    const lt = buf.indexOf('<', start);
    const end = lt === -1 ? len : lt;
    const tree = this.#tree;
    if (tree.depth === 0) {
      // Between top-level elements only whitespace (keepalives, RFC 6120 §4.6.1).
      for (let i = start; i < end; i++) {
        const c = buf.charCodeAt(i);
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (c === 0xfeff && this.#base + i === this.#streamStart && tree.state === S_PROLOG) continue; // BOM
        return this.#fail('not-well-formed', this.#frame
          ? 'RFC 7395 §3.3.3: text outside the element'
          : 'text is not allowed at the stream level');
      }
      this.#pos = end;
      return true;
    }
    // Without a '<' the text may continue in the next chunk: hold back what is not complete yet.
    const stop = lt === -1 ? this.#chars.decodableEnd(buf, start, end, true) : end;
    if (stop === start) return false;
    const s = this.#chars.text(buf, start, stop);
    if (s === null) return false;
    this.#pos = stop;
    tree.text(s);
    if (!this.#fits()) return false;
    return stop === end;
  }

  /** Inside a CDATA section (XML 1.0 §2.7), after '<![CDATA['. */
  #cdata(): boolean {
    const buf = this.#buf;
    const p = this.#pos;
    const len = buf.length;
    const cd = this.#chars.cdataEnd(buf, p);
    const done = cd < len;
    let stop = done ? cd : len - 2;
    if (!done && stop > p && buf.charCodeAt(stop - 1) === 0x0d) stop--;
    if (stop > p) {
      this.#tree.text(this.#chars.cdata(buf, p, stop));
      this.#pos = stop;
    }
    if (done) {
      this.#pos = cd + 3;
      this.#mode = M_NONE;
    }
    return this.#fits() && done;
  }

  /** End tag (XML 1.0 §3.1), possibly continuing one cut by the end of the last chunk. */
  #endTag(): boolean {
    let i = this.#pos;
    if (this.#mode !== M_ETAG) {
      const expected = this.#tree.expectedEnd();
      if (expected === null) return this.#fail('not-well-formed', 'end tag without a matching start tag');
      this.#tokStart = this.#base + i;
      this.#mode = M_ETAG;
      this.#etag.begin(expected);
      i += 2;
    }
    const end = this.#etag.scan(this.#buf, i);
    if (end === -2) return false;
    if (end === -1) {
      this.#pos = this.#buf.length;
      return false;
    }
    this.#pos = end;
    this.#mode = M_NONE;
    return this.#tree.end(this.#base + end - this.#stanzaStart);
  }

  /** '<!': a CDATA section; comments and DTDs are refused (RFC 6120 §11.1). */
  #bang(): boolean {
    const buf = this.#buf;
    const len = buf.length;
    const p = this.#pos;
    if (p + 2 >= len) return false;
    const c = buf.charCodeAt(p + 2);
    if (c === 0x2d) return this.#fail('restricted-xml', 'comments are not allowed (RFC 6120 §11.1)');
    if (c === 0x5b) {
      const n = len - p < 9 ? len - p : 9;
      for (let k = 3; k < n; k++) {
        if (buf.charCodeAt(p + k) !== CDATA_OPEN.charCodeAt(k)) return this.#fail('not-well-formed', "invalid markup after '<!['");
      }
      if (n < 9) return false;
      if (this.#tree.depth === 0) return this.#fail('not-well-formed', 'CDATA section outside an element');
      this.#pos = p + 9;
      this.#mode = M_CDATA;
      return true;
    }
    if (c >= 0x41 && c <= 0x5a) {
      return this.#fail('restricted-xml', 'DTDs and markup declarations are not allowed (RFC 6120 §11.1)');
    }
    return this.#fail('not-well-formed', "invalid markup after '<!'");
  }

  /** '<?': only the XML declaration, before the stream header; PIs are refused (RFC 6120 §11.1). */
  #pi(): boolean {
    const buf = this.#buf;
    const len = buf.length;
    const p = this.#pos;
    const ts = p + 2;
    if (ts >= len) return false;
    if (!isNameStart(buf.charCodeAt(ts))) return this.#fail('not-well-formed', 'invalid processing instruction');
    const te = nameEnd(buf, ts + 1, len);
    if (te - ts > this.maxNameLength) return this.#fail('restricted-xml', 'processing instructions are not allowed (RFC 6120 §11.1)');
    if (te >= len) return false;
    if (te - ts !== 3 || !buf.startsWith('xml', ts)) return this.#fail('restricted-xml', 'processing instructions are not allowed (RFC 6120 §11.1)');
    if (this.#tree.state !== S_PROLOG || this.#seenDecl) {
      return this.#fail('restricted-xml', 'an XML declaration is only allowed before the stream header (RFC 6120 §11.1)');
    }
    const end = buf.indexOf('?>', this.#resume !== -1 ? this.#resume : te);
    if (end === -1) {
      if (len - p > MAX_DECL) return this.#fail('not-well-formed', 'XML declaration too long');
      this.#resume = len - 1 > te ? len - 1 : te;
      return false;
    }
    this.#resume = -1;
    const error = xmlDeclError(buf, te, end);
    if (error !== null) return this.#fail(error[0], error[1]);
    this.#seenDecl = true;
    this.#pos = end + 2;
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
