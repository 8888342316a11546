// XMPP over WebSocket framing (RFC 7395 §3.3.3): each WebSocket message is
// exactly one complete XML element. Parses a frame with the shared Tokenizer
// (xml-tokenizer.ts) in frame mode; no second parser.
import type { Element } from './xml.js';
import {
  Tokenizer, tokenizerOptions, DEFAULT_MAX_ATTRIBUTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_NAME_LENGTH,
} from './xml-tokenizer.js';
import type { TokenizerHandler } from './xml-tokenizer.js';

/** Limits for {@link parseFrame}; the frame size itself is bounded by the WebSocket layer. */
export interface FrameLimits {
  /** Deepest element nesting (the frame's element is depth 1). Default 64. */
  maxDepth?: number;
  /** Most attributes on one element. Default 64. */
  maxAttributes?: number;
  /** Longest element or attribute name. Default 1024. */
  maxNameLength?: number;
}

/** Result of {@link parseFrame}: the element, or a stream error condition and text. */
export type FrameResult = { element: Element } | { error: { condition: string; text: string } };

class FrameSink implements TokenizerHandler {
  element_: Element | null = null;
  condition = '';
  text = '';
  streamOpen(): void {
    // never called in frame mode
  }
  element(el: Element): void {
    this.element_ = el;
  }
  streamClose(): void {
    // never called in frame mode
  }
  error(condition: string, text: string): void {
    if (this.condition === '') {
      this.condition = condition;
      this.text = text;
    }
  }
}

// parseFrame is synchronous and its sink runs no user code, so one instance is recycled.
const sink = new FrameSink();
const tok = new Tokenizer(sink, tokenizerOptions(true, undefined));

/**
 * Parse one WebSocket message as a single XML element (RFC 7395 §3.3.3).
 * Leading/trailing whitespace is tolerated. Two elements, text outside the
 * element, an unclosed element or a `<stream:stream>` opening give
 * 'not-well-formed'; comments, PIs, DTDs and entity references other than the
 * predefined ones give 'restricted-xml' (RFC 6120 §11.1); undeclared prefixes
 * give 'bad-namespace-prefix'. An element without `xmlns` gets 'jabber:client'.
 */
export function parseFrame(text: string, limits?: FrameLimits): FrameResult {
  tok.maxDepth = limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  tok.maxAttributes = limits?.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES;
  tok.maxNameLength = limits?.maxNameLength ?? DEFAULT_MAX_NAME_LENGTH;
  sink.element_ = null;
  sink.condition = '';
  tok.feed(text, true);
  tok.finish();
  tok.clear();
  const el = sink.element_;
  sink.element_ = null;
  if (sink.condition !== '') return { error: { condition: sink.condition, text: sink.text } };
  if (el === null) return { error: { condition: 'not-well-formed', text: 'RFC 7395 §3.3.3: the frame contains no element' } };
  return { element: el };
}

/** One complete element parsed from text (a stored stanza, say), or undefined when it is not well-formed. */
export function parseElement(text: string): Element | undefined {
  const r = parseFrame(text);
  return 'element' in r ? r.element : undefined;
}
