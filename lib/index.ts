/**
 * @module xmpp-server-core
 * The package root: createServer and the Server, config loading, the built-in modules, and
 * every public API (module, transport, SASL, http and websocket contracts) in one import.
 */
import { Server, type ServerOptions } from './core/server.js';
import type { Config, RawConfig } from './core/config.js';
import { BUILTIN_MODULES } from './modules/index.js';

export * from './core/api.js';
export * from './core/transport-api.js';
export * from './core/sasl-api.js';
export * from './core/http-api.js';
export * from './core/websocket-api.js';
export { Server } from './core/server.js';
export type { ServerOptions, ServerState } from './core/server.js';
export { Config, loadConfigFile, CORE_OPTIONS, DEFAULT_MODULES } from './core/config.js';
export type { RawConfig } from './core/config.js';
export { createLogger } from './core/log.js';
export { BUILTIN_MODULES } from './modules/index.js';

/**
 * A server with the built-in modules registered (plus `options.modules`). Call start() to run it.
 * @throws XS_ERR_CONFIG_INVALID, XS_ERR_OPTION_INVALID for an invalid core config
 * @example
 * const server = createServer({ VirtualHost: { localhost: {} } });
 * await server.start();
 */
export function createServer(config: Config | RawConfig = {}, options: ServerOptions = {}): Server {
  return new Server(config, { ...options, modules: [...BUILTIN_MODULES, ...(options.modules ?? [])] });
}
