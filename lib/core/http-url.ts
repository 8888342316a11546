/**
 * @module http-url
 * `httpUrl(module, name)`: the public URL of an HTTP app, as the `http` module computes it
 * (Prosody's module:http_url). Undefined when the http module is not loaded.
 */
import type { ModuleApi } from './module-api.js';

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
