/**
 * @module default-config
 * The config `xmpp-server` uses when no --config is given: DESIGN.md's defaults (VirtualHost
 * localhost, the default modules, SQLite under ./data) plus the browser chat page of
 * examples/web at `/`, so `npm start` gives a working page at http://localhost:5280/, and
 * chat rooms at conference.localhost (muc with muc_mam).
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODULES, type RawConfig } from '../core/config.js';

/** The folder of the chat page, found from this file (build/lib/) so it works when installed. */
export const CHAT_PAGE_DIR = fileURLToPath(new URL('../../../examples/web/', import.meta.url));

/**
 * The no-config-file config. Only this case gets the chat page and the settings below; a config
 * file starts from the plain option defaults.
 */
export function defaultConfig(): RawConfig {
  return {
    modules_enabled: [...DEFAULT_MODULES, 'http_files'],
    http_files_dir: CHAT_PAGE_DIR,
    http_paths: { files: '/' },
    // http://127.0.0.1:5280/ reaches the localhost VirtualHost too (not a 404 for an unknown Host).
    http_default_host: 'localhost',
    // Plain HTTP listens on loopback only here (the http_interfaces default), so WebSocket traffic
    // never leaves this machine: let browsers sign in over ws://localhost without TLS. A config
    // file that opens HTTP to the network must not copy this; `start` warns if it does.
    consider_websocket_secure: true,
    VirtualHost: { localhost: {} },
    // Group chat out of the box (web clients expect rooms), with its archive as in Prosody's default config
    Component: { 'conference.localhost': { module: 'muc', modules_enabled: ['muc_mam'], name: 'Chatrooms' } },
  };
}
