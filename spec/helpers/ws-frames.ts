/**
 * Test helper: a tiny RFC 6455 frame encoder and decoder, and hand-built upgrade requests,
 * written independently of `ws` so wire tests can send exactly the bytes they mean
 * (unmasked, fragmented, binary, bad RSV bits...) and read exactly what comes back.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Frame opcodes (RFC 6455 §5.2). */
export const OP = Object.freeze({ CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa });

export interface FrameOptions {
  /** Default TEXT. */
  readonly opcode?: number;
  /** Default true. */
  readonly fin?: boolean;
  /** Clients must mask (RFC 6455 §5.1); default true. */
  readonly mask?: boolean;
  /** RSV1..3 as a 3-bit number (default 0). */
  readonly rsv?: number;
  readonly maskKey?: Buffer;
}

/** Encode one frame. */
export function encodeFrame(payload: Buffer | string, o: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const mask = o.mask ?? true;
  const len = data.length;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | (o.opcode ?? OP.TEXT)];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(len));
    head.push(...big);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = o.maskKey ?? randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** The payload of a Close frame: a 2-byte code and a UTF-8 reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2, 'utf8');
  return b;
}

/** A decoded frame. */
export interface Frame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

/** Incremental decoder for frames a server sends. */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Frame[] = [];
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) break;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b[1]! & 0x80) !== 0;
      const keyLen = masked ? 4 : 0;
      if (b.length < off + keyLen + len) break;
      let payload = b.subarray(off + keyLen, off + keyLen + len);
      if (masked) {
        const key = b.subarray(off, off + 4);
        payload = Buffer.from(payload.map((x, i) => x ^ key[i & 3]!));
      }
      out.push({ fin: (b[0]! & 0x80) !== 0, rsv: (b[0]! >> 4) & 7, opcode: b[0]! & 0x0f, masked, payload: Buffer.from(payload) });
      this.#buf = b.subarray(off + keyLen + len);
    }
    return out;
  }
}

/** A random Sec-WebSocket-Key. */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2 item 5.4). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

export interface UpgradeOptions {
  readonly path?: string;
  readonly host?: string;
  readonly key?: string;
  /** Sec-WebSocket-Protocol; null leaves it out. Default 'xmpp'. */
  readonly protocol?: string | null;
  /** Default '13'; null leaves it out. */
  readonly version?: string | null;
  readonly origin?: string;
  readonly method?: string;
  readonly upgrade?: string;
  readonly connection?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A hand-built HTTP/1.1 upgrade request. */
export function upgradeRequest(o: UpgradeOptions = {}): string {
  const lines = [
    `${o.method ?? 'GET'} ${o.path ?? '/xmpp-websocket'} HTTP/1.1`,
    `Host: ${o.host ?? 'localhost'}`,
    `Upgrade: ${o.upgrade ?? 'websocket'}`,
    `Connection: ${o.connection ?? 'Upgrade'}`,
    `Sec-WebSocket-Key: ${o.key ?? newKey()}`,
  ];
  if (o.version !== null) lines.push(`Sec-WebSocket-Version: ${o.version ?? '13'}`);
  if (o.protocol !== null) lines.push(`Sec-WebSocket-Protocol: ${o.protocol ?? 'xmpp'}`);
  if (o.origin !== undefined) lines.push(`Origin: ${o.origin}`);
  for (const [k, v] of Object.entries(o.headers ?? {})) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
