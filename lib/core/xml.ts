// XML element model for the whole server: the only module that imports
// `@xmpp/xml` (ltx). Re-exports the Element class and builder, defines the XMPP
// namespace constants, a fast escaping serializer and `withNamespace`.
import ltxXml, { Element } from '@xmpp/xml';

export { Element };

/** A child of an {@link Element}: a nested element or a text node. */
export type XmlNode = Element | string;

/**
 * Build an element: `xml('message', { to, type: 'chat' }, xml('body', {}, 'hi'))`.
 * Attributes whose value is null/undefined are dropped; other values are stringified.
 */
export function xml(
  name: string,
  attrs?: Record<string, unknown> | string | null,
  ...children: Array<XmlNode | null | undefined | false | XmlNode[]>
): Element {
  return (ltxXml as (...args: unknown[]) => Element)(name, attrs ?? undefined, ...children);
}

// RFC 6120 §4.8.2 content namespace / §4.8.1 stream namespace.
export const NS_CLIENT = 'jabber:client';
export const NS_STREAMS = 'http://etherx.jabber.org/streams';
// RFC 7395 §3.3.1
export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
// RFC 6120 §4.9.3 / §8.3.3
export const NS_XMPP_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
// RFC 6120 §6 / §5 / §7
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
// RFC 3921 §3 (kept for legacy clients)
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
// RFC 6121 §2
export const NS_ROSTER = 'jabber:iq:roster';
// XEP-0030
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
// XEP-0199
export const NS_PING = 'urn:xmpp:ping';
// XEP-0077
export const NS_REGISTER = 'jabber:iq:register';
// XEP-0156 host-meta
export const NS_XRD = 'http://docs.oasis-open.org/ns/xri/xrd-1.0';
// XEP-0203
export const NS_DELAY = 'urn:xmpp:delay';
/** The namespace bound to the reserved `xml` prefix (Namespaces in XML §3). */
export const NS_XML = 'http://www.w3.org/XML/1998/namespace';

/**
 * Escape a string for use inside a double-quoted attribute value.
 * Besides the five markup characters, TAB/LF/CR become character references so
 * that attribute-value normalisation (XML 1.0 §3.3.3) does not turn them into
 * spaces on the receiving side. Characters that XML 1.0 cannot carry at all
 * (C0 controls) are replaced by U+FFFD so the output is always well-formed.
 */
export function escapeAttr(s: string): string {
  let out = '';
  let last = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // Fast reject: every special char is <= 0x3e ('>').
    if (c > 0x3e) continue;
    let rep: string;
    switch (c) {
      case 0x26: rep = '&amp;'; break;
      case 0x3c: rep = '&lt;'; break;
      case 0x3e: rep = '&gt;'; break;
      case 0x22: rep = '&quot;'; break;
      case 0x27: rep = '&apos;'; break;
      case 0x09: rep = '&#9;'; break;
      case 0x0a: rep = '&#10;'; break;
      case 0x0d: rep = '&#13;'; break;
      default:
        if (c >= 0x20) continue;
        rep = '\uFFFD';
    }
    out += s.slice(last, i) + rep;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** What {@link escapeText} replaces: the markup characters, CR, and the C0 controls other than TAB and LF. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TEXT_SPECIAL = /[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f]/;

/**
 * Escape character data (element text). `>` is escaped too (so `]]>` can never
 * appear) and CR becomes `&#13;` so end-of-line normalisation (XML 1.0 §2.11)
 * preserves it; C0 controls that XML 1.0 forbids become U+FFFD.
 */
export function escapeText(s: string): string {
  // Most text needs nothing: one regular-expression scan says so faster than a loop over it.
  if (!TEXT_SPECIAL.test(s)) return s;
  let out = '';
  let last = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x3e) continue;
    let rep: string;
    switch (c) {
      case 0x26: rep = '&amp;'; break;
      case 0x3c: rep = '&lt;'; break;
      case 0x3e: rep = '&gt;'; break;
      case 0x0d: rep = '&#13;'; break;
      case 0x09:
      case 0x0a:
        continue;
      default:
        if (c >= 0x20) continue;
        rep = '\uFFFD';
    }
    out += s.slice(last, i) + rep;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

function isElementLike(child: unknown): child is Element {
  // An element from a foreign copy of ltx has the same shape but another class.
  return child instanceof Element ||
    (typeof child === 'object' && child !== null && typeof (child as Element).name === 'string' &&
      Array.isArray((child as Element).children) && typeof (child as Element).attrs === 'object');
}

function startTag(el: Element): string {
  let out = '<' + el.name;
  const attrs = el.attrs as Record<string, unknown>;
  for (const k in attrs) {
    const v = attrs[k];
    if (v === undefined || v === null) continue;
    out += ' ' + k + '="' + escapeAttr(typeof v === 'string' ? v : String(v)) + '"';
  }
  return out;
}

/**
 * What the copies of one broadcast share (fanout.ts): their children, and those serialised
 * once. An element carries it under {@link SHARED_CONTENT}; it is used only while the
 * element's own children array still holds exactly those children (a module that added or
 * removed one in place gets that copy serialised in full).
 */
export interface SharedContent {
  readonly children: readonly XmlNode[];
  /** The children's markup (computed on first use, then reused). */
  inner(): string;
}

/** The key under which a broadcast copy carries its {@link SharedContent}. */
export const SHARED_CONTENT: unique symbol = Symbol('xmpp-server-core.sharedContent');

type MaybeShared = Element & { readonly [SHARED_CONTENT]?: SharedContent };

/**
 * Serialize an element (and its subtree) to an XML string. Attribute values and
 * text are escaped (see {@link escapeAttr}, {@link escapeText}); attributes with
 * null/undefined values are omitted; an element without children is written
 * self-closed. Element and attribute names are written as-is.
 */
export function serialize(el: Element): string {
  return serializeTop(el, '');
}

/**
 * `el` serialised with one more attribute on its start tag when it has none of that name
 * (a transport's framing: RFC 7395 §3.3.3 `xmlns='jabber:client'`), without copying `el`.
 */
export function serializeWithAttr(el: Element, name: string, value: string): string {
  const v = (el.attrs as Record<string, unknown>)[name];
  if (v !== undefined && v !== null) return serializeTop(el, '');
  return serializeTop(el, ' ' + name + '="' + escapeAttr(value) + '"');
}

function serializeTop(el: Element, extra: string): string {
  const shared = (el as MaybeShared)[SHARED_CONTENT];
  if (shared !== undefined && sameChildren(el.children, shared.children)) {
    // A broadcast copy: only the start tag is its own.
    const inner = shared.inner();
    return inner === '' ? startTag(el) + extra + '/>' : startTag(el) + extra + '>' + inner + '</' + el.name + '>';
  }
  if (el.children.length === 0) return startTag(el) + extra + '/>';
  return startTag(el) + extra + '>' + serializeChildren(el.children) + '</' + el.name + '>';
}

function sameChildren(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a === b) return true;
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The markup of `children` (an element's content, without its own tags). */
export function serializeChildren(children: readonly unknown[]): string {
  // Iterative (explicit stack) so that application-built deep trees cannot overflow the call stack.
  let out = '';
  const lists: (readonly unknown[])[] = [children];
  const names: string[] = [''];
  const next: number[] = [0];
  let top = 0;
  while (top >= 0) {
    const list = lists[top]!;
    const i = next[top]!;
    if (i >= list.length) {
      if (top > 0) out += '</' + names[top]! + '>';
      top--;
      continue;
    }
    next[top] = i + 1;
    const child = list[i];
    if (typeof child === 'string') {
      out += escapeText(child);
    } else if (isElementLike(child)) {
      if (child.children.length === 0) {
        out += startTag(child) + '/>';
      } else {
        out += startTag(child) + '>';
        top++;
        lists[top] = child.children;
        names[top] = child.name;
        next[top] = 0;
      }
    } else if (child !== null && child !== undefined) {
      out += escapeText(String(child));
    }
  }
  return out;
}

/**
 * Return `el` if it already carries an `xmlns` attribute; otherwise a shallow
 * copy whose attrs object is new (with `xmlns` = `ns`) and whose children array
 * is a new array holding the same child nodes. The original is never mutated
 * (stanzas are shared between recipients). Note: the shared children still
 * point at the original as their `parent`.
 */
export function withNamespace(el: Element, ns: string): Element {
  const attrs = el.attrs as Record<string, unknown>;
  if (attrs.xmlns !== undefined && attrs.xmlns !== null) return el;
  return withAttrs(el, { xmlns: ns });
}

/**
 * A shallow copy of `el` with some attributes replaced (`undefined` removes one). The copy
 * has a new attrs object and a new children array holding the same children; the original
 * is never mutated (stanzas are shared between recipients).
 * @example withAttrs(presence, { from: session.fullJid, to: contact })
 */
export function withAttrs(el: Element, attrs: Readonly<Record<string, string | undefined>>): Element {
  const merged: Record<string, string> = {};
  const old = el.attrs as Record<string, unknown>;
  for (const k in old) {
    const v = old[k];
    if (v !== undefined && v !== null) merged[k] = String(v);
  }
  for (const k in attrs) {
    const v = attrs[k];
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  const copy = new Element(el.name);
  copy.attrs = merged;
  copy.children = el.children.slice();
  return copy;
}

/**
 * `el` with a XEP-0203 delay stamp (`from` delayed it, first sent at `at` ms): a copy, since
 * stanzas are shared between recipients; `el` itself when it already carries a stamp.
 */
export function withDelay(el: Element, from: string, at: number): Element {
  if (el.getChild('delay', NS_DELAY) !== undefined) return el;
  const copy = withAttrs(el, {});
  copy.children.push(xml('delay', { xmlns: NS_DELAY, from, stamp: new Date(at).toISOString() }));
  return copy;
}

/** An element as JSON (for storage): name, attributes, children (text or elements). */
export interface JsonElement {
  n: string;
  a: Record<string, string>;
  c: (JsonElement | string)[];
}

/** `el` as JSON, for a store (offline messages, stream management queues). */
export function elementToJson(el: Element): JsonElement {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) if (v !== undefined && v !== null) a[k] = String(v);
  return { n: el.name, a, c: el.children.map((c) => (typeof c === 'string' ? c : elementToJson(c as Element))) };
}

/** The element a JsonElement describes. */
export function elementFromJson(json: JsonElement): Element {
  return xml(json.n, json.a, ...json.c.map((c) => (typeof c === 'string' ? c : elementFromJson(c))));
}

/** A deep copy of `el` (a copy that later changes to the original do not reach). */
export function cloneElement(el: Element): Element {
  const copy = new Element(el.name, { ...el.attrs });
  for (const c of el.children) copy.children.push(typeof c === 'string' ? c : cloneElement(c as Element));
  return copy;
}
