/**
 * @module websocket-api
 * `xmpp-server-core/websocket`: the public contract of the `websocket` module, for module
 * authors: the events it fires and what their handlers may return.
 */
import type { HttpRequest } from './http-api.js';
import type { Session } from './api.js';

/**
 * What a WebSocket session keeps of its upgrade request once the handshake is done
 * (`session.data.request` from then on, and the request of `websocket-session-opened`):
 * everything but Node's request object (`raw`, with its raw headers and stream state) and a
 * body, which an upgrade has not. About 1 KiB less per connection.
 */
export type WebSocketRequest = Omit<HttpRequest, 'raw' | 'body'>;

/**
 * Payload of `websocket-session` (global bus, fired during the upgrade, before the 101 and
 * before any `<open/>`: `session.host` is still undefined).
 */
export interface WebSocketSessionEvent {
  readonly session: Session;
  /**
   * The upgrade request: headers, `url` (with `?query`), ip, secure, and `raw`. Also
   * `session.data.request` until the handshake is done, then its WebSocketRequest.
   */
  readonly request: HttpRequest;
}

/** Payload of `websocket-session-opened` (the session's host bus, after its first `<open/>` was accepted). */
export interface WebSocketSessionOpenedEvent {
  readonly session: Session;
  /** What the session keeps of the upgrade request (also `session.data.request`). */
  readonly request: WebSocketRequest;
}

/**
 * What a `websocket-session` handler may return: `undefined` (go on), `true` (accept, stop the
 * chain), `false` (refuse with 403), or `{ status, message }` (refuse with that HTTP status,
 * 400-599, and a sentence for the page). Handlers run synchronously.
 */
export type WebSocketSessionVerdict = undefined | boolean | { readonly status: number; readonly message?: string };

declare module './api.js' {
  interface Events {
    /** Global, during the upgrade: refuse (false, { status, message }) or accept a WebSocket. */
    'websocket-session': WebSocketSessionEvent;
    /** On the session's host, after its first `<open/>` was accepted. */
    'websocket-session-opened': WebSocketSessionOpenedEvent;
  }
}
