/**
 * @module http/listeners
 * The sockets: one Node HTTP or HTTPS server per (port, interface), with the module's limits
 * and timeouts, the core's certificates per host chosen by SNI, and closing everything on unload.
 */
import { createServer as createHttpServer, type Server as HttpServer, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { ServerError } from '../../core/api.js';
import { createClientErrorListener, createRequestListener, createUpgradeListener } from './dispatch.js';
import type { HttpOptions } from './options.js';
import type { HttpState, Listener } from './state.js';

/** Errors that mean "this interface does not exist here" (e.g. no IPv6): skipped with a warning. */
const UNAVAILABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

function serverOptions(options: HttpOptions): ServerOptions {
  const requestTimeout = Math.round(options.http_request_timeout * 1000);
  let headersTimeout = Math.round(options.http_headers_timeout * 1000);
  // Node requires headersTimeout <= requestTimeout when the latter is set.
  if (requestTimeout > 0) headersTimeout = Math.min(headersTimeout, requestTimeout);
  return {
    maxHeaderSize: options.http_max_header_size,
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: Math.round(options.http_keepalive_timeout * 1000),
    // Checked often enough for short timeouts in tests; Node's default is 30 s.
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(headersTimeout / 4))),
  };
}

function createServer(state: HttpState, kind: 'http' | 'https'): HttpServer {
  const options = serverOptions(state.options);
  const server = kind === 'https'
    ? createHttpsServer({
      ...options,
      ALPNProtocols: ['http/1.1'],
      // Clients without SNI (connecting by IP address) get the default host's certificate.
      ...state.defaultPem(),
      SNICallback: (servername, cb) => cb(null, state.contextFor(servername)),
    })
    : createHttpServer(options);
  server.on('request', createRequestListener(state));
  server.on('upgrade', createUpgradeListener(state));
  server.on('clientError', createClientErrorListener(state));
  server.on('tlsClientError', (err: Error & { code?: string }, socket: Socket) => {
    state.log.debug({ code: err.code, ip: socket.remoteAddress }, 'https handshake failed');
  });
  return server;
}

function listenOnce(server: HttpServer, port: number, address: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      const bound = server.address();
      resolvePort(typeof bound === 'object' && bound !== null ? bound.port : port);
    };
    if (address === '*') server.listen({ port }, done);
    // '::' alone means IPv6 only, so that '0.0.0.0' can be listed beside it.
    else server.listen({ port, host: address, ipv6Only: address === '::' }, done);
  });
}

/**
 * Listen on every (port, interface) of one service. With port 0, the port the first interface
 * got is reused for the others, so one number reaches the service on all of them.
 * @throws XS_ERR_LISTEN when a port cannot be bound (in use, no permission)
 */
export async function listen(state: HttpState, kind: 'http' | 'https', ports: readonly number[], interfaces: readonly string[]): Promise<Listener[]> {
  const out: Listener[] = [];
  for (const configured of ports) {
    let port = configured;
    for (const address of interfaces) {
      let server = createServer(state, kind);
      let bound: number;
      try {
        bound = await listenOnce(server, port, address);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (UNAVAILABLE.has(code)) {
          state.log.warn({ service: kind, address, port, code }, 'interface not available; not listening on it');
          continue;
        }
        if (configured === 0 && port !== 0 && code === 'EADDRINUSE') {
          server = createServer(state, kind);
          bound = await listenOnce(server, 0, address).catch((e: Error) => { throw listenError(kind, address, 0, e); });
        } else {
          throw listenError(kind, address, port, err as Error);
        }
      }
      if (configured === 0 && port === 0) port = bound;
      const listener: Listener = { info: Object.freeze({ kind, address, port: bound }), server };
      out.push(listener);
      state.listeners.push(listener);
      state.log.info({ service: kind, address, port: bound }, 'http listener started');
    }
  }
  return out;
}

function listenError(kind: string, address: string, port: number, err: Error): ServerError {
  return new ServerError('XS_ERR_LISTEN', { service: kind, address, port, reason: (err as NodeJS.ErrnoException).code ?? err.message }, { cause: err });
}

/** Stop every listener: no new connections; open ones (keep-alive, upgraded) are closed. */
export async function closeAll(state: HttpState): Promise<void> {
  const listeners = state.listeners.splice(0);
  // Upgraded sockets first: server.close() waits for every connection, and an upgraded one
  // that an app left open would make it wait forever.
  for (const socket of state.upgraded) socket.destroy();
  state.upgraded.clear();
  await Promise.all(listeners.map(({ server }) => new Promise<void>((done) => {
    server.close(() => done());
    server.closeAllConnections?.();
  })));
}
