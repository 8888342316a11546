/**
 * @module http-api
 * `xmpp-server-core/http`: the public contract of the `http` module, for module authors who
 * serve HTTP: the app a module provides with `module.provides('http', app)`, the request and
 * response its handlers receive, the events the http module answers, and `httpUrl()`.
 * Modules import it instead of the http module itself.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ModuleApi } from './api.js';

/** What a handler returns: a number = status with a default page, a string = an HTML body, nothing = it answered itself. */
export type HttpResult = void | undefined | number | string;

/**
 * A route handler. Returning `undefined` means the handler has answered through `res` (or will,
 * e.g. while streaming); a number answers with that status and a small page; a string is sent
 * as `text/html`. A thrown error or rejected promise becomes a 500 page.
 */
export type HttpHandler = (req: HttpRequest, res: HttpResponse) => HttpResult | Promise<HttpResult>;

/**
 * Answers an upgrade request with an HTTP error instead (a small page from `http-message`,
 * plus `headers`) and closes the socket.
 */
export type HttpUpgradeRefusal = (status: number, message?: string, headers?: Readonly<Record<string, string>>) => void;

/**
 * Takes over a request carrying `Upgrade:` that was routed to the app (the websocket module
 * passes these to ws's `handleUpgrade`). The socket and head bytes now belong to the handler;
 * `refuse` answers with an HTTP error instead (e.g. 501 without the `xmpp` subprotocol).
 */
export type HttpUpgradeHandler = (req: HttpRequest, socket: Duplex, head: Buffer, refuse: HttpUpgradeRefusal) => void;

/** Per-app CORS settings (the app's `cors`, or `http_cors_override[name]` in the config). */
export interface CorsOverride {
  /** false: no CORS headers for this app. Default true when the object is given. */
  readonly enabled?: boolean;
  /** Send `Access-Control-Allow-Credentials: true` (the origin is then always reflected). */
  readonly credentials?: boolean;
  /** Allowed origins (`https://example.org`), or '*' for any. Default: access_control_allow_origins. */
  readonly origins?: readonly string[] | '*';
  /** Extra methods for `Access-Control-Allow-Methods`. */
  readonly methods?: readonly string[];
  /** Extra request headers for `Access-Control-Allow-Headers`. */
  readonly headers?: readonly string[];
  /** Seconds a preflight answer may be cached. */
  readonly max_age?: number;
}

/**
 * An HTTP app, provided per host (`module.provides('http', app)` in addHost or load) or
 * host-agnostic from a global module's own instance.
 * @example
 * module.provides('http', { name: 'status', route: { 'GET': () => '<p>ok</p>' } });
 */
export interface HttpApp {
  /** The app's name: the key of `http_paths` and `http_cors_override`. */
  readonly name: string;
  /** Path used when `http_paths` has no entry for the app; default `/<name>`. `$host` is substituted. */
  readonly default_path?: string;
  /**
   * Routes relative to the app's base path, Prosody-style: `'GET'` (the base path),
   * `'GET /'`, `'POST /upload'`, `'GET /*'` (any tail). The base path and base + '/' are the same route.
   */
  readonly route: Readonly<Record<string, HttpHandler>>;
  readonly cors?: CorsOverride;
  /**
   * How request bodies reach the handlers: 'buffer' (default) reads them into `req.body`, up to
   * `http_max_content_size` (413 above); 'stream' leaves them unread on `req.raw` for the handler
   * to stream (large uploads), which then enforces its own size limit and reads or refuses the body.
   */
  readonly body?: 'buffer' | 'stream';
  /** Handles `Upgrade:` requests for the app's paths (WebSocket). Without it they get 404/400. */
  readonly upgrade?: HttpUpgradeHandler;
}

/** One request, after VirtualHost routing and trusted-proxy resolution. */
export interface HttpRequest {
  readonly method: string;
  /** The request URL (scheme from `secure`, authority from `Host`). */
  readonly url: URL;
  /** Decoded path (`/files/a b.txt`). */
  readonly path: string;
  /** Path as sent, percent-encoded and dot-segment-normalised, without the query. */
  readonly rawPath: string;
  readonly headers: IncomingHttpHeaders;
  /** The client's IP: the socket peer, or what trusted proxies say (X-Forwarded-For / Forwarded). */
  readonly ip: string;
  /** The client's leg is confidential: TLS here, or `https` asserted by a trusted proxy. */
  readonly secure: boolean;
  /** TLS terminated by this process (channel binding is only possible then). */
  readonly encrypted: boolean;
  /** The VirtualHost the request was routed to, or '*' for a host-agnostic app. */
  readonly host: string;
  /**
   * The VirtualHost this request is for, whichever app serves it: the one its `Host` header
   * names (by `http_host`), else `http_default_host`'s; undefined when none. A host-agnostic
   * app (`host` '*') reads the VirtualHost here instead of parsing `Host` itself.
   */
  readonly vhost: string | undefined;
  /** The socket peer's address and port (the proxy, when there is one). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The app that serves the request, and its base path ('' for the root). */
  readonly app: string;
  readonly basePath: string;
  /** For a `/*` route: the matched tail without its leading '/' ('' for the base path itself). */
  readonly wildcard: string | undefined;
  readonly raw: IncomingMessage;
  /** The request body, read up to http_max_content_size (absent for requests without one, and for apps with `body: 'stream'`). */
  body?: Buffer;
}

/** A small wrapper over Node's ServerResponse; every method but status/header ends the response. */
export interface HttpResponse {
  readonly raw: ServerResponse;
  /** Whether the response has ended (or its headers were sent, e.g. while streaming). */
  readonly sent: boolean;
  status(code: number): this;
  header(name: string, value: string | number | readonly string[]): this;
  /** Send a body (default type: `text/html; charset=utf-8` for strings, `application/octet-stream` for buffers). */
  send(body?: string | Buffer, type?: string): void;
  json(value: unknown): void;
  /** Answer with a small HTML page for `code` (the module's error/info page). */
  page(code: number, message?: string): void;
  end(): void;
}

/** A socket the http module listens on (reported through the core's `listeners` event as service 'http' / 'https'). */
export interface HttpListenerInfo {
  readonly kind: 'http' | 'https';
  readonly address: string;
  readonly port: number;
}

/** Payload of the global `http-url` event: the public URL of an app on a host. */
export interface HttpUrlQuery {
  /** The VirtualHost, or '*' for a host-agnostic app. */
  readonly host: string;
  readonly name: string;
  readonly defaultPath?: string;
  /** false: prefer the plain http listener. Default: https when listening, else http. */
  readonly secure?: boolean;
}

/** Payload of the global `http-message` event: render a small page (returns the HTML). */
export interface HttpMessageQuery {
  readonly status?: number;
  readonly title?: string;
  readonly message?: string;
}

/**
 * The URL at which the app `name` that `module` provides is reachable (on the module's host,
 * or host-agnostic for a global module's own instance). Honours `http_external_url`,
 * `http_host` and `http_paths`; prefers https when it is listening, unless `secure` is false.
 * @example const url = httpUrl(module, 'websocket', '/xmpp-websocket'); // "https://example.org:5281/xmpp-websocket"
 */
export function httpUrl(module: Pick<ModuleApi<unknown>, 'host' | 'fireGlobal'>, name: string, defaultPath?: string, secure?: boolean): string | undefined {
  const url = module.fireGlobal('http-url', { host: module.host, name, defaultPath, secure });
  return typeof url === 'string' ? url : undefined;
}

declare module './api.js' {
  interface Items {
    http: HttpApp;
  }
  interface Events {
    /** Global: the public URL of an app (answered by the http module). */
    'http-url': HttpUrlQuery;
    /** Global: render a small page (answered by the http module). */
    'http-message': HttpMessageQuery;
  }
}
