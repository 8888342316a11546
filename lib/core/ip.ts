/**
 * @module ip
 * IP addresses as the server compares them: normalised (no brackets, port, zone or IPv4-mapped
 * prefix), and lists of addresses and CIDR ranges (trusted_proxies, registration allow and
 * block lists, ...), IPv4 and IPv6 (RFC 4632, RFC 4291 §2.3).
 */
import { BlockList, isIP } from 'node:net';

/** A parsed address or CIDR range. */
export interface AddressRange {
  readonly address: string;
  readonly prefix: number;
  readonly family: 4 | 6;
}

/**
 * Parse an IP (`10.0.0.1`, `::1`) or a CIDR range (`10.0.0.0/8`, `fd00::/8`).
 * Returns undefined for anything else.
 */
export function parseAddressRange(text: string): AddressRange | undefined {
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

/** Addresses and CIDR ranges, matched against normalised addresses. */
export class AddressList {
  readonly #list = new BlockList();
  readonly entries: readonly AddressRange[];

  /** @throws Error naming the first entry that is neither an IP nor a CIDR range. */
  constructor(entries: readonly string[]) {
    const parsed: AddressRange[] = [];
    for (const text of entries) {
      const entry = parseAddressRange(text);
      if (!entry) throw new Error(`not an IP address or CIDR: ${JSON.stringify(text)}`);
      const type = entry.family === 4 ? 'ipv4' : 'ipv6';
      if (entry.prefix === (entry.family === 4 ? 32 : 128)) this.#list.addAddress(entry.address, type);
      else this.#list.addSubnet(entry.address, entry.prefix, type);
      parsed.push(entry);
    }
    this.entries = Object.freeze(parsed);
  }

  /** Whether `ip` (normalised or not) is in the list. */
  has(ip: string): boolean {
    if (this.entries.length === 0) return false;
    const address = normalizeIp(ip);
    if (!address) return false;
    try {
      return this.#list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
    } catch {
      return false;
    }
  }
}
