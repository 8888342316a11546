/**
 * @module http/options
 * The options of the `http` module: listeners, limits and timeouts (global), VirtualHost
 * routing and public URLs (per host), trusted proxies (global) and CORS (per host).
 */
import { INVALID, option } from '../../core/api.js';
import type { OptionValues } from '../../core/api.js';
import { parseAddressRange } from '../../core/api.js';
import type { CorsOverride } from '../../core/http-api.js';

const port = option.integer({ default: 0, min: 0, max: 65535 });
const text = option.string({ default: '' });

const HTTP_URL = /^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/i;

function parseStringList(raw: unknown): readonly string[] | typeof INVALID {
  if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) return INVALID;
  return Object.freeze([...raw] as string[]);
}

function parseCorsOverride(raw: unknown): CorsOverride | typeof INVALID {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return INVALID;
  const r = raw as Record<string, unknown>;
  const known = new Set(['enabled', 'credentials', 'origins', 'methods', 'headers', 'max_age']);
  if (Object.keys(r).some((k) => !known.has(k))) return INVALID;
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') return INVALID;
  if (r.credentials !== undefined && typeof r.credentials !== 'boolean') return INVALID;
  if (r.max_age !== undefined && !(typeof r.max_age === 'number' && Number.isInteger(r.max_age) && r.max_age >= 0)) return INVALID;
  const out: Record<string, unknown> = { ...r };
  for (const key of ['methods', 'headers'] as const) {
    if (r[key] === undefined) continue;
    const list = parseStringList(r[key]);
    if (list === INVALID) return INVALID;
    out[key] = list;
  }
  if (r.origins !== undefined && r.origins !== '*') {
    const list = parseStringList(r.origins);
    if (list === INVALID) return INVALID;
    out.origins = list;
  }
  return Object.freeze(out) as CorsOverride;
}

/** Every option the http module reads. */
export const HTTP_OPTIONS = {
  http_ports: option.array(port, { default: [5280], scope: 'global', doc: 'Plain HTTP ports (0 = any free port).' }),
  http_interfaces: option.array(text, { default: ['127.0.0.1', '::1'], scope: 'global', doc: 'Addresses plain HTTP listens on (loopback by default: put a TLS proxy in front; "*" = all).' }),
  https_ports: option.array(port, { default: [5281], scope: 'global', doc: 'HTTPS ports; started only when some host has a certificate and key.' }),
  https_interfaces: option.array(text, { default: ['*'], scope: 'global', doc: 'Addresses HTTPS listens on ("*" = all).' }),
  http_default_host: option.string<string | undefined>({ default: undefined, scope: 'global', doc: 'VirtualHost (or http_host) serving requests whose Host header names no known host.' }),
  http_host: option.string<string | undefined>({ default: undefined, doc: 'The HTTP Host name that routes to this VirtualHost (default: the VirtualHost name).' }),
  http_paths: option.record(text, { default: {}, doc: 'Base path per app name, e.g. { "websocket": "/ws" }; "$host" is replaced by the VirtualHost.' }),
  http_external_url: option.string<string | undefined>({ default: undefined, pattern: HTTP_URL, patternText: 'that is an http(s) URL', doc: 'Public base URL (behind a proxy) used for advertised URLs; routing is unchanged.' }),
  http_max_content_size: option.integer({ default: 10 * 1024 * 1024, min: 0, scope: 'global', doc: 'Largest request body in bytes (413 above).' }),
  http_max_header_size: option.integer({ default: 16 * 1024, min: 1024, max: 1024 * 1024, scope: 'global', doc: 'Largest request head in bytes (431 above).' }),
  http_headers_timeout: option.number({ default: 30, min: 1, scope: 'global', doc: 'Seconds a client has to send the request head (408 after).' }),
  http_request_timeout: option.number({ default: 300, min: 0, scope: 'global', doc: 'Seconds a client has to send a whole request (0 = no limit).' }),
  http_keepalive_timeout: option.number({ default: 5, min: 0, scope: 'global', doc: 'Seconds an idle keep-alive connection stays open.' }),
  trusted_proxies: option.custom<readonly string[]>({
    default: ['127.0.0.1', '::1'],
    scope: 'global',
    describe: 'an array of IP addresses or CIDR ranges ("10.0.0.0/8", "fd00::/8")',
    parse: (raw) => {
      const list = parseStringList(raw);
      return list !== INVALID && list.every((e) => parseAddressRange(e) !== undefined) ? list : INVALID;
    },
    doc: 'Proxies whose X-Forwarded-For / X-Forwarded-Proto (or Forwarded) headers are believed.',
  }),
  http_forwarded_header: option.oneOf(['x-forwarded', 'forwarded'], {
    default: 'x-forwarded',
    scope: 'global',
    doc: 'Which forwarding headers trusted proxies set: "x-forwarded" (X-Forwarded-For/-Proto) or "forwarded" (RFC 7239). The other kind is ignored.',
  }),
  access_control_allow_origins: option.custom<readonly string[] | undefined>({
    default: undefined,
    describe: 'an array of origins ("https://example.org")',
    parse: parseStringList,
    doc: 'CORS: origins allowed (unset = any origin).',
  }),
  access_control_allow_methods: option.set({ default: new Set(['GET', 'OPTIONS']), doc: 'CORS: methods allowed in preflights (each app\'s route methods are added).' }),
  access_control_allow_headers: option.set({ default: new Set(['Content-Type']), doc: 'CORS: request headers allowed in preflights.' }),
  access_control_allow_credentials: option.boolean({ default: false, doc: 'CORS: allow credentials (the origin is then reflected, never "*").' }),
  access_control_max_age: option.integer({ default: 7200, min: 0, doc: 'CORS: seconds a browser may cache a preflight answer.' }),
  http_default_cors_enabled: option.boolean({ default: true, doc: 'CORS for apps that declare no cors settings.' }),
  http_cors_override: option.record(
    option.custom<CorsOverride>({ default: {}, describe: 'an object { enabled, credentials, origins, methods, headers, max_age }', parse: parseCorsOverride }),
    { default: {}, doc: 'CORS settings per app name, e.g. { "websocket": { "enabled": false } }.' },
  ),
};

export type HttpOptions = OptionValues<typeof HTTP_OPTIONS>;
