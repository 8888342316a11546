/**
 * Test helper: an in-memory Transport that records what the session asks of it, so session
 * and router tests can drive a Session directly (streamOpened, received, ...) without sockets.
 */
import { serialize, type ChannelBindingType, type Element, type StreamAttrs, type Transport } from '../../lib/index.js';

export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  ip = '192.0.2.1';
  secure = true;
  encrypted = false;
  canStartTls = false;
  insecureHint: string | undefined;
  /** Every call, in order: 'open', 'send', 'close', 'end', 'restart', 'limit'. */
  readonly calls: { op: string; arg?: unknown }[] = [];
  /** Elements sent (serialised). */
  readonly sent: string[] = [];
  opens: StreamAttrs[] = [];
  ended: { code?: number; reason?: string } | undefined;
  maxStanzaSize = 0;
  /** Bytes "not yet flushed": tests raise it to simulate a client that does not read. */
  bufferedAmount = 0;
  maxBufferedBytes = 1024 * 1024;
  slowReaderGraceMs = 10_000;
  readonly bufferLimitOptions = 'memory_max_buffered_bytes';
  /** Whether input is paused (fairness, rate limits). */
  paused = false;

  channelBinding(_type: ChannelBindingType): Buffer | undefined {
    return undefined;
  }
  sendOpen(attrs: StreamAttrs): void {
    this.opens.push(attrs);
    this.calls.push({ op: 'open', arg: attrs });
  }
  send(element: Element): void {
    const text = serialize(element);
    this.sent.push(text);
    this.calls.push({ op: 'send', arg: text });
  }
  sendClose(): void {
    this.calls.push({ op: 'close' });
  }
  end(code?: number, reason?: string): void {
    this.ended = { code, reason };
    this.calls.push({ op: 'end', arg: code });
  }
  setMaxStanzaSize(bytes: number): void {
    this.maxStanzaSize = bytes;
    this.calls.push({ op: 'limit', arg: bytes });
  }
  restartStream(): void {
    this.calls.push({ op: 'restart' });
  }
  pauseInput(): void {
    this.paused = true;
  }
  resumeInput(): void {
    this.paused = false;
  }
  /** The op names in order (compact assertions). */
  get ops(): string[] {
    return this.calls.map((c) => c.op);
  }
}
