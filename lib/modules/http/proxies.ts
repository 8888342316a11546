/**
 * @module http/proxies
 * Who the client is behind reverse proxies: `trusted_proxies` (IPs and CIDRs, v4 and v6),
 * X-Forwarded-For / X-Forwarded-Proto or RFC 7239 `Forwarded`, giving `request.ip` and
 * `request.secure`. Forwarding headers from a peer that is not a trusted proxy are ignored.
 */
import { AddressList, normalizeIp } from '../../core/api.js';

/** Which forwarding headers trusted proxies send (`http_forwarded_header`). */
export type ForwardedMode = 'x-forwarded' | 'forwarded';

/** The set of trusted proxies (`trusted_proxies`). */
export class TrustedProxies extends AddressList {}

/** One hop as a forwarding header describes it: the client address it saw, and the scheme. */
interface Hop {
  /** The raw address text (may be `unknown` or an obfuscated name). */
  readonly for: string | undefined;
  readonly proto: string | undefined;
}

/** The connection facts and the headers a request arrived with. */
export interface ConnectionFacts {
  /** The socket peer's address. */
  readonly peer: string;
  /** TLS terminated by this process. */
  readonly encrypted: boolean;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The client as the server should see it. */
export interface ClientInfo {
  readonly ip: string;
  readonly secure: boolean;
}

/**
 * Derive the client's IP and `secure` flag.
 *
 * If the socket peer is not a trusted proxy, its forwarding headers are ignored. Otherwise the
 * hops the headers list are walked from the right (nearest) end: the first address that is not
 * a trusted proxy is the client (all trusted: the left-most one). `secure` is the scheme that
 * hop's proxy received, when the headers say; otherwise whether this process terminated TLS.
 * With X-Forwarded-Proto, a single value is the nearest proxy's assertion; a list as long as
 * X-Forwarded-For is aligned with it.
 */
export function clientInfo(facts: ConnectionFacts, trusted: TrustedProxies, mode: ForwardedMode = 'x-forwarded'): ClientInfo {
  const peer = normalizeIp(facts.peer) ?? facts.peer;
  const direct = { ip: peer, secure: facts.encrypted };
  if (!trusted.has(peer)) return direct;
  const hops = mode === 'forwarded' ? forwardedHops(header(facts.headers, 'forwarded')) : xForwardedHops(facts.headers);
  if (hops.length === 0) return direct;
  // Walk from the nearest hop outwards; `known` is the last address we could verify.
  let known = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    const ip = hop.for === undefined ? undefined : normalizeIp(hop.for);
    const isLast = i === 0;
    if (ip === undefined) {
      // `unknown`, obfuscated or absent (RFC 7239 §6): the client is hidden behind the proxy that said so.
      return { ip: known, secure: secureOf(hop, facts.encrypted) };
    }
    if (!trusted.has(ip) || isLast) return { ip, secure: secureOf(hop, facts.encrypted) };
    known = ip;
  }
  return direct;
}

function secureOf(hop: Hop, encrypted: boolean): boolean {
  if (hop.proto === undefined) return encrypted;
  return hop.proto.trim().toLowerCase() === 'https';
}

function header(headers: ConnectionFacts['headers'], name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** X-Forwarded-For entries as hops, each with its X-Forwarded-Proto where one can be attributed. */
function xForwardedHops(headers: ConnectionFacts['headers']): Hop[] {
  const fors = list(header(headers, 'x-forwarded-for'));
  const protos = list(header(headers, 'x-forwarded-proto'));
  if (fors.length === 0) {
    // No address list, but the trusted peer may still say what scheme its client used.
    return protos.length > 0 ? [{ for: undefined, proto: protos[protos.length - 1] }] : [];
  }
  return fors.map((f, i) => ({
    for: f,
    // Aligned lists: one scheme per hop. Otherwise only the nearest proxy's (right-most) value
    // is attributable, and it describes the connection it received.
    proto: protos.length === fors.length ? protos[i] : protos[protos.length - 1],
  }));
}

/** RFC 7239 §4: `Forwarded: for=192.0.2.43;proto=https, for="[2001:db8::1]:4711"`. */
export function parseForwarded(value: string | undefined): { for?: string; proto?: string; by?: string; host?: string }[] {
  if (value === undefined) return [];
  const elements: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let i = 0;
  const n = value.length;
  const skipSpace = (): void => { while (i < n && (value[i] === ' ' || value[i] === '\t')) i++; };
  while (i < n) {
    skipSpace();
    let name = '';
    while (i < n && !'=;,'.includes(value[i]!)) name += value[i++];
    name = name.trim().toLowerCase();
    let val = '';
    if (value[i] === '=') {
      i++;
      skipSpace();
      if (value[i] === '"') {
        i++;
        while (i < n && value[i] !== '"') {
          if (value[i] === '\\' && i + 1 < n) i++;
          val += value[i++];
        }
        i++; // closing quote
        while (i < n && value[i] !== ';' && value[i] !== ',') i++;
      } else {
        while (i < n && value[i] !== ';' && value[i] !== ',') val += value[i++];
        val = val.trim();
      }
    }
    if (name) current[name] = val;
    if (value[i] === ',') {
      elements.push(current);
      current = {};
    }
    i++;
  }
  elements.push(current);
  return elements.filter((e) => Object.keys(e).length > 0);
}

function forwardedHops(value: string | undefined): Hop[] {
  return parseForwarded(value).map((e) => ({ for: e.for, proto: e.proto }));
}
