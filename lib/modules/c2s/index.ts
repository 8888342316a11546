/**
 * @module c2s
 * Client-to-server over TCP (RFC 6120): listeners on c2s_ports (plain, STARTTLS) and
 * c2s_direct_tls_ports (TLS from the first byte, certificate by SNI), the TCP keepalive, and
 * the session options every transport shares. A global module: one set of listeners.
 */
import { createServer as createNetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import {
  defineModule, option, xml, serialize, escapeAttr, ServerError, NS_TLS, NS_CLIENT, NS_STREAMS,
  type ModuleApi, type NonzaEvent, type StreamFeaturesEvent,
} from '../../core/api.js';
import { streamErrorElement, transportSessions, SESSION_OPTIONS } from '../../core/transport-api.js';
import { closeListeners, openListeners, type C2sListener } from './listeners.js';
import { peerAddress, TcpTransport } from './tcp-transport.js';
import { TlsContexts } from './tls.js';

const port = option.integer({ default: 0, min: 0, max: 65535 });

const options = {
  ...SESSION_OPTIONS,
  c2s_ports: option.array(port, { default: [5222], scope: 'global', doc: 'TCP ports for client connections (STARTTLS when the host has a certificate).' }),
  c2s_interfaces: option.array(option.string({ default: '*' }), {
    default: ['*'], scope: 'global', doc: "Addresses the c2s ports listen on; '*' means every interface.",
  }),
  c2s_direct_tls_ports: option.array(port, {
    default: [], scope: 'global', doc: 'Ports for clients that start TLS immediately (XEP-0368); needs a certificate on some host.',
  }),
};

/** Per server: the TLS contexts, open connections and listeners. */
interface C2sState {
  readonly tls: TlsContexts;
  readonly transports: Set<TcpTransport>;
  listeners: C2sListener[];
}

/** Close every TCP session with system-shutdown. */
function shutdownSessions(state: C2sState): void {
  for (const t of state.transports) t.session.close({ condition: 'system-shutdown' });
}

/**
 * Refuse a connection before any session exists (too many unauthenticated connections):
 * our stream header, then the error and the close (RFC 6120 §4.9.1.1), then the socket ends.
 */
function refuseConnection(module: ModuleApi<unknown>, socket: Socket, text: string): void {
  const from = module.server.hostNames[0] ?? 'localhost';
  const error = serialize(streamErrorElement('policy-violation', text));
  socket.on('error', () => undefined);
  socket.end(`<?xml version='1.0'?><stream:stream xmlns='${NS_CLIENT}' xmlns:stream='${NS_STREAMS}' from='${escapeAttr(from)}' version='1.0'>${error}</stream:stream>`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

function accept(module: ModuleApi<unknown>, state: C2sState) {
  return (socket: TLSSocket | Socket): void => {
    if (module.server.stopping) {
      socket.destroy();
      return;
    }
    const sessions = transportSessions(module.server);
    const refusal = sessions.admit(peerAddress(socket));
    if (refusal !== undefined) {
      module.log.info({ ip: peerAddress(socket) }, 'connection refused: too many unauthenticated connections');
      refuseConnection(module, socket, refusal);
      return;
    }
    const transport = new TcpTransport(socket, sessions, {
      tls: state.tls,
      log: module.log,
      onClose: (t) => state.transports.delete(t),
    });
    state.transports.add(transport);
  };
}

export default defineModule({
  name: 'c2s',
  global: true,
  carriesConnections: true,
  description: 'Client connections over TCP: listeners, STARTTLS, direct TLS, keepalive.',
  options,

  async load(module) {
    const { server } = module;
    // The core reads each host's certificate once; a broken one stops the start here.
    const state: C2sState = { tls: new TlsContexts(server.certificates), transports: new Set(), listeners: [] };
    const o = module.options;
    if (o.c2s_direct_tls_ports.length > 0 && state.tls.default === undefined) {
      throw new ServerError('XS_ERR_CERTIFICATE', { host: '*', file: '(none)', reason: 'c2s_direct_tls_ports is set but no VirtualHost has a certificate and key' });
    }
    const onConnection = accept(module, state);
    state.listeners = await openListeners('c2s', o.c2s_ports, o.c2s_interfaces, () => createNetServer(onConnection), module.log);
    const def = state.tls.default;
    if (def) {
      try {
        state.listeners.push(...await openListeners('c2s_direct_tls', o.c2s_direct_tls_ports, o.c2s_interfaces, () => {
          const tlsServer = createTlsServer({
            cert: def.cert, key: def.key, minVersion: 'TLSv1.2',
            SNICallback: (name, cb) => cb(null, state.tls.forServername(name)),
          }, onConnection);
          tlsServer.on('tlsClientError', (err) => module.log.debug({ err: err.message }, 'TLS handshake failed'));
          return tlsServer;
        }, module.log));
      } catch (err) {
        await closeListeners(state.listeners);
        throw err;
      }
    }
    module.hook('listeners', ({ list }) => {
      for (const l of state.listeners) list.push({ service: l.service, address: l.address, port: l.port });
    });
    // Close sessions while every module is still loaded (presence can still say goodbye).
    module.hook('server-stopping', () => { shutdownSessions(state); });
    return state;
  },

  addHost(module) {
    // RFC 6120 §5.3.1: STARTTLS first, and mandatory when encryption is required.
    module.hook('stream-features', ({ session, features }: StreamFeaturesEvent) => {
      const t = session.transport;
      if (session.authenticated || !t.canStartTls || !t.startTls) return;
      const starttls = xml('starttls', { xmlns: NS_TLS });
      if (session.settings.c2s_require_encryption) starttls.append(xml('required'));
      features.append(starttls);
    }, 100);
    module.hook(`stanza/${NS_TLS}:starttls`, ({ session }: NonzaEvent) => {
      const t = session.transport;
      if (session.authenticated || !t.canStartTls || !t.startTls) {
        // RFC 6120 §5.4.2.2: <failure/>, then close the stream.
        session.send(xml('failure', { xmlns: NS_TLS }));
        session.close({ text: 'STARTTLS is not available on this connection' });
        return true;
      }
      session.send(xml('proceed', { xmlns: NS_TLS }));
      session.resetStream();
      // A failed handshake ends the connection (the transport tells its session).
      t.startTls(session.host, (err) => {
        if (err) session.log.info({ err: err.message }, 'TLS negotiation failed');
      });
      return true;
    });
  },

  async unload(module, state) {
    if (!state) return;
    const closing = closeListeners(state.listeners);
    shutdownSessions(state);
    const grace = (module.options.c2s_close_timeout + 1) * 1000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...state.transports].map((t) => t.closed)),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, grace); }),
    ]);
    clearTimeout(timer);
    for (const t of state.transports) t.destroy();
    await closing;
  },
});
