/**
 * @module c2s/listeners
 * The c2s sockets: one TCP (or direct-TLS) server per (port, interface), opened on load and
 * closed on unload. '*' means every interface (IPv6 dual-stack, else IPv4).
 */
import type { Server as NetServer } from 'node:net';
import { ServerError, type ListenerInfo, type Logger } from '../../core/api.js';

/** An open listening socket. */
export interface C2sListener extends ListenerInfo {
  readonly server: NetServer;
}

/** Errors meaning "this interface does not exist here" (e.g. no IPv6). */
const UNAVAILABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

function listenOnce(server: NetServer, port: number, host: string, ipv6Only: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => { server.off('listening', onListening); reject(err); };
    const onListening = (): void => { server.off('error', onError); resolve(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, ipv6Only });
  });
}

/**
 * Open `service` on every port × interface, using `create` for each socket server.
 * @throws XS_ERR_LISTEN when a port cannot be opened (after closing the ones already open)
 */
export async function openListeners(
  service: string, ports: readonly number[], interfaces: readonly string[], create: () => NetServer, log: Logger,
): Promise<C2sListener[]> {
  const out: C2sListener[] = [];
  try {
    for (const port of ports) {
      for (const iface of interfaces) {
        const server = create();
        const candidates = iface === '*' ? ['::', '0.0.0.0'] : [iface];
        let opened = false;
        for (const host of candidates) {
          try {
            await listenOnce(server, port, host, false);
            opened = true;
            break;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code ?? '';
            if (iface === '*' && host === '::' && UNAVAILABLE.has(code)) continue;
            if (iface !== '*' && UNAVAILABLE.has(code)) {
              log.warn({ service, address: host, port, code }, 'interface not available; not listening on it');
              break;
            }
            throw new ServerError('XS_ERR_LISTEN', { service, address: host, port, reason: code || (err as Error).message }, { cause: err });
          }
        }
        if (!opened) continue;
        const addr = server.address();
        const info = typeof addr === 'object' && addr !== null ? { address: addr.address, port: addr.port } : { address: iface, port };
        out.push({ service, server, ...info });
        log.info({ service, ...info }, 'listening');
      }
    }
  } catch (err) {
    await closeListeners(out);
    throw err;
  }
  return out;
}

/** Stop accepting on every listener; resolves once each has closed. */
export function closeListeners(listeners: readonly C2sListener[]): Promise<void> {
  return Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())))).then(() => undefined);
}
