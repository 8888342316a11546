// Streamed XML for RFC 6120 XML streams over TCP: UTF-8 validation/decoding
// across chunk boundaries on top of the shared Tokenizer (xml-tokenizer.ts),
// which does the restricted-XML parsing, limits and namespace resolution.
import { StringDecoder } from 'node:string_decoder';
import { isUtf8 } from 'node:buffer';
import type { Element } from './xml.js';
import { Tokenizer, tokenizerOptions } from './xml-tokenizer.js';

/** Receives the events of a {@link StreamParser}, synchronously from `write()`. */
export interface StreamParserHandler {
  /** The stream header (RFC 6120 §4.7), attributes as written, e.g. name 'stream:stream'. */
  streamOpen(attrs: Record<string, string>, name: string): void;
  /**
   * A complete child of the stream root. It always carries an explicit `xmlns`
   * (inherited from the header when absent) and the `xmlns:prefix` declarations
   * of the header that its subtree uses, so it serialises standalone.
   */
  element(el: Element): void;
  /** `</stream:stream>` (RFC 6120 §4.4). */
  streamClose(): void;
  /**
   * A stream error condition (RFC 6120 §4.9.3: not-well-formed, restricted-xml,
   * invalid-namespace, bad-namespace-prefix, unsupported-encoding,
   * policy-violation). Reported once; further input is ignored until reset().
   */
  error(condition: string, text: string): void;
}

/** Limits of a {@link StreamParser}. Sizes count UTF-16 code units of decoded text. */
export interface StreamParserLimits {
  /** Largest top-level element, and largest unparsed input (e.g. a giant start tag). */
  maxStanzaSize: number;
  /** Deepest element nesting inside a stanza (the stanza is depth 1). Default 64. */
  maxDepth?: number;
  /** Most attributes on one element. Default 64. */
  maxAttributes?: number;
  /** Longest element or attribute name. Default 1024. */
  maxNameLength?: number;
}

/**
 * Incremental parser for one XML stream (RFC 6120 §4). Feed it socket data with
 * {@link StreamParser.write}; it reports the stream header, each stanza (or other
 * top-level element) when its end tag arrives, the stream close, and at most one
 * error. It never throws on any input.
 */
export class StreamParser {
  private readonly tok: Tokenizer;
  private decoder = new StringDecoder('utf8');
  /** Bytes of an incomplete UTF-8 sequence at the end of the last Buffer chunk. */
  private tail: Buffer | null = null;
  /** Length of the sequence `tail` starts. */
  private tailNeed = 0;
  /** A high surrogate ending the last string chunk. */
  private hi = '';
  private ended = false;

  constructor(handler: StreamParserHandler, limits: StreamParserLimits) {
    this.tok = new Tokenizer(handler, tokenizerOptions(false, limits));
  }

  /**
   * Parse more input. Buffers must be UTF-8 (RFC 6120 §11.6); a multi-byte
   * character may be split across chunks. Invalid UTF-8 is reported as
   * 'unsupported-encoding'.
   */
  write(chunk: Buffer | string): void {
    if (this.ended || this.tok.failed) return;
    if (typeof chunk === 'string') {
      if (this.tail !== null) return this.badEncoding();
      let s = chunk;
      if (this.hi !== '') {
        s = this.hi + s;
        this.hi = '';
      }
      const last = s.charCodeAt(s.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        this.hi = s.slice(-1);
        s = s.slice(0, -1);
      }
      if (s.length > 0) this.tok.feed(s, true);
      return;
    }
    const n = chunk.length;
    if (n === 0) return;
    if (this.hi !== '') return this.badEncoding();
    let start = 0;
    const tail = this.tail;
    if (tail !== null) {
      // Complete the character split across the previous chunk boundary.
      const take = Math.min(this.tailNeed - tail.length, n);
      const seq = Buffer.concat([tail, chunk.subarray(0, take)]);
      if (seq.length < this.tailNeed) {
        for (let k = 0; k < take; k++) {
          if ((chunk[k]! & 0xc0) !== 0x80) return this.badEncoding();
        }
        this.tail = seq;
        this.decoder.write(chunk);
        return;
      }
      if (!isUtf8(seq)) return this.badEncoding();
      this.tail = null;
      start = take;
    }
    // Find an incomplete sequence at the end (lead byte with too few continuation bytes).
    let boundary = n;
    for (let k = n - 1; k >= start && k >= n - 3; k--) {
      const b = chunk[k]!;
      if ((b & 0xc0) === 0x80) continue;
      if (b >= 0xc0) {
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (n - k < need) {
          boundary = k;
          this.tailNeed = need;
        }
      }
      break;
    }
    let s: string;
    if (start === 0 && boundary === n) {
      // Common case: no character split at either end; the decoder holds nothing.
      if (!isUtf8(chunk)) return this.badEncoding();
      s = chunk.toString('utf8');
    } else {
      if (boundary > start && !isUtf8(chunk.subarray(start, boundary))) return this.badEncoding();
      if (boundary < n) this.tail = Buffer.from(chunk.subarray(boundary));
      // The StringDecoder joins the characters split across chunks (it holds exactly `tail`).
      s = this.decoder.write(chunk);
    }
    if (s.length > 0) this.tok.feed(s, false);
  }

  /**
   * Stop parsing after the current element (callable from a handler): later input is
   * buffered until resume(), so a stream restart decided asynchronously (SASL) applies to
   * pipelined input (RFC 6120 §4.3.3).
   */
  pause(): void {
    this.tok.pause();
  }

  /** Parse what was buffered while paused. */
  resume(): void {
    this.tok.resume();
  }

  /** Change the stanza size limit (e.g. raised after authentication). */
  setMaxStanzaSize(n: number): void {
    this.tok.maxStanzaSize = n;
  }

  /**
   * Stream restart (RFC 6120 §4.3.3, after STARTTLS or SASL success): the next
   * thing expected is a new stream header; a previous error is cleared. Input
   * already received but not yet consumed is parsed as the new stream.
   */
  reset(): void {
    if (this.tok.failed) {
      this.tail = null;
      this.hi = '';
      this.decoder = new StringDecoder('utf8');
    }
    this.tok.reset();
  }

  /** End of input: release buffers; later writes are ignored. Reports nothing. */
  end(): void {
    this.ended = true;
    this.decoder.end();
    this.decoder = new StringDecoder('utf8');
    this.tail = null;
    this.tok.clear();
  }

  private badEncoding(): void {
    this.tail = null;
    this.decoder = new StringDecoder('utf8');
    this.tok.error('unsupported-encoding', 'invalid UTF-8 (RFC 6120 §11.6)');
  }
}
