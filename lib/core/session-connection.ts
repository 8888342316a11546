/**
 * @module session-connection
 * What a session has of the connection that carries it: the transport, the bounded input and
 * output around it, and the stream's own state (its id and language, which side has opened).
 * Stream management moves a connection from one session to another (resumption, XEP-0198 §5)
 * or replaces it with a detached one while the session hibernates.
 */
import { randomBytes } from 'node:crypto';
import type { StreamAttrs, Transport } from './transport.js';
import { DetachedTransport } from './detached-transport.js';
import { streamErrorElement, streamLang } from './session-elements.js';
import { SessionInput, type InputOwner, type TurnBudget } from './session-input.js';
import { SessionOutput, type OutputOwner } from './session-output.js';
import type { TransportSession } from './session-view.js';

/** The session a connection feeds. */
export type ConnectionOwner = InputOwner & OutputOwner & TransportSession;

export class Connection {
  readonly transport: Transport;
  readonly input: SessionInput;
  output: SessionOutput;
  streamId: string | undefined;
  lang = 'en';
  /** We sent our stream header on this connection. */
  sentOpen = false;
  /** The peer opened a stream at least once and its input is still alive. */
  peerOpen = false;
  /** The transport can still carry data. */
  alive = true;
  #owner: ConnectionOwner;

  constructor(owner: ConnectionOwner, transport: Transport, budget: TurnBudget) {
    this.#owner = owner;
    this.transport = transport;
    this.input = new SessionInput(owner, budget);
    this.output = new SessionOutput(owner);
  }

  /** The peer opened a stream (first, or after a restart): a new stream id, its language. */
  peerOpened(attrs: StreamAttrs): void {
    this.peerOpen = true;
    this.streamId = randomBytes(12).toString('base64url');
    this.lang = streamLang(attrs['xml:lang']) ?? this.lang;
  }

  /** Our stream header for `host` (RFC 6120 §4.7), addressed `to` the peer's bare JID when known. */
  sendHeader(host: string, to?: string): void {
    this.streamId ??= randomBytes(12).toString('base64url');
    this.transport.sendOpen({ from: host, id: this.streamId, version: '1.0', 'xml:lang': this.lang, ...(to ? { to } : {}) });
    this.sentOpen = true;
  }

  /**
   * The end of our stream on a live connection: our header if none was sent yet and there is
   * an error to carry (RFC 6120 §4.9.1.2), the stream error, then our close.
   */
  sendClosing(host: string, condition: string | undefined, text: string | undefined): void {
    if (!this.alive) return;
    if (!this.sentOpen && condition !== undefined) this.sendHeader(host);
    if (!this.sentOpen) return;
    if (condition !== undefined) this.transport.send(streamErrorElement(condition, text, this.lang));
    this.transport.sendClose();
  }

  /** No connection at all: what a hibernating (or restored) session holds until it is resumed. */
  static detached(owner: ConnectionOwner, ip: string, secure: boolean, budget: TurnBudget): Connection {
    const c = new Connection(owner, new DetachedTransport(ip, secure), budget);
    c.alive = false;
    return c;
  }

  /** From now on this connection feeds and carries `owner` (XEP-0198 §5 resumption). */
  moveTo(owner: ConnectionOwner): void {
    this.#owner = owner;
    this.transport.handOver?.(owner);
    this.input.rebind(owner);
    this.output.rebind(owner);
  }

  /**
   * Forget what waits for the transport: it belonged to the session that kept its queue in
   * stream management, which sends it again on the connection that resumed it.
   */
  discardOutput(): void {
    this.output.end();
    this.output = new SessionOutput(this.#owner);
  }

  /** Stop reading and writing (the connection is gone); returns what was still queued. */
  end(): ReturnType<SessionOutput['end']> {
    this.input.end();
    return this.output.end();
  }
}
