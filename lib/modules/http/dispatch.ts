/**
 * @module http/dispatch
 * From a Node request to an app's handler: client IP and `secure` (trusted proxies), the
 * VirtualHost from `Host`, route matching (host-agnostic apps first), CORS and preflights,
 * body limits, handler results, upgrades, and answers to malformed requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { corsHeaders, isPreflight } from './cors.js';
import { DEFAULT_MESSAGES, pageHeaders, statusText } from './pages.js';
import { clientInfo } from './proxies.js';
import { ResponseWriter, sameOriginLocation } from './response.js';
import type { Mount, Route, RouteMatch } from './routing.js';
import type { HttpState } from './state.js';
import type { HttpRequest } from '../../core/http-api.js';

/** A request's facts before routing; or the status that refuses it. */
type Prepared =
  | { readonly ok: true; readonly vhost: string | undefined; readonly url: URL; readonly path: string; readonly ip: string; readonly secure: boolean; readonly encrypted: boolean }
  | { readonly ok: false; readonly status: number; readonly message?: string };

const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'TRACE']);

function isEncrypted(socket: Socket): boolean {
  return (socket as Socket & { encrypted?: boolean }).encrypted === true;
}

function prepare(state: HttpState, raw: IncomingMessage): Prepared {
  const socket = raw.socket;
  const encrypted = isEncrypted(socket);
  const { ip, secure } = clientInfo({ peer: socket.remoteAddress ?? '', encrypted, headers: raw.headers }, state.trusted, state.options.http_forwarded_header);
  const target = raw.url ?? '';
  if (!target.startsWith('/') && !/^https?:\/\//i.test(target)) return { ok: false, status: 400, message: 'The request target must be a path.' };
  const hostHeader = raw.headers.host;
  const vhost = state.resolveHost(hostHeader);
  const authority = hostHeader !== undefined && /^[a-z0-9.\-_~[\]:%]+$/i.test(hostHeader) ? hostHeader : (vhost ?? 'localhost');
  let url: URL;
  try {
    // Concatenated, not resolved against a base: '//other.example/x' stays a path.
    const pathAndQuery = target.startsWith('/') ? target : ((u) => u.pathname + u.search)(new URL(target));
    url = new URL(`${secure ? 'https' : 'http'}://${authority}${pathAndQuery}`);
  } catch {
    return { ok: false, status: 400, message: 'The request target is not a valid URL.' };
  }
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400, message: 'The request path is not valid percent-encoded UTF-8.' };
  }
  if (path.includes('\0')) return { ok: false, status: 400 };
  return { ok: true, vhost, url, path, ip, secure, encrypted };
}

function toRequest(raw: IncomingMessage, p: Extract<Prepared, { ok: true }>, mount: Mount, wildcard: string | undefined, method: string): HttpRequest {
  return {
    method,
    url: p.url,
    path: p.path,
    rawPath: p.url.pathname,
    headers: raw.headers,
    ip: p.ip,
    secure: p.secure,
    encrypted: p.encrypted,
    host: mount.host,
    vhost: p.vhost,
    remoteAddress: raw.socket.remoteAddress ?? '',
    remotePort: raw.socket.remotePort ?? 0,
    app: mount.app.name,
    basePath: mount.base,
    wildcard,
    raw,
  };
}

/** Host-agnostic apps first (Prosody's order), then the VirtualHost's. */
function matchRoute(state: HttpState, vhost: string | undefined, method: string, path: string): RouteMatch {
  const global = state.tables.get('*')!.match(method, path);
  if (global.kind === 'route') return global;
  const local = vhost === undefined ? undefined : state.tables.get(vhost)?.match(method, path);
  if (local && local.kind !== 'none') return local;
  return global;
}

/** Read the body up to `limit` bytes; 'too-large' beyond; undefined if the client went away. */
function readBody(raw: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: Buffer | 'too-large' | undefined): void => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
      raw.off('aborted', onError);
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        raw.pause();
        done('too-large');
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => done(Buffer.concat(chunks, size));
    const onError = (): void => done(undefined);
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
    raw.on('aborted', onError);
  });
}

function hasBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  return raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Close the connection after this response (an unread or oversized body). */
function refuse(res: ResponseWriter, status: number, message?: string): void {
  res.header('connection', 'close');
  res.page(status, message);
}

async function serveRoute(
  state: HttpState, raw: IncomingMessage, res: ResponseWriter, p: Extract<Prepared, { ok: true }>, route: Route, wildcard: string | undefined,
): Promise<void> {
  const mount = route.mount;
  const method = raw.method ?? 'GET';
  const request = toRequest(raw, p, mount, wildcard, method);
  const origin = typeof raw.headers.origin === 'string' ? raw.headers.origin : undefined;
  for (const [k, v] of Object.entries(corsHeaders(mount.cors, origin, isPreflight(method, raw.headers)))) res.header(k, v);
  if (mount.app.body !== 'stream' && (hasBody(raw) || !BODYLESS_METHODS.has(method))) {
    const limit = state.options.http_max_content_size;
    const declared = Number(raw.headers['content-length'] ?? 0);
    if (declared > limit) return refuse(res, 413);
    const body = await readBody(raw, limit);
    if (body === undefined) return;
    if (body === 'too-large') return refuse(res, 413);
    request.body = body;
  }
  const result = await route.handler(request, res);
  if (res.sent) return;
  if (typeof result === 'number') res.page(result);
  else if (typeof result === 'string') res.send(result);
}

/** The answer to OPTIONS on a path with no OPTIONS route: CORS preflight or plain Allow. */
function answerOptions(raw: IncomingMessage, res: ResponseWriter, mount: Mount, allowed: readonly string[]): void {
  const origin = typeof raw.headers.origin === 'string' ? raw.headers.origin : undefined;
  for (const [k, v] of Object.entries(corsHeaders(mount.cors, origin, isPreflight('OPTIONS', raw.headers)))) res.header(k, v);
  res.header('allow', allowed.join(', '));
  res.status(204).end();
}

/** The 'request' listener of every HTTP(S) server of the module. */
export function createRequestListener(state: HttpState): (raw: IncomingMessage, rawRes: ServerResponse) => void {
  return function httpOnRequest(raw, rawRes) {
    const res = new ResponseWriter(rawRes, state.render);
    handle(state, raw, res).catch((err: unknown) => {
      state.log.error({ err, method: raw.method, path: raw.url?.split('?')[0] }, 'http handler failed');
      if (!res.sent) res.page(500);
      else rawRes.destroy();
    });
  };
}

async function handle(state: HttpState, raw: IncomingMessage, res: ResponseWriter): Promise<void> {
  const p = prepare(state, raw);
  if (!p.ok) {
    state.log.warn({ ip: raw.socket.remoteAddress, status: p.status }, 'bad http request');
    return refuse(res, p.status, p.message);
  }
  const method = raw.method ?? 'GET';
  const match = matchRoute(state, p.vhost, method, p.path);
  if (match.kind === 'route') return serveRoute(state, raw, res, p, match.route, match.wildcard);
  if (match.kind === 'method') {
    if (method === 'OPTIONS') return answerOptions(raw, res, match.mount, match.allowed);
    res.header('allow', match.allowed.join(', '));
    return hasBody(raw) ? refuse(res, 405) : res.page(405);
  }
  const message = p.vhost === undefined ? 'Unknown host.' : undefined;
  return hasBody(raw) ? refuse(res, 404, message) : res.page(404, message);
}

/** Write a complete HTTP/1.1 error response on a raw socket and close it. */
export function rejectSocket(state: HttpState, socket: Duplex, status: number, message?: string, extra: Readonly<Record<string, string>> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = state.render({ status, message: message ?? DEFAULT_MESSAGES[status] });
  // Headers from a module are written raw: drop any that could split the response.
  const safe = Object.entries(extra)
    .filter(([k, v]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && !/[\r\n]/.test(v))
    .map(([k, v]) => [k, k.toLowerCase() === 'location' ? sameOriginLocation(v) : v]);
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    ...pageHeaders(body),
    ...Object.fromEntries(safe),
  };
  const head = [`HTTP/1.1 ${status} ${statusText(status)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`);
  socket.once('finish', () => socket.destroy());
}

/** An upgraded socket knows the set that lists it (shared listeners: no closures per connection). */
const kUpgraded = Symbol('http-upgraded');
type UpgradedSocket = Duplex & { [kUpgraded]?: Set<Duplex> };

function destroyOnError(this: Duplex): void {
  this.destroy();
}

function forgetUpgraded(this: UpgradedSocket): void {
  this[kUpgraded]?.delete(this);
  this[kUpgraded] = undefined;
}

/** The 'upgrade' listener: hand the socket to the app that upgrades this path, or refuse. */
export function createUpgradeListener(state: HttpState): (raw: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return function httpOnUpgrade(raw, socket, head) {
    socket.on('error', destroyOnError);
    const p = prepare(state, raw);
    if (!p.ok) {
      state.log.warn({ ip: raw.socket.remoteAddress, status: p.status }, 'bad http upgrade request');
      return rejectSocket(state, socket, p.status, p.message);
    }
    const global = state.tables.get('*')!.matchUpgrade(p.path);
    const local = p.vhost === undefined ? undefined : state.tables.get(p.vhost)?.matchUpgrade(p.path);
    const found = global.mount ? global : local?.mount ? local : undefined;
    if (!found?.mount) {
      const exists = (!global.mount && global.exists) || (local !== undefined && !local.mount && local.exists);
      // RFC 9110 §7.8: a server may ignore Upgrade; an app that never upgrades cannot, here.
      if (exists) return rejectSocket(state, socket, 400, 'This resource does not accept protocol upgrades.');
      return rejectSocket(state, socket, 404, p.vhost === undefined ? 'Unknown host.' : undefined);
    }
    const { mount, wildcard } = found;
    const request = toRequest(raw, p, mount, wildcard, raw.method ?? 'GET');
    state.upgraded.add(socket);
    (socket as UpgradedSocket)[kUpgraded] = state.upgraded;
    socket.on('close', forgetUpgraded); // a socket closes once: no once() wrapper
    const refuse = (status: number, message?: string, headers: Readonly<Record<string, string>> = {}): void =>
      rejectSocket(state, socket, status, message, headers);
    try {
      mount.app.upgrade!(request, socket, head, refuse);
    } catch (err) {
      state.log.error({ err, app: mount.app.name }, 'http upgrade handler failed');
      if (!socket.destroyed) rejectSocket(state, socket, 500);
    }
  };
}

/** The 'clientError' listener: 431 for oversized heads, 408 for timeouts, 400 otherwise. */
export function createClientErrorListener(state: HttpState): (err: Error & { code?: string }, socket: Duplex) => void {
  return function httpOnClientError(err, socket) {
    const code = err.code ?? 'unknown';
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    state.log.warn({ code, status, ip: (socket as Socket).remoteAddress }, 'bad http request');
    rejectSocket(state, socket, status);
  };
}
