/**
 * @module websocket/options
 * The options of the `websocket` module (Prosody's names where Prosody has one): security,
 * the Origin allow-list, keepalive, back-pressure, framing compatibility, shutdown redirects,
 * the info page and discovery. Most are per VirtualHost; the message buffer is global.
 */
import { INVALID, option } from '../../core/api.js';
import type { OptionValues } from '../../core/api.js';

/** A parsed `websocket_allowed_origins` entry that is not an exact origin. */
export interface OriginPattern {
  /** 'https:' / 'http:' ..., or undefined for any scheme. */
  readonly scheme: string | undefined;
  /** '.example.com' for '*.example.com' (strict subdomains only). */
  readonly suffix: string;
  /** The port as written, or undefined for any port. */
  readonly port: string | undefined;
}

/** The parsed Origin policy of a host: undefined = any origin. */
export interface OriginPolicy {
  /** Normalised exact origins ('https://chat.example.com', 'null'). */
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly OriginPattern[];
}

/**
 * Normalise a serialised origin (RFC 6454 §6.2) for comparison: lower case, default port
 * dropped, no path. Returns undefined for something that is not a tuple origin.
 */
export function normalizeOrigin(text: string): string | undefined {
  const t = text.trim();
  if (t === 'null') return 'null';
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+\/?$/i.test(t)) return undefined;
  try {
    const url = new URL(t);
    if (url.username !== '' || url.password !== '' || url.hostname === '') return undefined;
    return `${url.protocol}//${url.host}`;
  } catch {
    return undefined;
  }
}

const PATTERN = /^(?:([a-z][a-z0-9+.-]*):\/\/)?\*\.([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(\d{1,5}))?\/?$/i;

/** Parse one allow-list entry: an exact origin, or a `*.domain` pattern (optionally with scheme and port). */
export function parseOriginEntry(text: string): { exact: string } | { pattern: OriginPattern } | undefined {
  const m = PATTERN.exec(text.trim());
  if (m) {
    return { pattern: { scheme: m[1] === undefined ? undefined : `${m[1].toLowerCase()}:`, suffix: `.${m[2]!.toLowerCase()}`, port: m[3] } };
  }
  const exact = normalizeOrigin(text);
  return exact === undefined ? undefined : { exact };
}

function parseOrigins(raw: unknown): OriginPolicy | undefined | typeof INVALID {
  if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) return INVALID;
  if (raw.includes('*')) return undefined;
  const exact = new Set<string>();
  const patterns: OriginPattern[] = [];
  for (const entry of raw as string[]) {
    const parsed = parseOriginEntry(entry);
    if (parsed === undefined) return INVALID;
    if ('exact' in parsed) exact.add(parsed.exact);
    else patterns.push(parsed.pattern);
  }
  return Object.freeze({ exact, patterns: Object.freeze(patterns) });
}

const REDIRECT_URI = /^(wss?|https?):\/\/[^\s/?#]+(?:[/?#][^\s]*)?$/i;

/** Every option the websocket module reads. */
export const WEBSOCKET_OPTIONS = {
  consider_websocket_secure: option.boolean({
    default: false,
    doc: 'Treat every WebSocket session as secure (encrypted) even on plain ws://, e.g. behind a TLS-terminating proxy that sends no X-Forwarded-Proto. Prefer trusted_proxies + X-Forwarded-Proto.',
  }),
  websocket_allowed_origins: option.custom<OriginPolicy | undefined>({
    default: undefined,
    describe: 'an array of origins ("https://chat.example.com"), "*.example.com" / "https://*.example.com" wildcards, or "*"',
    parse: parseOrigins,
    doc: 'Origins allowed to open a WebSocket (others get 403); unset or "*" = any. A request without Origin (native clients) is always allowed.',
  }),
  websocket_ping_interval: option.number({
    default: 30, min: 0,
    doc: 'Seconds between WebSocket pings on each connection (0 = none). Keep it below your proxy\'s idle timeout (nginx: 60 s).',
  }),
  websocket_pong_timeout: option.number({
    default: 15, min: 1,
    doc: 'Seconds a client has to answer a WebSocket ping (a pong or any message) before the connection is closed as dead (connection-timeout, close 1011).',
  }),
  websocket_max_buffered_bytes: option.integer({
    default: 8 * 1024 * 1024, min: 16 * 1024,
    doc: 'Most bytes of output held for a client that reads slower than its stanzas arrive; beyond it, messages and requests for it are bounced to their senders with resource-constraint (the client stays connected).',
  }),
  websocket_slow_reader_grace: option.number({
    default: 10, min: 1,
    doc: 'Seconds a client may stay at websocket_max_buffered_bytes without reading anything before its session ends with resource-constraint and close 1013 (queued stanzas go to offline storage or back to their senders).',
  }),
  websocket_frame_buffer_limit: option.custom<number | undefined>({
    default: undefined, scope: 'global',
    describe: 'an integer >= 10000',
    parse: (raw) => (typeof raw === 'number' && Number.isInteger(raw) && raw >= 10000 ? raw : INVALID),
    doc: 'Largest WebSocket message in bytes read at all (fragments reassembled). Up to it, messages over the stanza limit get a policy-violation stream error; above it the connection fails with close 1009. Default: twice the largest c2s_stanza_size_limit.',
  }),
  websocket_max_fragments: option.integer({
    default: 1024, min: 1, scope: 'global',
    doc: 'Most frames one WebSocket message may be fragmented into (more: close 1008).',
  }),
  websocket_legacy_framing: option.boolean({
    default: false,
    doc: 'Also accept the pre-RFC framing (a <stream:stream> opening, </stream:stream> closing) from old clients; off by default, as it is not RFC 7395.',
  }),
  websocket_see_other_uri: option.string<string | undefined>({
    default: undefined, pattern: REDIRECT_URI, patternText: 'that is a ws(s) or http(s) URL',
    doc: "On shutdown, send <close see-other-uri='...'/> (RFC 7395 §3.6.1) instead of a system-shutdown error, so clients reconnect there. Never sent to a secure session when it is not wss:/https:.",
  }),
  websocket_get_response_text: option.string<string>({
    default: 'It works! Now point your XMPP client to this URL to connect over WebSocket.',
    doc: 'The message of the page a plain GET of the WebSocket endpoint shows.',
  }),
  websocket_get_response_body: option.string<string | undefined>({
    default: undefined,
    doc: 'A complete HTML page to show instead of the generated one on a plain GET of the endpoint.',
  }),
  websocket_host_meta: option.boolean({
    default: true,
    doc: 'Serve XEP-0156 discovery (/.well-known/host-meta and host-meta.json) advertising the wss:// URL of this endpoint.',
  }),
};

/** The resolved options of one host (or of the global section, for host '*'). */
export type WebSocketOptions = OptionValues<typeof WEBSOCKET_OPTIONS>;
