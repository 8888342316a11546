/**
 * @module register/addresses
 * IP address lists for registration_allowlist / registration_blocklist: single addresses and
 * CIDR ranges (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6 prefixes), IPv4 and IPv6, as an
 * option spec and a matcher (node:net BlockList).
 */
import { BlockList, isIP } from 'node:net';
import { INVALID, option, type OptionSpec } from '../../core/api.js';

/** True when `entry` is an IPv4/IPv6 address or CIDR range (prefix within the address size). */
export function isAddressOrRange(entry: unknown): entry is string {
  if (typeof entry !== 'string') return false;
  const slash = entry.indexOf('/');
  if (slash === -1) return isIP(entry) !== 0;
  const family = isIP(entry.slice(0, slash));
  const prefix = entry.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** An option holding a list of addresses and CIDR ranges. */
export function addressListOption<D extends readonly string[] | undefined>(o: { default: D; doc: string }): OptionSpec<readonly string[] | D> {
  return option.custom<readonly string[] | D>({
    default: o.default,
    doc: o.doc,
    describe: 'an array of IP addresses and CIDR ranges (e.g. "192.0.2.0/24", "2001:db8::/32")',
    parse: (raw) => (Array.isArray(raw) && raw.every(isAddressOrRange) ? Object.freeze([...raw]) : INVALID),
  });
}

/** The address without an IPv4-mapped IPv6 prefix (`::ffff:192.0.2.1` is `192.0.2.1`). */
export function canonicalIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip.toLowerCase();
}

/** Matches addresses against a list of addresses and ranges. */
export class AddressList {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /** @throws Error for an entry that is not an address or range (the option spec refuses those first). */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (!isAddressOrRange(entry)) throw new Error(`not an IP address or CIDR range: ${entry}`);
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(prefix), type);
    }
    this.#empty = entries.length === 0;
  }

  /** True when `ip` is one of the addresses or inside one of the ranges. */
  has(ip: string): boolean {
    if (this.#empty) return false;
    const address = canonicalIp(ip);
    const family = isIP(address);
    if (family === 0) return false;
    return this.#list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}
