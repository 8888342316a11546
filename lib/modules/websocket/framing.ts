/**
 * @module websocket/framing
 * RFC 7395 §3 framing: one WebSocket message = one complete XML element. Decodes inbound
 * messages into stream opens, closes and elements (optionally the pre-RFC `<stream:stream>`
 * framing), and builds outbound `<open/>`, `<close/>` and self-contained elements.
 */
import { withNamespace, withAttrs, escapeAttr, serialize, serializeWithAttr, NS_CLIENT, NS_FRAMING, NS_STREAMS, type Element } from '../../core/api.js';
import { parseFrame, type StreamAttrs } from '../../core/transport-api.js';

/** What one inbound message means. */
export type Inbound =
  | { readonly kind: 'open'; readonly attrs: StreamAttrs; readonly legacy: boolean }
  | { readonly kind: 'close'; readonly legacy: boolean }
  | { readonly kind: 'element'; readonly element: Element }
  | { readonly kind: 'error'; readonly condition: string; readonly text: string };

const CLOSE: Inbound = Object.freeze({ kind: 'close', legacy: false });
const LEGACY_CLOSE: Inbound = Object.freeze({ kind: 'close', legacy: true });
const NOT_LT: Inbound = Object.freeze({
  kind: 'error', condition: 'not-well-formed',
  text: "RFC 7395 §3.3.3: a message must start with '<' (no leading whitespace, text or byte-order mark)",
});
const WRONG_HEADER_NS: Inbound = Object.freeze({
  kind: 'error', condition: 'invalid-namespace',
  text: `RFC 7395 §3.3.2: <open/> and <close/> must be in the ${NS_FRAMING} namespace`,
});

// The pre-RFC framing (draft-ietf-xmpp-websocket before RFC 7395): a stream header per message.
const LEGACY_OPEN = /^(?:<\?xml\s[^>]*\?>\s*)?<stream:stream(?=[\s/>])([^]*?)\/?>\s*$/;
const LEGACY_END = /^<\/stream:stream\s*>\s*$/;

/** The stream-header attributes we read from an `<open/>` (RFC 6120 §4.7; a client `id` is ignored, §4.7.3). */
function headerAttrs(attrs: Record<string, unknown>): StreamAttrs {
  const out: { to?: string; from?: string; version?: string; 'xml:lang'?: string } = {};
  if (typeof attrs.to === 'string') out.to = attrs.to;
  if (typeof attrs.from === 'string') out.from = attrs.from;
  if (typeof attrs.version === 'string') out.version = attrs.version;
  if (typeof attrs['xml:lang'] === 'string') out['xml:lang'] = attrs['xml:lang'];
  return out;
}

function decodeLegacyOpen(rest: string): Inbound {
  // Parse the header's attributes on their own (namespaces checked by the shared parser).
  const r = parseFrame(`<legacy-header${rest}/>`);
  if ('error' in r) return { kind: 'error', condition: r.error.condition, text: r.error.text };
  const attrs = r.element.attrs as Record<string, unknown>;
  // RFC 6120 §4.8.1: the stream namespace must be declared for the stream prefix.
  if (attrs['xmlns:stream'] !== NS_STREAMS) {
    return { kind: 'error', condition: 'invalid-namespace', text: `The stream prefix must be bound to ${NS_STREAMS} (RFC 6120 §4.8.1)` };
  }
  if (attrs.xmlns !== NS_CLIENT) return { kind: 'error', condition: 'invalid-namespace', text: `The content namespace must be ${NS_CLIENT} (RFC 6120 §4.8.3)` };
  return { kind: 'open', attrs: headerAttrs(attrs), legacy: true };
}

/**
 * Decode one text message. `legacy` allows the pre-RFC framing; without it a `<stream:stream>`
 * opening is a stream error citing RFC 7395 §3.3.3. Elements without `xmlns` are `jabber:client`.
 */
export function decodeMessage(text: string, legacy: boolean): Inbound {
  // RFC 7395 §3.3.3: the first character of every message is '<'.
  if (text.charCodeAt(0) !== 0x3c) return NOT_LT;
  if (legacy && text.charCodeAt(1) !== 0x6f /* 'o' of <open: the common case skips the regexps */) {
    const m = LEGACY_OPEN.exec(text);
    if (m) return decodeLegacyOpen(m[1]!);
    if (LEGACY_END.test(text)) return LEGACY_CLOSE;
  }
  const r = parseFrame(text);
  if ('error' in r) return { kind: 'error', condition: r.error.condition, text: r.error.text };
  const el = r.element;
  const name = el.name;
  if (name === 'open' || name === 'close') {
    const ns = el.attrs.xmlns as string | undefined;
    if (ns === NS_FRAMING) return name === 'open' ? { kind: 'open', attrs: headerAttrs(el.attrs as Record<string, unknown>), legacy: false } : CLOSE;
    // RFC 7395 §3.3.2: a header in the wrong namespace is refused with <invalid-namespace/>.
    if (ns === NS_CLIENT || ns === NS_STREAMS) return WRONG_HEADER_NS;
  }
  return { kind: 'element', element: el };
}

function attrText(attrs: StreamAttrs): string {
  let out = '';
  for (const name of ['from', 'to', 'id', 'version', 'xml:lang'] as const) {
    const v = attrs[name];
    if (v !== undefined) out += ` ${name}="${escapeAttr(v)}"`;
  }
  return out;
}

/** Our stream header (RFC 7395 §3.4): `<open/>` in the framing namespace; legacy: `<stream:stream>`. */
export function openMessage(attrs: StreamAttrs, legacy: boolean): string {
  if (legacy) return `<stream:stream xmlns="${NS_CLIENT}" xmlns:stream="${NS_STREAMS}"${attrText(attrs)}>`;
  return `<open xmlns="${NS_FRAMING}"${attrText(attrs)}/>`;
}

/** Our stream close (RFC 7395 §3.6), with `see-other-uri` for a redirect (§3.6.1). */
export function closeMessage(legacy: boolean, seeOtherUri?: string): string {
  if (legacy) return '</stream:stream>';
  if (seeOtherUri !== undefined) return `<close xmlns="${NS_FRAMING}" see-other-uri="${escapeAttr(seeOtherUri)}"/>`;
  return `<close xmlns="${NS_FRAMING}"/>`;
}

/**
 * The element as a self-contained message (RFC 7395 §3.3.3): stanzas without `xmlns` get
 * `jabber:client`, and `stream:`-prefixed elements declare the prefix. A copy when anything is
 * added: the original may be shared between recipients.
 */
export function frameElement(el: Element): Element {
  const attrs = el.attrs as Record<string, unknown>;
  if (attrs.xmlns !== undefined && attrs.xmlns !== null) return el;
  const name = el.name;
  if (name.charCodeAt(6) === 0x3a /* ':' */ && name.startsWith('stream:')) {
    if (attrs['xmlns:stream'] !== undefined) return el;
    return withAttrs(el, { 'xmlns:stream': NS_STREAMS });
  }
  return withNamespace(el, NS_CLIENT);
}

/**
 * `frameElement(el)` serialised, without the copy: the text of one outbound message. The
 * namespace goes on the start tag only, so a broadcast copy's shared content (core fanout)
 * is reused as it is.
 */
export function frameText(el: Element): string {
  const name = el.name;
  if (name.charCodeAt(6) === 0x3a /* ':' */ && name.startsWith('stream:')) {
    const attrs = el.attrs as Record<string, unknown>;
    if (attrs.xmlns !== undefined && attrs.xmlns !== null) return serialize(el);
    return serializeWithAttr(el, 'xmlns:stream', NS_STREAMS);
  }
  return serializeWithAttr(el, 'xmlns', NS_CLIENT);
}
