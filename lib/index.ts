/**
 * @module xmpp-server-core
 * The public surface: createServer, the module API and its types.
 */
import { Server, type ServerOptions } from './core/server.js';
import type { Config, RawConfig } from './core/config.js';
import { BUILTIN_MODULES } from './modules/index.js';

export * from './core/api.js';
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
