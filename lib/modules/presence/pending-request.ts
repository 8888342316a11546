/**
 * @module presence/pending-request
 * Stored subscription requests (RFC 6121 §3.1.3: the server keeps an inbound request while the
 * user has not answered and delivers it when the user comes online, "including extended
 * content"). What is kept is the whole subscribe stanza, bounded: each <status/> text is cut to
 * a number of characters and the stanza (without its addresses) to a number of bytes; extended
 * content that does not fit is dropped. Stanzas are stored as plain JSON trees.
 */
import { serialize, xml, type Element } from '../../core/api.js';

/** An element as stored (JSON): name, attributes and children (text or elements). */
export interface ElementData {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly (string | ElementData)[];
}

/** What a stored request may carry. */
export interface RequestBounds {
  /** Characters (code points) of each <status/> text. */
  readonly statusChars: number;
  /** Bytes of the serialised stanza, without its 'from' and 'to' addresses. */
  readonly bytes: number;
}

/** What bounding removed, for the debug log. */
export interface BoundReport {
  /** Statuses whose text was cut. */
  truncated: number;
  /** Children left out, as `name xmlns` with their size in bytes. */
  dropped: string[];
}

/** Nesting deeper than this is not stored (the stream parser allows 64 levels by default). */
const MAX_DEPTH = 64;
const NS_CLIENT = 'jabber:client';

const bytesOf = (el: Element): number => Buffer.byteLength(serialize(el));

/** The JSON form of an element (children nested deeper than MAX_DEPTH are left out). */
export function toData(el: Element, depth = 0): ElementData {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs as Record<string, unknown>)) if (v !== undefined && v !== null) attrs[k] = String(v);
  const children: (string | ElementData)[] = [];
  for (const child of el.children as unknown[]) {
    if (typeof child === 'string') children.push(child);
    else if (depth < MAX_DEPTH && isElement(child)) children.push(toData(child, depth + 1));
  }
  return { name: el.name, attrs, children };
}

/** The element back from its JSON form; anything malformed in it is skipped. */
export function fromData(data: unknown, depth = 0): Element | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Partial<ElementData>;
  if (typeof d.name !== 'string' || d.name === '') return undefined;
  const attrs: Record<string, string> = {};
  if (typeof d.attrs === 'object' && d.attrs !== null) {
    for (const [k, v] of Object.entries(d.attrs)) if (typeof v === 'string') attrs[k] = v;
  }
  const el = xml(d.name, attrs);
  if (Array.isArray(d.children)) {
    for (const child of d.children as unknown[]) {
      if (typeof child === 'string') el.children.push(child);
      else if (depth < MAX_DEPTH) {
        const c = fromData(child, depth + 1);
        if (c) el.append(c);
      }
    }
  }
  return el;
}

/** The request a pre-2 roster record stored: only its status text (kept whole: migration loses nothing). */
export function legacyRequest(status: unknown): ElementData {
  return toData(xml('presence', { type: 'subscribe' }, typeof status === 'string' ? xml('status', {}, status) : undefined));
}

function isElement(x: unknown): x is Element {
  return typeof x === 'object' && x !== null && typeof (x as Element).name === 'string' && Array.isArray((x as Element).children);
}

function isStatus(el: Element): boolean {
  return el.name === 'status' && (el.attrs.xmlns === undefined || el.attrs.xmlns === NS_CLIENT);
}

/** The first `n` code points of `s` (a surrogate pair is never split). */
function firstChars(s: string, n: number): string {
  if (s.length <= n) return s;
  let out = '';
  let count = 0;
  for (const ch of s) {
    if (count++ >= n) break;
    out += ch;
  }
  return out;
}

/** A <status/> with `text`, keeping its xml:lang (RFC 6121 §4.7.2.2). */
function statusOf(lang: unknown, text: string): Element {
  return xml('status', typeof lang === 'string' ? { 'xml:lang': lang } : {}, text);
}

/** The longest prefix of `text` (in code points) whose <status/> fits in `room` bytes, or undefined. */
function fitStatus(lang: unknown, text: string, room: number): Element | undefined {
  const whole = statusOf(lang, text);
  if (bytesOf(whole) <= room) return whole;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  if (bytesOf(statusOf(lang, '')) > room) return undefined;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (bytesOf(statusOf(lang, chars.slice(0, mid).join(''))) <= room) lo = mid;
    else hi = mid - 1;
  }
  return statusOf(lang, chars.slice(0, lo).join(''));
}

/**
 * The subscribe stanza as it may be stored and delivered: type 'subscribe', each <status/> cut
 * to `statusChars` characters, then 'id' / 'xml:lang' and the other children in their order
 * while the stanza stays within `bytes` (addresses are not counted: they are set on delivery).
 * Statuses come first: extended content is dropped before a status is shortened further.
 */
export function boundRequest(stanza: Element, bounds: RequestBounds, report?: BoundReport): Element {
  const out = xml('presence', { type: 'subscribe' });
  // the wrapper's size with content: `<presence type="subscribe">` + `</presence>`
  let used = bytesOf(xml('presence', { type: 'subscribe' }, 'x')) - 1;
  const kept = new Map<Element, Element>();
  const children = (stanza.children as unknown[]).filter(isElement);
  for (const child of children) {
    if (!isStatus(child)) continue;
    const text = child.getText();
    const cut = firstChars(text, bounds.statusChars);
    const status = fitStatus(child.attrs['xml:lang'], cut, bounds.bytes - used);
    if (report && (status === undefined || status.getText().length < text.length)) report.truncated++;
    if (status === undefined) continue;
    kept.set(child, status);
    used += bytesOf(status);
  }
  for (const name of ['id', 'xml:lang']) {
    const value = stanza.attrs[name] as unknown;
    if (typeof value !== 'string') continue;
    const grow = bytesOf(xml('p', { [name]: value })) - bytesOf(xml('p'));
    if (used + grow > bounds.bytes) continue;
    out.attrs[name] = value;
    used += grow;
  }
  for (const child of children) {
    if (isStatus(child)) continue;
    const size = bytesOf(child);
    if (used + size > bounds.bytes) {
      report?.dropped.push(`${child.name} ${String(child.attrs.xmlns ?? '')} (${size} bytes)`);
      continue;
    }
    kept.set(child, child);
    used += size;
  }
  for (const child of children) {
    const k = kept.get(child);
    if (k) out.children.push(k); // not append(): the sender's elements keep their parent
  }
  return out;
}
