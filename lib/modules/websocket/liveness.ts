/**
 * @module websocket/liveness
 * Whether one WebSocket peer is still there: a ping every websocket_ping_interval, a pong
 * deadline (websocket_pong_timeout), and the read timeout that starts the session's
 * keepalive chain (network_settings.read_timeout). The transport owns one Liveness and hands
 * it every sign of life; the endpoint's shared sweep (keepalive.ts) calls `tick` for every
 * connection, so there is no timer per connection. Liveness decides; the transport acts.
 */
import type { Logger } from '../../core/api.js';
import type { Clock } from './keepalive.js';

/** What liveness needs from its connection (the transport). */
export interface LivenessLink {
  /** The connection is open and not ended by us: a ping can be sent. */
  readonly connected: boolean;
  readonly ip: string;
  /** The settings in force (ms; pingMs 0: no periodic pings); they change when the stream names its host. */
  readonly config: { readonly pingMs: number; readonly pongMs: number };
  /** The session: its logger, and its keepalive chain for read-timeout silence. */
  readonly session: { readonly log: Logger; readTimeout(): void };
  /** Send a WebSocket ping (RFC 6455 §5.5.2). */
  ping(): void;
  /**
   * The peer is gone: send it `condition` and our stream close (for a half-alive peer), end
   * the connection with `code`, and tell the session the connection dropped.
   */
  drop(condition: string, text: string, code: number): void;
}

const PONG_TIMEOUT_TEXT = 'No answer to a WebSocket ping in time (websocket_pong_timeout)';

export class Liveness {
  readonly #link: LivenessLink;
  readonly #clock: Clock;
  #readMs: number;
  /** When the peer last sent anything (a message or a pong). */
  #lastInput: number;
  #lastPing: number;
  /** When the unanswered ping was sent; undefined when none is out. */
  #pingSentAt: number | undefined;

  /** @param readMs network_settings.read_timeout in ms (0: none) */
  constructor(link: LivenessLink, clock: Clock, readMs: number) {
    this.#link = link;
    this.#clock = clock;
    this.#readMs = readMs;
    this.#lastInput = this.#lastPing = clock.now;
  }

  /** The read timeout in force, in ms (the host's, once the stream is open). */
  get readTimeoutMs(): number {
    return this.#readMs;
  }

  set readTimeoutMs(ms: number) {
    this.#readMs = ms;
  }

  /** A ping is out and not answered yet. */
  get awaitingPong(): boolean {
    return this.#pingSentAt !== undefined;
  }

  /** The peer sent something (any message, or a pong): it is alive, and silence starts again. */
  heard(): void {
    this.#lastInput = this.#clock.now;
    this.#pingSentAt = undefined;
  }

  /**
   * The session's own keepalive (nobody answered c2s-read-timeout): a ping, unless one is
   * already out. False when the connection is known to be dead.
   */
  keepalive(): boolean {
    if (!this.#link.connected) return false;
    if (this.#pingSentAt === undefined) this.#ping(this.#clock.now);
    return true;
  }

  /** One sweep: the pong deadline first, then the periodic ping, then the read timeout. */
  tick(now: number): void {
    const link = this.#link;
    if (!link.connected) return;
    const sentAt = this.#pingSentAt;
    if (sentAt !== undefined) {
      if (now - sentAt >= link.config.pongMs) this.#dead();
      return;
    }
    const pingMs = link.config.pingMs;
    if (pingMs > 0 && now - this.#lastPing >= pingMs) {
      this.#ping(now);
      return;
    }
    if (this.#readMs > 0 && now - this.#lastInput >= this.#readMs) {
      this.#lastInput = now;
      link.session.readTimeout();
    }
  }

  #ping(now: number): void {
    this.#pingSentAt = now;
    this.#lastPing = now;
    this.#link.ping();
  }

  /** No pong in time: the peer is gone (a dropped connection: the session stays resumable). */
  #dead(): void {
    const link = this.#link;
    link.session.log.info({ ip: link.ip }, 'websocket peer did not answer a ping; dropping the connection');
    // RFC 6120 §4.6.2 / RFC 7395 §3.8: tell a half-alive peer, then fail the connection (RFC 6455 §7.4.1: 1011).
    link.drop('connection-timeout', PONG_TIMEOUT_TEXT, 1011);
  }
}
