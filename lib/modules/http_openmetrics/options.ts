/**
 * @module http_openmetrics/options
 * Who may scrape `/metrics` (Prosody's option names): `openmetrics_allow_ips`, exact
 * addresses (loopback by default), and `openmetrics_allow_cidr`, ranges (a string as in
 * Prosody, or an array of them).
 */
import { INVALID, option, normalizeIp, parseAddressRange } from '../../core/api.js';
import type { OptionValues } from '../../core/api.js';

function parseIps(raw: unknown): ReadonlySet<string> | typeof INVALID {
  if (!Array.isArray(raw)) return INVALID;
  const out = new Set<string>();
  for (const entry of raw) {
    const ip = typeof entry === 'string' ? normalizeIp(entry) : undefined;
    if (ip === undefined) return INVALID;
    out.add(ip);
  }
  return out;
}

function parseCidrs(raw: unknown): readonly string[] | typeof INVALID {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || !list.every((e) => typeof e === 'string' && parseAddressRange(e) !== undefined)) return INVALID;
  return Object.freeze([...list] as string[]);
}

export const OPENMETRICS_OPTIONS = {
  openmetrics_allow_ips: option.custom<ReadonlySet<string>>({
    default: new Set(['::1', '127.0.0.1']),
    scope: 'global',
    describe: 'an array of IP addresses',
    parse: parseIps,
    doc: 'Client addresses allowed to read /metrics (behind a trusted proxy: the forwarded address). Others get 403.',
  }),
  openmetrics_allow_cidr: option.custom<readonly string[]>({
    default: [],
    scope: 'global',
    describe: 'a CIDR range ("10.0.0.0/8"), or an array of them',
    parse: parseCidrs,
    doc: 'Address ranges also allowed to read /metrics, e.g. "10.0.0.0/8" or ["10.0.0.0/8", "fd00::/8"].',
  }),
};

export type OpenMetricsOptions = OptionValues<typeof OPENMETRICS_OPTIONS>;
