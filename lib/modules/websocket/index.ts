/**
 * @module websocket
 * XMPP over WebSocket (RFC 7395): `ws://host:5280/xmpp-websocket` and `wss://host:5281/...`
 * on top of the http module, with the core's sessions, SASL and routing unchanged. Global
 * module: one endpoint per server; each VirtualHost that enables it gets its own route and
 * settings, and enabling it globally also answers for any Host header (as Prosody does).
 */
import { defineModule, type ModuleApi } from '../../core/api.js';
import { httpUrl } from '../../core/http-api.js';
import { DEFAULT_PATH, hostMetaApp } from './discovery.js';
import { Endpoint } from './endpoint.js';
import { WEBSOCKET_OPTIONS, type WebSocketOptions } from './options.js';

/** Whether the global modules_enabled enables the module (Prosody's rule for a host-agnostic route). */
function enabledGlobally(module: ModuleApi<WebSocketOptions>): boolean {
  return module.server.moduleEnabled(module.name, '*');
}

/**
 * Announce the endpoint's URLs (what `xmpp-server start` prints): wss:// when https listens,
 * ws:// when http does, with a warning when plain ws:// sessions cannot log in as configured.
 */
function announceEndpoints(module: ModuleApi<WebSocketOptions>): void {
  const secureUrl = httpUrl(module, 'websocket', DEFAULT_PATH, true);
  const plainUrl = httpUrl(module, 'websocket', DEFAULT_PATH, false);
  const settings = module.server.sessions.settings(module.host);
  if (secureUrl?.startsWith('https://')) module.provides('endpoint', { label: 'WebSocket', url: `wss://${secureUrl.slice(8)}` });
  if (plainUrl?.startsWith('http://') && !plainUrl.startsWith('http://disabled.invalid')) {
    const insecure = !module.options.consider_websocket_secure && settings.c2s_require_encryption && !secureUrl?.startsWith('https://');
    module.provides('endpoint', {
      label: 'WebSocket',
      url: `ws://${plainUrl.slice(7)}`,
      warning: insecure
        ? 'plain ws:// sessions can log in only through a TLS proxy listed in trusted_proxies that sends X-Forwarded-Proto: https, or with consider_websocket_secure'
        : undefined,
    });
  }
}

export default defineModule({
  name: 'websocket',
  events: ['websocket-session', 'websocket-session-opened'],
  global: true,
  carriesConnections: true,
  depends: ['c2s', 'http'],
  description: 'XMPP over WebSocket (RFC 7395) with XEP-0156 discovery.',
  options: WEBSOCKET_OPTIONS,

  load(module) {
    const endpoint = new Endpoint(module);
    // Close sessions while every module is still loaded (presence can still say goodbye).
    module.hook('server-stopping', () => { endpoint.shutdown(); });
    if (enabledGlobally(module)) {
      module.provides('http', endpoint.app('*'));
      announceEndpoints(module);
    }
    module.onUnload(async () => { await endpoint.close(); });
    return endpoint;
  },

  addHost(module, endpoint) {
    const host = module.host;
    endpoint.addHost(host, module.options);
    module.provides('http', endpoint.app(host));
    if (!enabledGlobally(module)) announceEndpoints(module);
    if (module.options.websocket_host_meta) module.provides('http', hostMetaApp(module));
    module.onUnload(async () => {
      endpoint.removeHost(host);
      // On server stop, let this host's sessions finish their close handshakes first.
      if (module.server.stopping) await endpoint.drain((t) => t.session.host === host);
    });
  },
});
