/**
 * @module session-view
 * The two faces of a client session: what modules see and do (`Session`, in the module API)
 * and what a transport drives (`TransportSession`, in the transport API). One class
 * implements both (session.ts); modules never see the transport-facing inputs.
 */
import type { Jid } from './jid.js';
import type { Logger } from './log.js';
import type { InputLimiter } from './session-input.js';
import type { SessionSettings } from './session-options.js';
import type { CloseReason } from './session-events.js';
import type { StreamAttrs, Transport } from './transport.js';
import type { Element } from './xml.js';

/** Where a session is in its life (see the diagram in session.ts). */
export type SessionState = 'connected' | 'open' | 'restarting' | 'closing' | 'closed';

/** One client's XMPP stream, as modules see it. */
export interface Session {
  /** Random, unique per connection (logs, metrics). */
  readonly id: string;
  /** What carries the stream: read its `kind`, `ip`, capabilities; never write to it. */
  readonly transport: Transport;
  /** Child logger carrying { session: id }. */
  readonly log: Logger;
  /** Module annotations (the websocket module puts `request` here). */
  readonly data: Record<string, unknown>;
  /** 'c2s_unauthed' until SASL success, then 'c2s'. */
  readonly type: 'c2s_unauthed' | 'c2s';
  /** The VirtualHost from the stream header's `to`; undefined before the stream opens. */
  readonly host: string | undefined;
  readonly username: string | undefined;
  readonly resource: string | undefined;
  /** The full JID once a resource is bound. */
  readonly jid: Jid | undefined;
  readonly bareJid: string | undefined;
  readonly fullJid: string | undefined;
  /** The current stream's id (RFC 6120 §4.7.3); new on every restart. */
  readonly streamId: string | undefined;
  /** The stream's language (RFC 6120 §4.7.4). */
  readonly lang: string;
  readonly state: SessionState;
  readonly authenticated: boolean;
  /** True once close() started (or the peer vanished): output is re-routed from then on. */
  readonly closed: boolean;
  readonly secure: boolean;
  readonly encrypted: boolean;
  readonly ip: string;
  /** Whether the session holds its resource in the registry. */
  readonly bound: boolean;
  /** When the transport connected (ms since the epoch). */
  readonly connectedAt: number;
  /** The session options of its host (global ones until the stream opens). */
  readonly settings: SessionSettings;
  /** Presence priority (written by the presence module). */
  priority: number;
  /** The last available presence (written by the presence module). */
  presence: Element | undefined;
  /** The client requested the roster (written by the roster module). */
  interested: boolean;
  /**
   * Send one element to the client. Returns false when the session is closing: the element
   * is then re-routed (a message to another resource or offline storage, a request answered
   * with an error), never dropped in silence.
   */
  send(el: Element): boolean;
  /** Output goes straight to the client now (nothing queued, buffer below its high-water mark). */
  readonly writable: boolean;
  /** Bytes sent to this session that its client has not read yet. */
  readonly pendingOutput: number;
  /** Run `fn` once output is writable again (pacing a backlog); never after the session closed. */
  whenWritable(fn: () => void): void;
  /** A rate limiter for this session's input (the `limits` module), or undefined for none. */
  inputLimiter: InputLimiter | undefined;
  /** Process nothing more of this client's input until releaseInput() (an asynchronous step). */
  holdInput(): void;
  releaseInput(): void;
  /**
   * The one close path: pre-session-close, unbind, queued output re-routed, our stream error
   * (if `reason` has a condition) and stream close, then c2s_close_timeout for the peer's.
   * A string is a condition. Idempotent.
   */
  close(reason?: CloseReason | string): void;
  /** Expect a new stream header (after STARTTLS <proceed/> or SASL <success/>, RFC 6120 §4.3.3). */
  resetStream(): void;
  /** SASL succeeded for `username` (normalised): authenticated, and a stream restart expected. */
  setAuthenticated(username: string): void;
  /** Bind a resource (RFC 6120 §7); a generated one when `resource` is empty. The new session wins a conflict. */
  bindResource(resource?: string): string;
}

/** A session as its transport drives it (RFC 6120 stream events, in order). */
export interface TransportSession extends Session {
  /** The peer's stream header arrived (RFC 6120 §4.7). */
  streamOpened(attrs: StreamAttrs): void;
  /** One top-level element from the peer (stanza or nonza). */
  received(el: Element): void;
  /** The peer closed its stream (`</stream:stream>`, `<close/>`). */
  streamClosed(): void;
  /** The input is unusable (XML error, size limit, ...): close with `condition`. */
  transportError(condition: string, text?: string, code?: number): void;
  /** `bytes` were read from the connection (rate limits, fairness). */
  inputBytes(bytes: number): void;
  /** The transport flushed its send buffer to the peer (back-pressure). */
  drained(): void;
  /** The connection is gone: what it sent is processed, then the session ends without waiting. */
  disconnected(err?: Error): void;
  /** No input for network_settings.read_timeout: the keepalive chain runs. */
  readTimeout(): void;
}
