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
export type SessionState = 'connected' | 'open' | 'restarting' | 'hibernating' | 'closing' | 'closed';

/**
 * A send filter (Prosody's stanzas/out filters): sees each element sent to the client, in
 * priority order; returns it (or a replacement) to pass it on, or undefined to take it (hold
 * it, queue it). A filter that sends what it held calls `session.release(el, itself)`.
 */
export type SendFilter = (el: Element, session: Session) => Element | undefined;

/** Sees each element the client sent, before it is processed (stream management counts them). */
export type ReceiveObserver = (el: Element, session: Session) => void;

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
  /** When the client last sent anything (ms since the epoch): its idle time for admin tools. */
  readonly lastInputAt: number;
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
  /** The connection is gone and the session lives on, resumable (XEP-0198 §5). */
  readonly hibernating: boolean;
  /**
   * Send filters (higher priority first) see each element sent to the client and may take it
   * (stream management queues, client state indication holds).
   */
  addSendFilter(filter: SendFilter, priority?: number): void;
  /**
   * A filter sends what it held or queued: `el` goes through the filters after `after` only,
   * so the filters before it (which already saw it) do not take it again.
   */
  release(el: Element, after: SendFilter): boolean;
  removeSendFilter(filter: SendFilter): void;
  addReceiveObserver(observer: ReceiveObserver): void;
  removeReceiveObserver(observer: ReceiveObserver): void;
  /**
   * What a cut connection (no stream close) means for this session: `keep` returning true
   * makes it hibernate (resource, presence and queue kept, output taken by the send filters)
   * instead of ending; undefined restores the default (it ends).
   */
  setDropHandler(keep: ((reason: CloseReason) => boolean) | undefined): void;
  /**
   * Resumption (XEP-0198 §5): move the connection of `from` (a new session of the same account,
   * authenticated, not bound) to this one, which is hibernating or still connected (its old
   * connection then ends with `conflict`). `from` ends without a trace of its own.
   * @throws Error when `from` cannot be taken over
   */
  takeOver(from: Session): void;
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
