/**
 * @module websocket/handshake
 * Checks on an `Upgrade: websocket` request before it is handed to `ws` (RFC 6455 §4.2.1,
 * RFC 7395 §3.1): method and HTTP version, headers, WebSocket version (426), the `xmpp`
 * subprotocol and the Origin allow-list (403), so every refusal is an HTTP answer whose body
 * says why (written by the http module's `refuse`).
 */
import type { HttpRequest } from '../../core/http-api.js';
import { normalizeOrigin, type OriginPolicy } from './options.js';

/** The IANA subprotocol token (RFC 7395 §3.1). */
export const XMPP_SUBPROTOCOL = 'xmpp';

/** Why an upgrade is refused: the HTTP status, a sentence for the body, extra headers. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

// RFC 7230 §3.2.6 tchar.
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6455 §4.2.1 item 5: base64 of 16 bytes.
const KEY = /^[+/0-9A-Za-z]{22}==$/;

function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * The subprotocols of a Sec-WebSocket-Protocol value (RFC 6455 §4.1: comma-separated tokens),
 * or undefined when it is malformed or repeats a token (what `ws` would refuse).
 */
export function parseSubprotocols(value: string): string[] | undefined {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const token = part.replace(/^[ \t]+|[ \t]+$/g, '');
    if (!TCHAR.test(token) || out.includes(token)) return undefined;
    out.push(token);
  }
  return out;
}

/** Whether `origin` may open a WebSocket under `policy` (undefined policy: any origin). */
export function originAllowed(policy: OriginPolicy | undefined, origin: string | undefined): boolean {
  // RFC 6455 §10.2: Origin is sent by browsers; native clients send none and are not gated.
  if (policy === undefined || origin === undefined) return true;
  const normal = normalizeOrigin(origin);
  if (normal === undefined) return false;
  if (policy.exact.has(normal)) return true;
  if (normal === 'null') return false;
  const url = new URL(normal);
  const host = url.hostname;
  for (const p of policy.patterns) {
    if (p.scheme !== undefined && p.scheme !== url.protocol) continue;
    if (p.port !== undefined && p.port !== (url.port || defaultPort(url.protocol))) continue;
    if (host.length > p.suffix.length && host.endsWith(p.suffix)) return true;
  }
  return false;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' || protocol === 'wss:' ? '443' : protocol === 'http:' || protocol === 'ws:' ? '80' : '';
}

/**
 * Check an upgrade request (RFC 6455 §4.2.1, RFC 7395 §3.1); undefined when it may proceed.
 * The order matters only for which reason is reported first.
 */
export function checkUpgrade(req: HttpRequest, origins: OriginPolicy | undefined): Refusal | undefined {
  if (req.method !== 'GET') return { status: 405, message: 'A WebSocket handshake is a GET request (RFC 6455 §4.2.1).', headers: { Allow: 'GET' } };
  // RFC 6455 §4.1 item 2, §4.2.1 item 1: an HTTP/1.1 or higher GET.
  const { httpVersionMajor: major, httpVersionMinor: minor } = req.raw;
  if (major < 1 || (major === 1 && minor < 1)) {
    return { status: 400, message: `A WebSocket handshake needs HTTP/1.1 or later, not HTTP/${major}.${minor} (RFC 6455 §4.1).` };
  }
  if (header(req, 'upgrade')?.trim().toLowerCase() !== 'websocket') {
    return { status: 400, message: 'This endpoint only upgrades to WebSocket (Upgrade: websocket).' };
  }
  const connection = header(req, 'connection') ?? '';
  if (!connection.split(',').some((t) => t.trim().toLowerCase() === 'upgrade')) {
    return { status: 400, message: 'A WebSocket handshake needs Connection: Upgrade (RFC 6455 §4.2.1).' };
  }
  const key = header(req, 'sec-websocket-key');
  if (key === undefined || !KEY.test(key.trim())) {
    return { status: 400, message: 'Missing or invalid Sec-WebSocket-Key (RFC 6455 §4.2.1).' };
  }
  if (header(req, 'sec-websocket-version')?.trim() !== '13') {
    // RFC 6455 §4.2.2 item 4: name the version we speak.
    return { status: 426, message: 'Only WebSocket version 13 is supported (RFC 6455 §4.4).', headers: { 'Sec-WebSocket-Version': '13' } };
  }
  const offered = header(req, 'sec-websocket-protocol');
  const protocols = offered === undefined ? [] : parseSubprotocols(offered);
  if (protocols === undefined) return { status: 400, message: 'The Sec-WebSocket-Protocol header is malformed (RFC 6455 §4.1).' };
  if (!protocols.some((p) => p.toLowerCase() === XMPP_SUBPROTOCOL)) {
    return { status: 400, message: 'XMPP over WebSocket needs the "xmpp" subprotocol: send Sec-WebSocket-Protocol: xmpp (RFC 7395 §3.1).' };
  }
  const origin = header(req, 'origin');
  if (!originAllowed(origins, origin)) {
    return { status: 403, message: 'WebSocket connections from this origin are not allowed here (websocket_allowed_origins).' };
  }
  return undefined;
}
