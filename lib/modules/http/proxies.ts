/**
 * @module http/proxies
 * Who the client is behind reverse proxies: `trusted_proxies` (IPs and CIDRs, v4 and v6),
 * X-Forwarded-For / X-Forwarded-Proto or RFC 7239 `Forwarded`, giving `request.ip` and
 * `request.secure`. Forwarding headers from a peer that is not a trusted proxy are ignored.
 */
import { BlockList, isIP } from 'node:net';

/** Which forwarding headers trusted proxies send (`http_forwarded_header`). */
export type ForwardedMode = 'x-forwarded' | 'forwarded';

/** A parsed trusted_proxies entry. */
export interface ProxyEntry {
  readonly address: string;
  readonly prefix: number;
  readonly family: 4 | 6;
}

/**
 * Parse one trusted_proxies entry: an IP (`10.0.0.1`, `::1`) or a CIDR (`10.0.0.0/8`, `fd00::/8`).
 * Returns undefined for anything else.
 */
export function parseProxyEntry(text: string): ProxyEntry | undefined {
  const [addr, bits, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const address = normalizeIp(addr);
  if (!address) return undefined;
  const family = isIP(address) as 4 | 6;
  const max = family === 4 ? 32 : 128;
  if (bits === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  return prefix <= max ? { address, prefix, family } : undefined;
}

/**
 * Normalise an address as found in a socket or a forwarding header: strips `[...]`, a `:port`,
 * an IPv6 zone and the IPv4-mapped prefix (`::ffff:127.0.0.1` is `127.0.0.1`).
 * Returns undefined when the text is not an IP address (`unknown`, `_hidden`, a name).
 */
export function normalizeIp(text: string): string | undefined {
  let s = text.trim();
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) s = s.slice(1, -1);
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracket) s = bracket[1]!;
  else if (/^[\d.]+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const family = isIP(s);
  if (family === 0) return undefined;
  if (family === 6) {
    s = s.toLowerCase();
    const mapped = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (mapped && isIP(mapped[1]!) === 4) return mapped[1]!;
  }
  return s;
}

/** The set of trusted proxies. */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly entries: readonly ProxyEntry[];

  /** @throws Error naming the first entry that is neither an IP nor a CIDR. */
  constructor(entries: readonly string[]) {
    const parsed: ProxyEntry[] = [];
    for (const text of entries) {
      const entry = parseProxyEntry(text);
      if (!entry) throw new Error(`not an IP address or CIDR: ${JSON.stringify(text)}`);
      const type = entry.family === 4 ? 'ipv4' : 'ipv6';
      if (entry.prefix === (entry.family === 4 ? 32 : 128)) this.#list.addAddress(entry.address, type);
      else this.#list.addSubnet(entry.address, entry.prefix, type);
      parsed.push(entry);
    }
    this.entries = Object.freeze(parsed);
  }

  /** Whether `ip` (normalised or not) is a trusted proxy. */
  has(ip: string): boolean {
    const address = normalizeIp(ip);
    if (!address) return false;
    try {
      return this.#list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
    } catch {
      return false;
    }
  }
}

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
