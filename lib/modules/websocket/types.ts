/**
 * @module websocket/types
 * The public contract of the `websocket` module: the events it fires and what their handlers
 * may return. Re-exported by core/api.ts so third-party modules can type their handlers.
 */
import type { HttpRequest, Session } from '../../core/api.js';

/**
 * Payload of `websocket-session` (global bus, fired during the upgrade, before the 101 and
 * before any `<open/>`: `session.host` is still undefined) and of `websocket-session-opened`
 * (the session's host bus, after its first `<open/>` was accepted).
 */
export interface WebSocketSessionEvent {
  readonly session: Session;
  /** The upgrade request: headers, `url` (with `?query`), ip, secure. Also `session.data.request`. */
  readonly request: HttpRequest;
}

/**
 * What a `websocket-session` handler may return: `undefined` (go on), `true` (accept, stop the
 * chain), `false` (refuse with 403), or `{ status, message }` (refuse with that HTTP status,
 * 400-599, and a sentence for the page). Handlers run synchronously.
 */
export type WebSocketSessionVerdict = undefined | boolean | { readonly status: number; readonly message?: string };

// Declared on the declaring core file (see http/types.ts for why not through api.js).
declare module '../../core/events.js' {
  interface Events {
    'websocket-session': WebSocketSessionEvent;
    'websocket-session-opened': WebSocketSessionEvent;
  }
}
