/**
 * @module jid
 * JIDs (RFC 7622): parse, normalise, compare, print. Localparts are enforced with PRECIS
 * UsernameCaseMapped and resourceparts with OpaqueString (RFC 7622 §3.3, §3.4; precis.ts),
 * so look-alikes map to one account or are refused; domains are lower-cased and NFC.
 * Parsed JIDs are cached, with the cache bounded by the size of its keys.
 */

import { tryLocalpart, tryResourcepart } from './precis.js';

export interface Jid {
  readonly local: string | undefined;
  readonly domain: string;
  readonly resource: string | undefined;
  /** local@domain (or domain) */
  readonly bare: string;
  /** local@domain/resource (or the bare form when there is no resource) */
  readonly full: string;
}

/** RFC 7622 §3.1: a JID is at most 3071 bytes (three parts of at most 1023 and two separators). */
export const MAX_JID_BYTES = 3071;

/** The parse cache is bounded by the characters of its keys, not by entries. */
const CACHE_MAX_CHARS = 1 << 20;
let cache = new Map<string, Jid | null>();
let cacheChars = 0;
/**
 * The last two texts looked up, in front of the cache: one stanza's `to` and `from` are parsed
 * by several handlers in turn, and an identity compare is cheaper than hashing them again.
 */
let lastText: string | undefined;
let lastJid: Jid | undefined;
let prevText: string | undefined;
let prevJid: Jid | undefined;

/** Parse and normalise a JID; undefined when it is not a valid JID (RFC 7622 §3). */
export function parseJid(text: string | undefined | null): Jid | undefined {
  if (!text) return undefined;
  // Over-long input is refused before any work or caching (each UTF-16 unit is at least a byte).
  if (text.length > MAX_JID_BYTES) return undefined;
  if (text === lastText) return lastJid;
  let jid: Jid | undefined;
  if (text === prevText) {
    jid = prevJid;
  } else {
    const hit = cache.get(text);
    if (hit !== undefined) {
      jid = hit ?? undefined;
    } else {
      jid = parseUncached(text);
      if (cacheChars + text.length > CACHE_MAX_CHARS) {
        cache = new Map();
        cacheChars = 0;
      }
      cache.set(text, jid ?? null);
      cacheChars += text.length;
    }
  }
  prevText = lastText;
  prevJid = lastJid;
  lastText = text;
  lastJid = jid;
  return jid;
}

function parseUncached(text: string): Jid | undefined {
  // RFC 7622 §3.1: at most 3071 octets
  if (byteLength(text) > MAX_JID_BYTES) return undefined;
  const slash = text.indexOf('/');
  const head = slash === -1 ? text : text.slice(0, slash);
  const at = head.indexOf('@');
  // RFC 7622 §3.3, §3.4: PRECIS profiles (non-empty, at most 1023 octets each)
  const local = at === -1 ? undefined : tryLocalpart(head.slice(0, at));
  if (at !== -1 && local === undefined) return undefined;
  const resource = slash === -1 ? undefined : tryResourcepart(text.slice(slash + 1));
  if (slash !== -1 && resource === undefined) return undefined;
  let domain = (at === -1 ? head : head.slice(at + 1)).normalize('NFC').toLowerCase();
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  // RFC 7622 §3.2: a non-empty domainpart of at most 1023 octets
  if (!domain || byteLength(domain) > 1023 || /[\s@/]/u.test(domain)) return undefined;
  return makeJid(local, domain, resource);
}

/** Build a JID from already-normalised parts. */
export function makeJid(local: string | undefined, domain: string, resource?: string): Jid {
  const bare = local === undefined ? domain : `${local}@${domain}`;
  return Object.freeze({ local, domain, resource, bare, full: resource === undefined ? bare : `${bare}/${resource}` });
}

/** The normalised bare form of a JID string, or undefined when invalid. */
export function bareJid(text: string | undefined | null): string | undefined {
  return parseJid(text)?.bare;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
