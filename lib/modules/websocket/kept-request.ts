/**
 * @module websocket/kept-request
 * What a WebSocket session keeps of its upgrade request after the handshake (the public
 * WebSocketRequest): the http module's facts and the headers, without Node's request object
 * (raw headers, stream state, socket links) and with the URL parsed again only when asked.
 * An idle connection is mostly this kind of bookkeeping, so it is kept small.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpRequest } from '../../core/http-api.js';
import type { WebSocketRequest } from '../../core/websocket-api.js';

export class KeptRequest implements WebSocketRequest {
  readonly method: string;
  readonly path: string;
  readonly rawPath: string;
  readonly headers: IncomingHttpHeaders;
  readonly ip: string;
  readonly secure: boolean;
  readonly encrypted: boolean;
  readonly host: string;
  readonly vhost: string | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly app: string;
  readonly basePath: string;
  readonly wildcard: string | undefined;
  readonly #href: string;
  #url: URL | undefined;

  constructor(request: HttpRequest) {
    this.method = request.method;
    this.path = request.path;
    this.rawPath = request.rawPath === request.path ? request.path : request.rawPath;
    this.headers = request.headers;
    this.ip = request.ip;
    this.secure = request.secure;
    this.encrypted = request.encrypted;
    this.host = request.host;
    this.vhost = request.vhost;
    this.remoteAddress = request.remoteAddress;
    this.remotePort = request.remotePort;
    this.app = request.app;
    this.basePath = request.basePath;
    this.wildcard = request.wildcard;
    this.#href = request.url.href;
  }

  /** The request URL (scheme from `secure`, authority from `Host`), parsed on first use. */
  get url(): URL {
    return this.#url ??= new URL(this.#href);
  }
}
