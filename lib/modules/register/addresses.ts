/**
 * @module register/addresses
 * IP address lists for registration_allowlist / registration_blocklist: single addresses and
 * CIDR ranges (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6 prefixes), IPv4 and IPv6, as an
 * option spec and a matcher (node:net BlockList).
 */
import { isIP } from 'node:net';
import { AddressList, INVALID, option, type OptionSpec } from '../../core/api.js';

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

export { AddressList };
