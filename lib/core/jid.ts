/**
 * @module jid
 * JIDs (RFC 7622): parse, normalise (lower-case localpart and domain), compare, print.
 * A deliberately small subset of PRECIS: NFC normalisation, case folding, length and
 * forbidden-character checks; enough for routing decisions to be consistent.
 */

export interface Jid {
  readonly local: string | undefined;
  readonly domain: string;
  readonly resource: string | undefined;
  /** local@domain (or domain) */
  readonly bare: string;
  /** local@domain/resource (or the bare form when there is no resource) */
  readonly full: string;
}

const FORBIDDEN_LOCAL = /["&'/:<>@\s]/u;

const CACHE_MAX = 4096;
let cache = new Map<string, Jid | null>();

/** Parse and normalise a JID; undefined when it is not a valid JID (RFC 7622 §3). */
export function parseJid(text: string | undefined | null): Jid | undefined {
  if (!text) return undefined;
  const hit = cache.get(text);
  if (hit !== undefined) return hit ?? undefined;
  const jid = parseUncached(text);
  if (cache.size >= CACHE_MAX) cache = new Map();
  cache.set(text, jid ?? null);
  return jid;
}

function parseUncached(text: string): Jid | undefined {
  const slash = text.indexOf('/');
  const head = slash === -1 ? text : text.slice(0, slash);
  const resource = slash === -1 ? undefined : text.slice(slash + 1).normalize('NFC');
  const at = head.indexOf('@');
  const local = at === -1 ? undefined : head.slice(0, at).normalize('NFC').toLowerCase();
  let domain = (at === -1 ? head : head.slice(at + 1)).normalize('NFC').toLowerCase();
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  // RFC 7622 §3.2-3.4: non-empty parts of at most 1023 octets
  if (!domain || byteLength(domain) > 1023 || /[\s@/]/u.test(domain)) return undefined;
  if (local !== undefined && (!local || byteLength(local) > 1023 || FORBIDDEN_LOCAL.test(local))) return undefined;
  if (resource !== undefined && (!resource || byteLength(resource) > 1023)) return undefined;
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
