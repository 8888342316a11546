/**
 * @module bench/micro/harness
 * What the in-process stanza-path benchmarks share: a transport that only counts what it is
 * given (serialising it, as a real one would), frames parsed as the websocket module does,
 * a bound session on it, and the median of rounds.
 */
import { parseFrame, serialize, type ChannelBindingType, type Element, type Server, type StreamAttrs, type Transport, type TransportSession } from '../../lib/index.js';

export class NullTransport implements Transport {
  readonly kind = 'memory';
  ip = '192.0.2.1';
  secure = true;
  encrypted = false;
  canStartTls = false;
  insecureHint: string | undefined;
  maxBufferedBytes = 1 << 30;
  slowReaderGraceMs = 10_000;
  bufferedAmount = 0;
  readonly bufferLimitOptions = 'none';
  bytes = 0;
  stanzas = 0;
  channelBinding(_type: ChannelBindingType): Buffer | undefined { return undefined; }
  sendOpen(_attrs: StreamAttrs): void { /* nothing */ }
  send(element: Element): void {
    this.bytes += serialize(element).length;
    if (element.name === 'message') this.stanzas++;
  }
  sendClose(): void { /* nothing */ }
  end(): void { /* nothing */ }
  setMaxStanzaSize(): void { /* nothing */ }
  restartStream(): void { /* nothing */ }
  pauseInput(): void { /* nothing */ }
  resumeInput(): void { /* nothing */ }
}

export const BODY = 'x'.repeat(80);

/** Options every micro benchmark server starts with (no listeners, no per-turn input limits). */
export const MICRO_CONFIG = {
  log_level: 'silent', c2s_max_stanzas_per_turn: 1_000_000, c2s_max_bytes_per_turn: 1 << 30, c2s_ports: [], http_ports: [], https_ports: [],
  VirtualHost: { localhost: {} },
} as const;

/** A WebSocket message's text parsed as the websocket module does (RFC 7395 §3.3.3). */
export function frame(text: string): Element {
  const r = parseFrame(text);
  if ('error' in r) throw new Error(r.error.text);
  return r.element;
}

/** A session of `user` on localhost, authenticated and bound to resource 'r'. */
export function bound(server: Server, user: string): { s: TransportSession; t: NullTransport } {
  const t = new NullTransport();
  const s = server.sessions.create(t);
  s.streamOpened({ to: 'localhost', version: '1.0' });
  s.setAuthenticated(user);
  s.streamOpened({ to: 'localhost', version: '1.0' });
  s.bindResource('r');
  return { s, t };
}

export const median = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
