/**
 * @module websocket/transport
 * The WebSocket Transport (RFC 7395) under a core Session: decodes each text message into a
 * stream open, close or element, frames our output one element per message, enforces the
 * per-state size limit and the send buffer, and holds input while paused. Whether the peer
 * is still there (pings, pong deadline, read timeout) is its Liveness (liveness.ts), which
 * the endpoint's shared sweep visits through `tick`. ws listeners are module-level
 * functions that find their transport through a symbol (no closures per socket).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocket, type RawData } from 'ws';
import { normalizeIp, serialize, type Element, type Logger, type ServerApi } from '../../core/api.js';
import type { HttpRequest } from '../../core/http-api.js';
import type { WebSocketRequest } from '../../core/websocket-api.js';
import {
  channelBindingData, streamErrorElement, readTimeoutMs, transportSessions,
  type ChannelBindingType, type StreamAttrs, type Transport, type TransportSession,
} from '../../core/transport-api.js';
import { closeMessage, decodeMessage, frameText, openMessage, type Inbound } from './framing.js';
import { originAllowed } from './handshake.js';
import { KeptRequest } from './kept-request.js';
import type { Clock, Sweepable } from './keepalive.js';
import { Liveness, type LivenessLink } from './liveness.js';
import type { WebSocketOptions } from './options.js';

/** The resolved settings of one host (or '*') the endpoint serves. */
export interface HostConfig {
  /** A VirtualHost, or '*' for the global section. */
  readonly host: string;
  readonly options: WebSocketOptions;
  readonly pingMs: number;
  readonly pongMs: number;
}

/** What a transport needs from its endpoint. */
export interface TransportContext {
  readonly server: ServerApi;
  readonly log: Logger;
  readonly clock: Clock;
  /** The config of a VirtualHost where the module is enabled. */
  hostConfig(host: string): HostConfig | undefined;
  /** The connection is gone: forget the transport. */
  released(transport: WebSocketTransport): void;
}

const kTransport = Symbol('xmpp-websocket-transport');
type TaggedSocket = WebSocket & { [kTransport]?: WebSocketTransport };
/** The TCP (or TLS) socket under the WebSocket, tagged the same way for its 'drain' listener. */
type TaggedNetSocket = NodeJS.EventEmitter & { [kTransport]?: WebSocketTransport };

/** Shared by every transport while no message waits (most of the time): no array per connection. */
interface Held { readonly data: Buffer; readonly isBinary: boolean }
const NOTHING_HELD: Held[] = Object.freeze([]) as unknown as Held[];

/** RFC 6455 §5.5: a close reason fits a control frame (123 bytes after the code). */
function closeReason(text: string | undefined): string {
  if (text === undefined) return '';
  let out = text.length > 123 ? text.slice(0, 123) : text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/** Whether a code may be sent in a Close frame (RFC 6455 §7.4.1; 1004-1006 and 1015 are reserved). */
function sendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

const LEGACY_REFUSED = 'RFC 7395 §3.3.3: <stream:stream> is not used over WebSocket; open with <open xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>';

/** ws error codes (RFC 6455 failures detected by ws) -> our stream error and close code. */
function wsFailure(code: string | undefined): { condition: string; close: number } {
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return { condition: 'policy-violation', close: 1009 };
    case 'WS_ERR_TOO_MANY_BUFFERED_PARTS':
      return { condition: 'policy-violation', close: 1008 };
    case 'WS_ERR_INVALID_UTF8':
      return { condition: 'unsupported-encoding', close: 1007 };
    default:
      return { condition: 'bad-format', close: 1002 };
  }
}

export class WebSocketTransport implements Transport, Sweepable, LivenessLink {
  readonly kind = 'websocket';
  /** RFC 7395 §3.9: TLS lives at the WebSocket layer; STARTTLS is never offered. */
  readonly canStartTls = false;
  readonly ip: string;
  /** TLS terminated by this process (wss on our https port): channel binding is possible. */
  readonly encrypted: boolean;
  /** The upgrade request; once the handshake is done, what is kept of it (kept-request.ts). */
  request: HttpRequest | WebSocketRequest;
  /** The session this connection drives (another one after a resumption: handOver). */
  session: TransportSession;
  /** The endpoint's VirtualHost, or '*' for the host-agnostic endpoint. */
  readonly endpointHost: string;
  /** The settings in force: the endpoint's until the first `<open/>` names a host. */
  config: HostConfig;
  ws: WebSocket | undefined;
  /** Set before a redirecting close (RFC 7395 §3.6.1). */
  seeOtherUri: string | undefined;
  readonly #ctx: TransportContext;
  /** The TCP (or TLS) connection under the WebSocket. */
  readonly #socket: Socket;
  readonly #liveness: Liveness;
  #limit: number;
  #legacy = false;
  #opened = false;
  #ended = false;
  #gone = false;
  #corked = false;
  /** pauseInput() is in force: messages ws already read wait in `#held`. */
  #inputPaused = false;
  /** Messages read while input was paused, in order (at most what ws had already read). */
  #held: Held[] = NOTHING_HELD;
  #flushing = false;

  constructor(ctx: TransportContext, request: HttpRequest, config: HostConfig, endpointHost: string) {
    this.#ctx = ctx;
    this.request = request;
    this.#socket = request.raw.socket;
    this.config = config;
    this.endpointHost = endpointHost;
    this.ip = request.ip;
    this.encrypted = request.encrypted;
    this.session = transportSessions(ctx.server).create(this);
    this.session.data.request = request;
    this.#limit = this.session.settings.c2s_unauthed_stanza_size_limit;
    this.#liveness = new Liveness(this, ctx.clock, readTimeoutMs(this.session.settings));
  }

  /** `consider_websocket_secure`, or the request was confidential (wss here, or a trusted proxy says https). */
  get secure(): boolean { return this.request.secure || this.config.options.consider_websocket_secure; }

  /** What the operator should change when encryption is required but this WebSocket is not secure. */
  get insecureHint(): string {
    const peer = this.request.remoteAddress;
    // The socket peer differs from ip only behind a trusted proxy.
    const behindProxy = this.request.ip !== (normalizeIp(peer) ?? peer);
    return 'Encryption is required (c2s_require_encryption) but this WebSocket is not secure: '
      + (behindProxy
        ? 'the trusted proxy in front did not send X-Forwarded-Proto: https; make it send that header, or set consider_websocket_secure = true'
        : 'connect with wss:// (https_ports and a certificate), or behind a TLS proxy add it to trusted_proxies with X-Forwarded-Proto: https, or set consider_websocket_secure = true');
  }

  /** The current inbound message limit in bytes (unauthenticated or authenticated). */
  get maxStanzaSize(): number { return this.#limit; }
  /** Bytes written and not yet taken by the operating system (ws's and the socket's). */
  get bufferedAmount(): number { return this.ws?.bufferedAmount ?? 0; }
  get maxBufferedBytes(): number { return this.config.options.websocket_max_buffered_bytes; }
  get slowReaderGraceMs(): number { return this.config.options.websocket_slow_reader_grace * 1000; }

  readonly bufferLimitOptions = 'websocket_max_buffered_bytes, websocket_slow_reader_grace';

  /**
   * Stop reading, and hold the messages ws already read (it goes on emitting the rest of a
   * chunk after ws.pause()), so nothing reaches the session until resumeInput().
   */
  pauseInput(): void {
    this.#inputPaused = true;
    const ws = this.ws;
    if (ws !== undefined && ws.readyState === WebSocket.OPEN) ws.pause();
  }

  resumeInput(): void {
    this.#inputPaused = false;
    const ws = this.ws;
    if (ws !== undefined && ws.readyState === WebSocket.OPEN) ws.resume();
    this.#flushHeld(false);
  }

  /** Whether the connection is finished (ended by us or gone). */
  get ended(): boolean { return this.#ended; }

  /** XEP-0198 §5: a resumed session takes over this connection. */
  handOver(session: TransportSession): void {
    this.session = session;
  }

  /** Take over the upgraded socket. */
  attach(ws: WebSocket): void {
    this.ws = ws;
    (ws as TaggedSocket)[kTransport] = this;
    ws.on('message', wsOnMessage);
    ws.on('pong', wsOnPong);
    ws.on('error', wsOnError);
    ws.on('close', wsOnClose);
    const socket = this.#socket as TaggedNetSocket;
    socket[kTransport] = this;
    socket.on('drain', socketOnDrain);
    this.#keepRequest();
  }

  /** The handshake is done: keep the request's facts, not Node's request object (about 1 KiB). */
  #keepRequest(): void {
    const full = this.request;
    const kept = new KeptRequest(full as HttpRequest);
    this.request = kept;
    const data = this.session.data;
    if (data.request === full) data.request = kept;
  }

  /** The socket took what was buffered: the session may write again. */
  drained(): void {
    if (!this.#ended) this.session.drained();
  }

  /** The upgrade did not happen (refused or the socket vanished): end the session quietly. */
  abort(): void {
    this.#ended = true;
    this.#gone = true;
    this.#ctx.released(this);
    this.session.disconnected(new Error('WebSocket handshake not completed'));
  }

  channelBinding(type: ChannelBindingType): Buffer | undefined {
    return this.encrypted ? channelBindingData(this.#socket as TLSSocket, type) : undefined;
  }


  sendOpen(attrs: StreamAttrs): void { this.#write(openMessage(attrs, this.#legacy)); }
  send(element: Element): void { this.#write(frameText(element)); }
  serialize(element: Element): string { return frameText(element); }
  sendSerialized(text: string): void { this.#write(text); }
  sendClose(): void { this.#write(closeMessage(this.#legacy, this.seeOtherUri)); }

  end(code = 1000, reason?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    const ws = this.ws;
    // RFC 7395 §3.6 / RFC 6455 §7.1.2: start the closing handshake; ws waits for the echo.
    if (ws !== undefined && ws.readyState === WebSocket.OPEN) {
      const sent = sendableCode(code) ? code : 1000;
      this.#ctx.server.stats.countWebSocketClose('sent', sent);
      ws.close(sent, closeReason(reason));
    }
  }

  setMaxStanzaSize(bytes: number): void { this.#limit = bytes; }

  /** Nothing to reset: the next <open/> arrives as a message of its own (RFC 7395 §3.7). */
  restartStream(): void { /* stateless */ }

  /** The session's own keepalive after read-timeout silence: a ping (liveness.ts). */
  keepalive(): boolean { return this.#liveness.keepalive(); }

  /** The shared sweep (keepalive.ts): this connection's pong deadline, ping and read timeout. */
  tick(now: number): void { this.#liveness.tick(now); }

  // ---- LivenessLink ------------------------------------------------------------------------

  /** The socket is open and we have not ended it: a ping can be sent. */
  get connected(): boolean {
    const ws = this.ws;
    return !this.#ended && ws !== undefined && ws.readyState === WebSocket.OPEN;
  }

  ping(): void { this.ws!.ping(); }

  /** A dead peer: the stream error and `<close/>` for a half-alive one, Close `code`, then the session drops. */
  drop(condition: string, text: string, code: number): void {
    this.#write(serialize(streamErrorElement(condition, text, this.session.lang)));
    this.#write(closeMessage(this.#legacy));
    this.end(code, text);
    this.session.disconnected(new Error(text));
  }

  // ---- input -------------------------------------------------------------------------------

  /** One inbound message (ws has reassembled fragments and validated UTF-8). */
  received(data: Buffer, isBinary: boolean): void {
    if (this.#ended) return;
    try {
      // Read while paused (ws emits the rest of a chunk), or behind what is held: it waits, in order.
      const hold = this.#inputPaused || this.#held.length > 0;
      this.#liveness.heard();
      this.session.inputBytes(data.length);
      if (hold) {
        if (this.#held === NOTHING_HELD) this.#held = [];
        this.#held.push({ data, isBinary });
      }
      else this.#deliver(data, isBinary);
    } catch (err) {
      this.#bug(err);
    }
  }

  /** Hand held messages to the session while input is not paused (all of them when `all`). */
  #flushHeld(all: boolean): void {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#held.length > 0 && !this.#ended && (all || !this.#inputPaused)) {
        const { data, isBinary } = this.#held.shift()!;
        try {
          this.#deliver(data, isBinary);
        } catch (err) {
          this.#bug(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Never let a bug escape into ws's socket handler (it would crash the process) or the session. */
  #bug(err: unknown): void {
    this.session.log.error({ err }, 'error while handling a websocket message');
    this.session.transportError('internal-server-error', undefined, 1011);
  }

  /** Decode one message into a stream open, close, element or error for the session. */
  #deliver(data: Buffer, isBinary: boolean): void {
    const session = this.session;
    if (isBinary) {
      session.transportError('unsupported-encoding', 'Only text messages carry XMPP over WebSocket (RFC 7395 §3.2)', 1003);
      return;
    }
    if (data.length > this.#limit) {
      // Closing the session (not just the socket) stops a resuming client from re-sending it.
      session.transportError('policy-violation', `stanza too large: this server accepts ${this.#limit} bytes per message here`, 1009);
      return;
    }
    const m = decodeMessage(data.toString('utf8'), !this.#opened || this.#legacy);
    switch (m.kind) {
      case 'element':
        session.received(m.element);
        return;
      case 'open':
        this.#open(m);
        return;
      case 'close':
        session.streamClosed();
        return;
      default:
        session.transportError(m.condition, m.text);
    }
  }

  /** End of tick: write everything send() queued in this tick at once. */
  uncork(): void {
    this.#corked = false;
    this.#socket.uncork();
  }

  /** A pong (the answer to our ping) or other proof of life. */
  alive(): void { this.#liveness.heard(); }

  /** ws failed the connection (RFC 6455 errors: unmasked frame, bad UTF-8, too big, ...). */
  failed(err: Error & { code?: string }): void {
    this.#ctx.log.debug({ ip: this.ip, code: err.code, err: err.message }, 'websocket protocol error');
    const { condition, close } = wsFailure(err.code);
    this.session.transportError(condition, `WebSocket protocol error: ${err.message}`, close);
  }

  /** The socket closed (after our close, the peer's, or a drop). */
  gone(code: number): void {
    if (this.#gone) return;
    this.#gone = true;
    // The peer's Close frame code (the echo of ours, when we closed first); 1005 none, 1006 no Close frame.
    this.#ctx.server.stats.countWebSocketClose('received', code);
    // What the peer sent before it went is still processed, as disconnected() does with its own.
    this.#flushHeld(true);
    this.#held = NOTHING_HELD;
    this.#ended = true;
    const socket = this.#socket as TaggedNetSocket;
    socket.off('drain', socketOnDrain);
    socket[kTransport] = undefined;
    this.#ctx.released(this);
    // RFC 7395 §3.6: a WebSocket closed without <close/> ends the stream implicitly (resumable with SM).
    this.session.disconnected(new Error(`WebSocket closed (${code})`));
  }

  #open(m: Extract<Inbound, { kind: 'open' }>): void {
    if (!this.#opened) {
      if (m.legacy && !this.config.options.websocket_legacy_framing) {
        this.session.transportError('not-well-formed', LEGACY_REFUSED);
        return;
      }
      this.#legacy = m.legacy;
      this.#opened = true;
    }
    this.session.streamOpened(m.attrs);
  }

  /** The session's first `<open/>` named `host` (RFC 7395 §4: one endpoint may serve several domains). */
  selectHost(host: string): { condition: string; text: string } | undefined {
    const config = this.#ctx.hostConfig(host);
    if (config === undefined) return { condition: 'host-unknown', text: `XMPP over WebSocket is not enabled for ${host}` };
    if (this.endpointHost !== '*' && this.endpointHost !== host) {
      return { condition: 'host-unknown', text: `This WebSocket endpoint serves ${this.endpointHost}; use the endpoint of ${host}` };
    }
    if (config !== this.config) {
      const origin = this.request.headers.origin;
      if (!originAllowed(config.options.websocket_allowed_origins, typeof origin === 'string' ? origin : undefined)) {
        return { condition: 'policy-violation', text: `WebSocket connections from this origin are not allowed for ${host} (websocket_allowed_origins)` };
      }
      this.config = config;
    }
    return undefined;
  }

  /** The stream is open: the host's read timeout applies, and websocket-session-opened fires. */
  opened(host: string): void {
    this.#liveness.readTimeoutMs = readTimeoutMs(this.session.settings);
    try {
      this.#ctx.server.hostEvents(host)?.fire('websocket-session-opened', { session: this.session, request: this.request });
    } catch (err) {
      this.session.log.error({ err }, 'websocket-session-opened handler failed');
    }
  }

  #write(text: string): void {
    const ws = this.ws;
    if (this.#ended || ws === undefined || ws.readyState !== WebSocket.OPEN) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(uncorkTransport, this);
    }
    // Back-pressure is judged by the session over time (session-output.ts), never per write.
    ws.send(text);
  }
}

function uncorkTransport(t: WebSocketTransport): void {
  t.uncork();
}

function wsOnMessage(this: TaggedSocket, data: RawData, isBinary: boolean): void {
  this[kTransport]?.received(data as Buffer, isBinary);
}

function socketOnDrain(this: TaggedNetSocket): void {
  this[kTransport]?.drained();
}

function wsOnPong(this: TaggedSocket): void {
  this[kTransport]?.alive();
}

function wsOnError(this: TaggedSocket, err: Error): void {
  this[kTransport]?.failed(err);
}

function wsOnClose(this: TaggedSocket, code: number): void {
  this[kTransport]?.gone(code);
}
