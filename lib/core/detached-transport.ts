/**
 * @module detached-transport
 * The transport of a session whose connection is gone while the session lives on: a stream
 * management session hibernating (XEP-0198 §5), or one restored after a restart until its
 * client resumes it. Nothing can be sent or read; the session keeps its resource and its
 * queue, and a new connection's transport replaces this one when the client resumes.
 */
import type { StreamAttrs, Transport } from './transport.js';
import type { Element } from './xml.js';

export class DetachedTransport implements Transport {
  readonly kind = 'detached';
  readonly ip: string;
  readonly secure: boolean;
  readonly encrypted = false;
  readonly canStartTls = false;
  readonly bufferedAmount = 0;
  readonly maxBufferedBytes = Number.MAX_SAFE_INTEGER;
  readonly slowReaderGraceMs = Number.MAX_SAFE_INTEGER;
  readonly bufferLimitOptions = 'none (detached)';

  /** `ip` and `secure` are the last connection's, for logs and for what modules read. */
  constructor(ip = '', secure = true) {
    this.ip = ip;
    this.secure = secure;
  }

  sendOpen(_attrs: StreamAttrs): void {}
  send(_element: Element): void {}
  sendClose(): void {}
  end(): void {}
  setMaxStanzaSize(): void {}
  restartStream(): void {}
}
