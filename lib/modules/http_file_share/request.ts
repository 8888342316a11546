/**
 * @module http_file_share/request
 * The slot request (XEP-0363 §4): who may ask, what a valid request is, the limits that refuse
 * it with the XEP's errors, and the slot answer with its PUT and GET URLs.
 */
import { xml, type Element, type StanzaErrorType } from '../../core/api.js';
import { typeMatches, type FileShareOptions } from './options.js';

export const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** A refusal: the stanza error and the XEP's own child, if any. */
export interface Refusal {
  readonly type: StanzaErrorType;
  readonly condition: string;
  readonly text: string;
  readonly extra?: Element;
}

/** A request that passed the syntax checks. */
export interface SlotAsk {
  readonly name: string;
  readonly size: number;
  /** Lower-cased type/subtype, parameters kept as sent (application/octet-stream when absent). */
  readonly type: string;
}

/** `type/subtype` with optional `; name=value` parameters (RFC 9110 §8.3.1), header-safe. */
// eslint-disable-next-line no-control-regex
const CONTENT_TYPE = /^([a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*)((?:[ \t]*;[ \t]*[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[^"\\\x00-\x1f\x7f]*"))*)$/i;
// eslint-disable-next-line no-control-regex
const BAD_NAME_CHARS = /[/\\\x00-\x1f\x7f]/;

/** The media type without parameters, lower-cased (`text/plain; charset=utf-8` -> `text/plain`). */
export function essence(type: string): string {
  return type.split(';')[0]!.trim().toLowerCase();
}

/** XEP-0363 §4: filename, size and content-type of a `<request/>`, or why it is malformed. */
export function parseRequest(request: Element, o: FileShareOptions): SlotAsk | Refusal {
  const bad = (text: string): Refusal => ({ type: 'modify', condition: 'bad-request', text });
  const name = request.attrs.filename;
  // The name only ever appears in URLs and Content-Disposition, but a path is refused outright.
  if (typeof name !== 'string' || name.trim() === '' || name === '.' || name === '..' || BAD_NAME_CHARS.test(name)) return bad('Invalid filename');
  if (Buffer.byteLength(name) > o.http_file_share_filename_max_length) return bad(`Filename longer than ${o.http_file_share_filename_max_length} bytes`);
  const sizeText = request.attrs.size;
  if (typeof sizeText !== 'string' || !/^\d{1,15}$/.test(sizeText)) return bad('File size must be a non-negative integer');
  const size = Number(sizeText);
  const rawType = request.attrs['content-type'];
  let type = 'application/octet-stream';
  if (typeof rawType === 'string' && rawType.trim() !== '') {
    const m = CONTENT_TYPE.exec(rawType.trim());
    if (!m) return bad('Invalid content type');
    type = m[1]!.toLowerCase() + m[2]!;
  }
  return { name, size, type };
}

/** The limits of one request by size and type (quotas are checked by the caller). */
export function checkLimits(ask: SlotAsk, o: FileShareOptions): Refusal | undefined {
  const limit = o.http_file_share_size_limit;
  if (ask.size > limit) {
    // XEP-0363 §4 (example 6): not-acceptable with <file-too-large><max-file-size/>
    return {
      type: 'modify', condition: 'not-acceptable', text: 'File too large',
      extra: xml('file-too-large', { xmlns: NS_UPLOAD }, xml('max-file-size', {}, String(limit))),
    };
  }
  const allowed = o.http_file_share_allowed_file_types;
  if (allowed.length > 0 && !typeMatches(allowed, essence(ask.type))) return { type: 'modify', condition: 'not-acceptable', text: 'File type not allowed' };
  return undefined;
}

/** XEP-0363 §4 (example 7): a quota refusal, with <retry stamp/> when waiting will help. */
export function quotaRefusal(text: string, retryAt: number | undefined): Refusal {
  const extra = retryAt === undefined ? undefined : xml('retry', { xmlns: NS_UPLOAD, stamp: new Date(retryAt).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  return { type: 'wait', condition: 'resource-constraint', text, extra };
}

export function refusalStanza(stanza: Element, r: Refusal): Element {
  const error = xml('error', { type: r.type }, xml(r.condition, { xmlns: NS_STANZAS }), xml('text', { xmlns: NS_STANZAS, 'xml:lang': 'en' }, r.text));
  if (r.extra) error.append(r.extra);
  return xml('iq', { type: 'error', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, error);
}

/** XEP-0363 §4: the slot, the PUT carrying its Authorization header (§4.1 allows it). */
export function slotStanza(stanza: Element, putUrl: string, getUrl: string, token: string): Element {
  return xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to },
    xml('slot', { xmlns: NS_UPLOAD },
      xml('put', { url: putUrl }, xml('header', { name: 'Authorization' }, `Bearer ${token}`)),
      xml('get', { url: getUrl })));
}

/** XEP-0363 §3 (example 2): the disco#info form announcing the size limit. */
export function sizeForm(limit: number): Element {
  return xml('x', { xmlns: 'jabber:x:data', type: 'result' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_UPLOAD)),
    xml('field', { var: 'max-file-size' }, xml('value', {}, String(limit))));
}
