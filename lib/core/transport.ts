/**
 * @module transport
 * The seam between a Session (the XMPP stream, RFC 6120) and the bytes that carry it.
 * TCP (c2s) and WebSocket (RFC 7395) implement Transport; nothing above it branches on kind.
 *
 * A transport drives its session with `streamOpened`, `received`, `streamClosed`,
 * `transportError` and `disconnected`, reports bytes read with `inputBytes` (rate limits) and
 * calls `drained()` when its send buffer has been flushed to the peer (back-pressure).
 */
import type { Element } from './xml.js';
import type { TransportSession } from './session-view.js';

/** Stream header attributes (RFC 6120 §4.7). */
export interface StreamAttrs {
  readonly to?: string;
  readonly from?: string;
  readonly id?: string;
  readonly version?: string;
  readonly 'xml:lang'?: string;
}

/** Channel-binding types (RFC 5929, RFC 9266). */
export type ChannelBindingType = 'tls-exporter' | 'tls-unique' | 'tls-server-end-point';

export interface Transport {
  /** 'tcp', 'websocket', ... for logs and metrics only. */
  readonly kind: string;
  /** The peer's address, after trusted-proxy resolution. */
  readonly ip: string;
  /** Confidential as far as the server can tell (TLS here, or a trusted proxy says so). */
  readonly secure: boolean;
  /** TLS is terminated by this process (so channel binding is possible). */
  readonly encrypted: boolean;
  /** STARTTLS can be offered (never over WebSocket). */
  readonly canStartTls: boolean;
  /**
   * What the operator should do when this connection is not secure but encryption is required
   * (sent as the stream error's text). Optional; a generic hint is used without it.
   */
  readonly insecureHint?: string;
  /** Channel-binding data for SCRAM-*-PLUS, when encrypted. */
  channelBinding?(type: ChannelBindingType): Buffer | undefined;
  /** Upgrade to TLS after <proceed/> (RFC 6120 §5.4.3.3); calls `done` once TLS is up. */
  startTls?(host: string | undefined, done: (err?: Error) => void): void;
  /** Open (or re-open after a restart) our side of the stream. */
  sendOpen(attrs: StreamAttrs): void;
  /** Send exactly one top-level element. */
  send(element: Element): void;
  /**
   * The text `send(element)` would write (with this transport's framing). Optional, with
   * `sendSerialized`: output that waits in the session's queue is serialised once, when it is
   * queued (its size counts against the limit), and written as is when the queue drains.
   */
  serialize?(element: Element): string;
  /** Write what `serialize` returned. */
  sendSerialized?(text: string): void;
  /**
   * Bytes accepted by send() and not yet handed to the operating system. The session stops
   * writing above a high-water mark and waits for `session.drained()`.
   */
  readonly bufferedAmount: number;
  /** Most bytes of output held for a client that reads slower than its stanzas arrive. */
  readonly maxBufferedBytes: number;
  /** How long (ms) a client may stay at `maxBufferedBytes` without reading before it is cut. */
  readonly slowReaderGraceMs: number;
  /** The options that set the two limits above, for the operator (named in close texts). */
  readonly bufferLimitOptions: string;
  /**
   * The first stream header names `host`, a VirtualHost this server serves: take its settings,
   * or refuse it with a stream error (e.g. the transport is not enabled there). Optional.
   */
  selectHost?(host: string): { readonly condition: string; readonly text?: string } | undefined;
  /** The stream is open for `host` (the first header was accepted, features sent). Optional. */
  opened?(host: string): void;
  /**
   * Stop reading from the peer, and stop parsing what was read, until resumeInput()
   * (fairness, rate limits, a module holding input while an asynchronous step runs). Optional.
   */
  pauseInput?(): void;
  resumeInput?(): void;
  /** Close our side of the stream (TCP: </stream:stream>; WebSocket: <close/>). */
  sendClose(): void;
  /** Finish the connection; `code` is a WebSocket close code where it applies. */
  end(code?: number, reason?: string): void;
  /** The inbound size limit for one stanza, in bytes (raised after authentication). */
  setMaxStanzaSize(bytes: number): void;
  /** Expect a new stream header (after SASL success): TCP resets its parser. */
  restartStream(): void;
  /**
   * Send this transport's own keepalive after read-timeout silence (WebSocket: a ping; TCP:
   * whitespace, RFC 6120 §4.6.1). Returns true when one was sent (or a liveness check is
   * already pending), false when the connection is known to be dead. The session calls it
   * when no `c2s-read-timeout` handler answered, so nothing branches on the transport's kind.
   */
  keepalive?(): boolean;
  /**
   * Hand the connection to another session: stream management resumption (XEP-0198 §5) moves
   * a new connection to the session it resumes; every later input goes to `session`. A
   * transport without it cannot carry resumed sessions.
   */
  handOver?(session: TransportSession): void;
}
