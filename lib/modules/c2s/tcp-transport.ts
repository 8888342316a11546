/**
 * @module c2s/tcp-transport
 * The TCP (and TLS) Transport: RFC 6120 stream framing over one socket. It feeds a
 * StreamParser into its Session, writes headers and stanzas, upgrades with STARTTLS, and
 * reports silence (network_settings.read_timeout) to the session's keepalive chain.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { serialize, escapeAttr, normalizeIp, NS_CLIENT, NS_STREAMS, type Element, type Logger } from '../../core/api.js';
import {
  StreamParser, channelBindingData, readTimeoutMs,
  type ChannelBindingType, type StreamAttrs, type StreamParserHandler, type Transport, type TransportSession, type TransportSessionRegistry,
} from '../../core/transport-api.js';
import type { TlsContexts } from './tls.js';

/** How long a socket may linger after our FIN before it is destroyed (ms). */
const LINGER_MS = 2000;

export interface TcpTransportOptions {
  readonly tls: TlsContexts;
  readonly log: Logger;
  /** Called once when the socket is gone. */
  readonly onClose: (transport: TcpTransport) => void;
}

/** The peer's address, normalised (no IPv4-mapped IPv6 prefix). */
export function peerAddress(socket: Socket): string {
  const ip = socket.remoteAddress ?? '';
  return normalizeIp(ip) ?? ip;
}

export class TcpTransport implements Transport {
  readonly kind = 'tcp';
  readonly ip: string;
  /** The session this connection drives (another one after a resumption: handOver). */
  session: TransportSession;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  readonly #opts: TcpTransportOptions;
  #socket: Socket;
  #parser: StreamParser;
  /** Our stream's `from` (the host), known once our header is sent. */
  #host: string | undefined;
  #ended = false;
  #gone = false;
  #inputPaused = false;
  #resolveClosed!: () => void;
  readonly #onData = (chunk: Buffer): void => {
    if (this.#ended) return;
    this.session.inputBytes(chunk.length);
    this.#parser.write(chunk);
  };
  readonly #onDrain = (): void => {
    this.session.drained();
  };
  readonly #onTimeout = (): void => {
    this.session.readTimeout();
  };
  readonly #onError = (err: Error): void => {
    this.#opts.log.debug({ err: err.message, ip: this.ip }, 'client socket error');
  };
  readonly #onClose = (): void => {
    if (this.#gone) return;
    this.#gone = true;
    // What a paused parser still holds was sent by the peer: it is processed before the end.
    this.#parser.resume();
    this.session.disconnected();
    this.#parser.end();
    this.#opts.onClose(this);
    this.#resolveClosed();
  };

  constructor(socket: Socket, sessions: TransportSessionRegistry, opts: TcpTransportOptions) {
    this.#opts = opts;
    this.#socket = socket;
    this.ip = peerAddress(socket);
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve; });
    this.session = sessions.create(this);
    this.#parser = this.#newParser(this.session.settings.c2s_unauthed_stanza_size_limit);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    this.#attach(socket);
  }

  get secure(): boolean {
    return this.#socket instanceof TLSSocket && this.#socket.encrypted;
  }

  get encrypted(): boolean {
    return this.secure;
  }

  /** Bytes written and not yet taken by the operating system. */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  get maxBufferedBytes(): number {
    return this.session.settings.c2s_max_buffered_bytes;
  }

  get slowReaderGraceMs(): number {
    return this.session.settings.c2s_slow_reader_grace * 1000;
  }

  readonly bufferLimitOptions = 'c2s_max_buffered_bytes, c2s_slow_reader_grace';

  pauseInput(): void {
    this.#inputPaused = true;
    this.#parser.pause();
    this.#socket.pause();
  }

  resumeInput(): void {
    this.#inputPaused = false;
    if (this.#ended) return;
    this.#parser.resume();
    if (!this.#inputPaused) this.#socket.resume();
  }

  get canStartTls(): boolean {
    return !this.encrypted && this.#opts.tls.get(this.#host) !== undefined;
  }

  /** Why encryption is impossible here, for the operator (no certificate for the host). */
  get insecureHint(): string | undefined {
    if (this.encrypted || this.canStartTls) return undefined;
    return `Encryption is required (c2s_require_encryption) but no certificate is configured for ${this.#host ?? 'this host'}: `
      + "set 'certificate' and 'key' for it so clients can use STARTTLS or direct TLS (c2s_direct_tls_ports)";
  }

  channelBinding(type: ChannelBindingType): Buffer | undefined {
    return this.#socket instanceof TLSSocket && this.#socket.encrypted ? channelBindingData(this.#socket, type) : undefined;
  }

  /**
   * Upgrade to TLS after `<proceed/>` (RFC 6120 §5.4.3.3). Plaintext that arrived after
   * `<starttls/>` is discarded (a new parser), so it can never pass as encrypted input.
   */
  startTls(host: string | undefined, done: (err?: Error) => void): void {
    const context = this.#opts.tls.get(host);
    const raw = this.#socket;
    if (context === undefined || raw instanceof TLSSocket || this.#ended) {
      done(new Error('STARTTLS is not possible on this connection'));
      return;
    }
    this.#detach(raw);
    const upgrade = (): void => {
      const secure = new TLSSocket(raw, {
        isServer: true,
        secureContext: context,
        SNICallback: (name, cb) => cb(null, this.#opts.tls.forServername(name) ?? context),
      });
      let settled = false;
      secure.once('secure', () => { settled = true; done(); });
      secure.once('error', (err) => {
        if (settled) return;
        settled = true;
        done(err);
        this.session.disconnected(err);
      });
      this.#socket = secure;
      this.#parser = this.#newParser(this.session.settings.c2s_unauthed_stanza_size_limit);
      if (this.#inputPaused) this.#parser.pause();
      this.#attach(secure);
    };
    // <proceed/> must reach the peer before the handshake takes the socket over.
    if (raw.writableLength === 0) upgrade();
    else raw.once('drain', upgrade);
  }

  sendOpen(attrs: StreamAttrs): void {
    this.#host = attrs.from;
    let header = `<?xml version='1.0'?><stream:stream xmlns='${NS_CLIENT}' xmlns:stream='${NS_STREAMS}'`;
    for (const [name, value] of Object.entries(attrs)) {
      if (typeof value === 'string') header += ` ${name}="${escapeAttr(value)}"`;
    }
    this.#write(header + '>');
  }

  send(element: Element): void {
    this.#write(serialize(element));
  }

  serialize(element: Element): string {
    return serialize(element);
  }

  sendSerialized(text: string): void {
    this.#write(text);
  }

  sendClose(): void {
    this.#write('</stream:stream>');
  }

  /** RFC 6120 §4.6.1 whitespace keepalive (after read-timeout silence). */
  keepalive(): boolean {
    if (this.#ended || this.#gone) return false;
    this.#write(' ');
    return true;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const socket = this.#socket;
    socket.setTimeout(0);
    if (this.#gone) return;
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  /** Drop the connection now (server stop after the grace period). */
  destroy(): void {
    this.#ended = true;
    this.#socket.destroy();
  }

  setMaxStanzaSize(bytes: number): void {
    this.#parser.setMaxStanzaSize(bytes);
  }

  restartStream(): void {
    this.#parser.reset();
  }

  #write(text: string): void {
    const socket = this.#socket;
    if (!this.#ended && socket.writable) socket.write(text);
  }

  #attach(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    const ms = readTimeoutMs(this.session.settings);
    if (ms > 0) socket.setTimeout(ms);
    if (this.#inputPaused) socket.pause();
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('drain', this.#onDrain);
    socket.off('timeout', this.#onTimeout);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
    socket.setTimeout(0);
  }

  /** XEP-0198 §5: a resumed session takes over this connection. */
  handOver(session: TransportSession): void {
    this.session = session;
  }

  /** A parser whose events reach the (current) session only while it is the current parser. */
  #newParser(limit: number): StreamParser {
    const handler: StreamParserHandler = {
      streamOpen: (attrs) => { if (this.#parser === parser) this.session.streamOpened(attrs); },
      element: (el) => { if (this.#parser === parser) this.session.received(el); },
      streamClose: () => { if (this.#parser === parser) this.session.streamClosed(); },
      error: (condition, text) => { if (this.#parser === parser) this.session.transportError(condition, text); },
    };
    const parser = new StreamParser(handler, { maxStanzaSize: limit });
    return parser;
  }
}
