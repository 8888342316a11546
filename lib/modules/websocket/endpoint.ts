/**
 * @module websocket/endpoint
 * The endpoint of one server: the `ws` server (noServer, explicit limits), the registry of
 * WebSocket transports, per-host settings, the upgrade path (checks, session, the
 * `websocket-session` hook, then the 101), the info page, and shutdown with grace.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import type { Logger, ModuleApi, ServerApi } from '../../core/api.js';
import type { HttpApp, HttpRequest, HttpResponse, HttpUpgradeRefusal } from '../../core/http-api.js';
import { transportSessions } from '../../core/transport-api.js';
import { DEFAULT_PATH } from './discovery.js';
import { checkUpgrade, XMPP_SUBPROTOCOL, type Refusal } from './handshake.js';
import { KeepaliveSweep, type Clock } from './keepalive.js';
import type { WebSocketOptions } from './options.js';
import { infoPage, infoPageHeaders } from './page.js';
import { WebSocketTransport, type HostConfig, type TransportContext } from './transport.js';
import type { WebSocketSessionVerdict } from '../../core/websocket-api.js';

const kPending = Symbol('xmpp-websocket-pending');
type PendingRequest = IncomingMessage & { [kPending]?: WebSocketTransport };

function wssOnUpgrade(ws: WebSocket, req: IncomingMessage): void {
  const transport = (req as PendingRequest)[kPending];
  (req as PendingRequest)[kPending] = undefined;
  transport?.attach(ws);
}

function hostConfig(host: string, options: WebSocketOptions): HostConfig {
  return Object.freeze({
    host,
    options,
    pingMs: Math.round(options.websocket_ping_interval * 1000),
    pongMs: Math.round(options.websocket_pong_timeout * 1000),
  });
}

/** The largest stanza limit of any host (the message buffer is sized from it). */
function largestStanzaLimit(server: ServerApi): number {
  let max = server.sessions.settings('*').c2s_stanza_size_limit;
  for (const host of server.hostNames) max = Math.max(max, server.sessions.settings(host).c2s_stanza_size_limit);
  return max;
}

/** The longest c2s_close_timeout of any host, in ms. */
function longestCloseWait(server: ServerApi): number {
  let max = server.sessions.settings('*').c2s_close_timeout;
  for (const host of server.hostNames) max = Math.max(max, server.sessions.settings(host).c2s_close_timeout);
  return Math.round(max * 1000);
}

export class Endpoint implements TransportContext {
  readonly server: ServerApi;
  readonly log: Logger;
  readonly transports = new Set<WebSocketTransport>();
  /** The largest message ws reads at all (ws fails bigger ones with 1009). */
  readonly maxPayload: number;
  readonly #module: ModuleApi<WebSocketOptions>;
  readonly #sweep: KeepaliveSweep;
  readonly #wss: WebSocketServer;
  readonly #global: HostConfig;
  readonly #hosts = new Map<string, HostConfig>();
  readonly #waiters = new Set<() => void>();
  readonly #closeWaitMs: number;
  #warnedDowngrade = false;

  /** @param module the module's global instance ('*') */
  constructor(module: ModuleApi<WebSocketOptions>) {
    this.#module = module;
    this.server = module.server;
    this.log = module.log;
    this.#global = hostConfig('*', module.options);
    const largest = largestStanzaLimit(this.server);
    const configured = module.options.websocket_frame_buffer_limit;
    if (configured !== undefined && configured < largest) {
      this.log.warn({ websocket_frame_buffer_limit: configured, c2s_stanza_size_limit: largest }, 'websocket_frame_buffer_limit is below c2s_stanza_size_limit; larger stanzas fail the connection with close 1009 and no stream error');
    }
    this.maxPayload = configured ?? 2 * largest;
    this.#closeWaitMs = longestCloseWait(this.server);
    this.#sweep = new KeepaliveSweep(this.transports, (err) => this.log.error({ err }, 'websocket keepalive sweep failed for a connection'));
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      skipUTF8Validation: false,
      autoPong: true,
      maxPayload: this.maxPayload,
      maxFragments: module.options.websocket_max_fragments,
      // Socket reads held for one partial frame: bounded so 1-byte writes cannot pin memory.
      maxBufferedChunks: Math.max(1024, Math.ceil(this.maxPayload / 128)),
      // RFC 7395 §3.1: we only ever select `xmpp` (checked before the upgrade).
      handleProtocols: () => XMPP_SUBPROTOCOL,
      // RFC 6455 §7.1.1: how long to wait for the client's Close frame before dropping TCP.
      closeTimeout: Math.max(1000, this.#closeWaitMs),
    } as ServerOptions);
    this.#reschedule();
  }

  get clock(): Clock {
    return this.#sweep.clock;
  }

  /** The sweep period in ms (for tests and introspection). */
  get sweepPeriod(): number {
    return this.#sweep.period;
  }

  // ---- TransportContext --------------------------------------------------------------------

  hostConfig(host: string): HostConfig | undefined {
    return this.#hosts.get(host);
  }

  released(transport: WebSocketTransport): void {
    if (!this.transports.delete(transport)) return;
    for (const waiter of this.#waiters) waiter();
  }

  // ---- hosts -------------------------------------------------------------------------------

  /** The module was enabled on a VirtualHost with these options. */
  addHost(host: string, options: WebSocketOptions): void {
    this.#hosts.set(host, hostConfig(host, options));
    this.#reschedule();
  }

  removeHost(host: string): void {
    this.#hosts.delete(host);
    this.#reschedule();
  }

  #reschedule(): void {
    let shortest = Infinity;
    for (const c of [this.#global, ...this.#hosts.values()]) {
      if (c.pingMs > 0) shortest = Math.min(shortest, c.pingMs);
      shortest = Math.min(shortest, c.pongMs);
    }
    this.#sweep.schedule(shortest);
  }

  /**
   * The settings for a request: its endpoint's host, or (host-agnostic) the VirtualHost the
   * http module resolved for it (`Host`, `http_host`, `http_default_host`) when the module
   * runs there; else the global ones.
   */
  #configFor(endpointHost: string, req: HttpRequest): HostConfig {
    const host = endpointHost !== '*' ? endpointHost : req.vhost;
    return (host === undefined ? undefined : this.#hosts.get(host)) ?? this.#global;
  }

  // ---- HTTP --------------------------------------------------------------------------------

  /** The HTTP app of the endpoint on `endpointHost` (a VirtualHost, or '*' for every Host). */
  app(endpointHost: string): HttpApp {
    const info = (req: HttpRequest, res: HttpResponse): void => {
      const options = this.#configFor(endpointHost, req).options;
      res.header('cache-control', 'no-store');
      for (const [name, value] of Object.entries(infoPageHeaders(options))) res.header(name, value);
      res.send(infoPage(req, options), 'text/html; charset=utf-8');
    };
    return {
      name: 'websocket',
      default_path: DEFAULT_PATH,
      route: { GET: info },
      upgrade: (req, socket, head, refuse) => this.upgrade(endpointHost, req, socket, head, refuse),
    };
  }

  /**
   * An `Upgrade:` request reached the endpoint: check it (RFC 6455 §4.2.1, RFC 7395 §3.1),
   * create the session, let `websocket-session` handlers accept or refuse it, then switch
   * protocols. Any refusal is an HTTP answer saying why.
   */
  upgrade(endpointHost: string, req: HttpRequest, socket: Duplex, head: Buffer, refuse: HttpUpgradeRefusal): void {
    const config = this.#configFor(endpointHost, req);
    const crowded = this.server.stopping ? undefined : transportSessions(this.server).admit(req.ip);
    const refusal = this.server.stopping
      ? { status: 503, message: 'The server is shutting down.' }
      : crowded !== undefined
        ? { status: 503, message: crowded, headers: { 'retry-after': '5' } }
        : checkUpgrade(req, config.options.websocket_allowed_origins);
    if (refusal !== undefined) {
      this.log.debug({ ip: req.ip, status: refusal.status, reason: refusal.message }, 'websocket upgrade refused');
      refuse(refusal.status, refusal.message, refusal.headers);
      return;
    }
    const transport = new WebSocketTransport(this, req, config, endpointHost);
    this.transports.add(transport);
    const verdict = this.#verdict(transport, req);
    if (verdict !== undefined || transport.session.closed) {
      transport.abort();
      const r = verdict ?? { status: 403, message: 'This connection was refused.' };
      this.log.debug({ ip: req.ip, status: r.status }, 'websocket session refused by a websocket-session handler');
      refuse(r.status, r.message, r.headers);
      return;
    }
    if (!socket.readable || !socket.writable) {
      transport.abort();
      socket.destroy();
      return;
    }
    (req.raw as PendingRequest)[kPending] = transport;
    this.#wss.handleUpgrade(req.raw, socket, head, wssOnUpgrade);
    if (transport.ws === undefined) {
      // ws refused it after all (it wrote its own answer): nothing to keep.
      (req.raw as PendingRequest)[kPending] = undefined;
      transport.abort();
      return;
    }
    this.log.debug({ ip: req.ip, secure: transport.secure, session: transport.session.id }, 'websocket connected');
  }

  /** Run `websocket-session` (global bus): false or { status, message } refuses. */
  #verdict(transport: WebSocketTransport, req: HttpRequest): Refusal | undefined {
    let result: WebSocketSessionVerdict | unknown;
    try {
      result = this.#module.fireGlobal('websocket-session', { session: transport.session, request: req });
    } catch (err) {
      this.log.error({ err }, 'a websocket-session handler failed');
      return { status: 500, message: 'The server failed to accept this connection.' };
    }
    if (result === false) return { status: 403, message: 'This connection was refused.' };
    if (typeof result === 'object' && result !== null && 'status' in result) {
      const { status, message } = result as { status: unknown; message?: unknown };
      const code = typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599 ? status : 403;
      return { status: code, message: typeof message === 'string' ? message : 'This connection was refused.' };
    }
    return undefined;
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * Close every session (server stop): `<close see-other-uri/>` when websocket_see_other_uri is
   * set (RFC 7395 §3.6.1; never a downgrade for a secure session), else system-shutdown.
   */
  shutdown(): void {
    for (const t of this.transports) this.#shutdownOne(t);
  }

  #shutdownOne(t: WebSocketTransport): void {
    const session = t.session;
    if (session.closed) return;
    const uri = t.config.options.websocket_see_other_uri;
    // RFC 7395 §3.6.1 / §6: a redirect must not lower security (wss: -> ws:).
    if (uri !== undefined && !(t.secure && /^(ws|http):/i.test(uri))) {
      t.seeOtherUri = uri;
      // Before any <open/>, the redirect is the whole answer.
      if (session.state === 'connected') t.sendClose();
      session.close({ text: 'redirected by websocket_see_other_uri', code: 1001 });
      return;
    }
    if (uri !== undefined && !this.#warnedDowngrade) {
      this.#warnedDowngrade = true;
      this.log.warn({ uri }, 'websocket_see_other_uri is not wss:/https:; secure sessions get system-shutdown instead');
    }
    session.close({ condition: 'system-shutdown' });
  }

  /**
   * Wait until no transport matches `which` (their close handshakes are done), at most
   * the close grace: c2s_close_timeout for `<close/>`, the same again for the Close frame.
   */
  drain(which: (t: WebSocketTransport) => boolean = () => true): Promise<void> {
    const any = (): boolean => {
      for (const t of this.transports) if (which(t)) return true;
      return false;
    };
    if (!any()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const check = (): void => { if (!any()) done(); };
      const timer = setTimeout(done, 2 * Math.max(1000, this.#closeWaitMs) + 500);
      this.#waiters.add(check);
    });
  }

  /** Module unload: close what is left, wait for the handshakes, drop stragglers, stop. */
  async close(): Promise<void> {
    this.shutdown();
    await this.drain();
    for (const t of [...this.transports]) {
      t.ws?.terminate();
      t.gone(1006);
    }
    this.#sweep.stop();
    this.#wss.close();
  }
}
