/**
 * Test helper: a raw WebSocket client over net.Socket / tls for wire probes. It sends a
 * hand-built upgrade request, parses the HTTP answer itself, then speaks frames through
 * ws-frames.ts (masked by default; anything can be sent). XMPP helpers (open, PLAIN, bind)
 * sit on top; they match the server's messages with regular expressions, not its code.
 */
import type { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Parser as LtxParser } from 'ltx';
import { encodeFrame, FrameDecoder, OP, closePayload, upgradeRequest, type Frame, type FrameOptions, type UpgradeOptions } from './ws-frames.js';

export interface HttpHead {
  readonly status: number;
  /** Lower-cased header names; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  readonly raw: string;
}

export interface ProbeOptions {
  readonly address?: string;
  readonly localAddress?: string;
  /** Connect with TLS (certificates are not verified). */
  readonly tls?: { readonly servername?: string };
  /** Answer pings with pongs (default true). */
  readonly autoPong?: boolean;
  /** Echo the server's Close frame (default true). */
  readonly echoClose?: boolean;
}

const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

export class WsProbe {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  /** Every complete text message, in order. */
  readonly messages: string[] = [];
  /** Resolves with the HTTP head of the answer. */
  readonly head: Promise<HttpHead>;
  /** Resolves when the TCP connection is closed. */
  readonly ended: Promise<void>;
  /** The HTTP body when the answer was not a 101 (complete once `ended`). */
  body = '';
  closeFrame: { code: number; reason: string } | undefined;
  pings: Buffer[] = [];
  pongs: Buffer[] = [];
  readonly #opts: ProbeOptions;
  readonly #decoder = new FrameDecoder();
  #headText = '';
  #upgraded = false;
  #read = 0;
  #fragments: Buffer[] = [];
  #waiters = new Set<() => void>();
  #isEnded = false;
  #closeSent = false;

  private constructor(socket: Socket, opts: ProbeOptions) {
    this.socket = socket;
    this.#opts = opts;
    let resolveHead!: (h: HttpHead) => void;
    this.head = new Promise((r) => { resolveHead = r; });
    this.ended = new Promise((resolve) => {
      socket.on('close', () => {
        this.#isEnded = true;
        this.#wake();
        resolve();
      });
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      if (this.#upgraded) return this.#frames(chunk);
      if (this.#headText.includes('\r\n\r\n')) {
        this.body += chunk.toString('utf8');
        return;
      }
      this.#headText += chunk.toString('latin1');
      const end = this.#headText.indexOf('\r\n\r\n');
      if (end === -1) return;
      const raw = this.#headText.slice(0, end);
      const rest = Buffer.from(this.#headText.slice(end + 4), 'latin1');
      const [status, ...lines] = raw.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim().toLowerCase();
        const v = line.slice(i + 1).trim();
        headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      }
      const code = Number(/^HTTP\/1\.1 (\d{3})/.exec(status ?? '')?.[1] ?? 0);
      resolveHead({ status: code, headers, raw });
      if (code === 101) {
        this.#upgraded = true;
        if (rest.length > 0) this.#frames(rest);
      } else {
        this.body += rest.toString('utf8');
      }
    });
  }

  /** Open a connection and send an upgrade request (options, or raw bytes). */
  static open(port: number, request: UpgradeOptions | string | Buffer = {}, opts: ProbeOptions = {}): Promise<WsProbe> {
    return new Promise((resolve, reject) => {
      const host = opts.address ?? '127.0.0.1';
      const text = typeof request === 'string' || Buffer.isBuffer(request) ? request : upgradeRequest(request);
      const onConnect = (): void => {
        socket.off('error', reject);
        const probe = new WsProbe(socket, opts);
        socket.write(text);
        resolve(probe);
      };
      const socket: Socket = opts.tls
        // tls.connect passes localAddress on to net.connect (not in its typings).
        ? tlsConnect({ host, port, servername: opts.tls.servername ?? 'localhost', rejectUnauthorized: false, ...({ localAddress: opts.localAddress } as object) }, onConnect)
        : netConnect({ host, port, localAddress: opts.localAddress }, onConnect);
      socket.once('error', reject);
    });
  }

  /** Open, and require a 101 answering with exactly `xmpp`. */
  static async connect(port: number, request: UpgradeOptions = {}, opts: ProbeOptions = {}): Promise<WsProbe> {
    const probe = await WsProbe.open(port, request, opts);
    const head = await probe.head;
    if (head.status !== 101) {
      await probe.ended;
      throw new Error(`upgrade refused: ${head.status} ${probe.body.slice(0, 300)}`);
    }
    // RFC 7395 §3.1 (W3): a client fails unless the reply names `xmpp`.
    if (head.headers['sec-websocket-protocol'] !== 'xmpp') throw new Error(`101 without the xmpp subprotocol: ${head.raw}`);
    return probe;
  }

  get isEnded(): boolean {
    return this.#isEnded;
  }

  // ---- sending -----------------------------------------------------------------------------

  sendFrame(payload: Buffer | string, o: FrameOptions = {}): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(payload, o));
  }

  sendText(text: string): void {
    this.sendFrame(text);
  }

  sendRaw(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  ping(payload = ''): void {
    this.sendFrame(payload, { opcode: OP.PING });
  }

  /** Send a Close frame (RFC 6455 §5.5.1). */
  close(code = 1000, reason = ''): void {
    this.#closeSent = true;
    this.sendFrame(closePayload(code, reason), { opcode: OP.CLOSE });
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- receiving ---------------------------------------------------------------------------

  /** The next text message not yet read (waits for it). */
  async next(ms = 5000): Promise<string> {
    await this.#until(() => this.messages.length > this.#read || this.#isEnded || this.closeFrame !== undefined, ms, 'a message');
    if (this.messages.length <= this.#read) throw new Error(`connection closed while waiting for a message (close ${JSON.stringify(this.closeFrame)}); read so far: ${this.messages.join(' | ')}`);
    return this.messages[this.#read++]!;
  }

  /** Read messages until one matches `re` (the skipped ones are read too). */
  async until(re: RegExp, ms = 5000): Promise<RegExpExecArray> {
    for (;;) {
      const m = re.exec(await this.next(ms));
      if (m) return m;
    }
  }

  /** Wait for the server's Close frame. */
  async waitClose(ms = 5000): Promise<{ code: number; reason: string }> {
    await this.#until(() => this.closeFrame !== undefined || this.#isEnded, ms, 'a Close frame');
    if (!this.closeFrame) throw new Error(`the connection ended without a Close frame; messages: ${this.messages.join(' | ')}`);
    return this.closeFrame;
  }

  /** Wait until the TCP connection is closed. */
  async waitEnd(ms = 5000): Promise<void> {
    await this.#until(() => this.#isEnded, ms, 'the end of the connection');
  }

  /** Wait until `pred` holds (checked on every frame and at the end). */
  waitFor(pred: () => boolean, ms = 5000, what = 'a condition'): Promise<void> {
    return this.#until(pred, ms, what);
  }

  #until(pred: () => boolean, ms: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; messages: ${this.messages.slice(-5).join(' | ')}`));
      }, ms);
      this.#waiters.add(check);
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  #frames(chunk: Buffer): void {
    for (const f of this.#decoder.push(chunk)) {
      this.frames.push(f);
      if (f.opcode === OP.PING) {
        this.pings.push(f.payload);
        if (this.#opts.autoPong !== false) this.sendFrame(f.payload, { opcode: OP.PONG });
      } else if (f.opcode === OP.PONG) {
        this.pongs.push(f.payload);
      } else if (f.opcode === OP.CLOSE) {
        this.closeFrame = { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2).toString('utf8') };
        if (this.#opts.echoClose !== false && !this.#closeSent) this.close(this.closeFrame.code === 1005 ? 1000 : this.closeFrame.code);
      } else {
        this.#fragments.push(f.payload);
        if (f.fin) {
          this.messages.push(Buffer.concat(this.#fragments).toString('utf8'));
          this.#fragments = [];
        }
      }
    }
    this.#wake();
  }

  // ---- XMPP --------------------------------------------------------------------------------

  /** Send `<open/>` and return [our open reply, the features message]. */
  async open(to = 'localhost', extra = ''): Promise<[string, string]> {
    this.sendText(`<open xmlns='${NS_FRAMING}' to='${to}' version='1.0'${extra}/>`);
    const open = await this.next();
    if (!open.startsWith('<open')) throw new Error(`expected <open/>, got ${open}`);
    return [open, await this.next()];
  }

  /** SASL PLAIN; resolves with the <success/> or <failure/> message. */
  async authPlain(user: string, password: string): Promise<string> {
    const b64 = Buffer.from(`\0${user}\0${password}`).toString('base64');
    this.sendText(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${b64}</auth>`);
    return (await this.until(/^<(success|failure)\b[\s\S]*$/))[0];
  }

  /** Bind a resource; resolves with the full JID. */
  async bind(resource?: string): Promise<string> {
    const res = resource === undefined ? '' : `<resource>${resource}</resource>`;
    this.sendText(`<iq type='set' id='bind1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>${res}</bind></iq>`);
    const m = await this.until(/^<iq\b[^>]*id="bind1"[\s\S]*$/);
    const jid = /<jid>([^<]+)<\/jid>/.exec(m[0]);
    if (!jid) throw new Error(`bind failed: ${m[0]}`);
    return jid[1]!;
  }

  /** open, PLAIN, restart, bind. */
  async login(user: string, password: string, resource?: string, to = 'localhost'): Promise<string> {
    const [, features] = await this.open(to);
    if (!features.includes('PLAIN')) throw new Error(`PLAIN not offered: ${features}`);
    const answer = await this.authPlain(user, password);
    if (!answer.startsWith('<success')) throw new Error(`login failed: ${answer}`);
    await this.open(to);
    return this.bind(resource);
  }
}

/** Connect and log in (PLAIN) over a raw WebSocket. */
export async function wsLogin(
  port: number, user: string, password: string,
  o: { resource?: string; to?: string; request?: UpgradeOptions; probe?: ProbeOptions } = {},
): Promise<{ probe: WsProbe; jid: string }> {
  const probe = await WsProbe.connect(port, { host: o.to ?? 'localhost', ...o.request }, o.probe);
  try {
    return { probe, jid: await probe.login(user, password, o.resource, o.to) };
  } catch (err) {
    probe.destroy();
    throw err;
  }
}

/** The `<text>` of a stream error message. */
export function errorText(message: string): string {
  return /<text[^>]*>([\s\S]*?)<\/text>/.exec(message)?.[1] ?? '';
}

/** The condition of a stream error message. */
export function errorCondition(message: string): string | undefined {
  return /<stream:error[^>]*>\s*<([a-z-]+) xmlns="urn:ietf:params:xml:ns:xmpp-streams"/.exec(message)?.[1];
}

/**
 * Check that a server message is one complete XML document on its own (RFC 7395 §3.3.3):
 * first character '<', no XML declaration, exactly one root, no text outside it, every prefix
 * declared in the message and the root's namespace explicit. Uses ltx's SAX parser (not the
 * server's). Returns the root's name and attributes; throws with the reason otherwise.
 */
export function parseStandalone(message: string): { name: string; attrs: Record<string, string> } {
  if (message.charCodeAt(0) !== 0x3c) throw new Error(`message does not start with '<': ${JSON.stringify(message.slice(0, 40))}`);
  if (message.startsWith('<?xml')) throw new Error('message starts with an XML declaration');
  const parser = new LtxParser();
  const sax = (parser as unknown as { parser: EventEmitter }).parser;
  const scopes: Record<string, string>[] = [];
  let root: { name: string; attrs: Record<string, string> } | undefined;
  let roots = 0;
  let problem: string | undefined;
  const declared = (prefix: string): boolean => scopes.some((s) => s[`xmlns:${prefix}`] !== undefined);
  sax.on('startElement', (name: string, attrs: Record<string, string>) => {
    if (scopes.length === 0) {
      roots++;
      root = { name, attrs };
      if (!name.includes(':') && attrs.xmlns === undefined) problem ??= `the root <${name}> has no xmlns`;
    }
    scopes.push(attrs);
    const colon = name.indexOf(':');
    if (colon !== -1 && !declared(name.slice(0, colon))) problem ??= `prefix of <${name}> is not declared in the message`;
  });
  sax.on('endElement', () => { scopes.pop(); });
  sax.on('text', (text: string) => {
    if (scopes.length === 0 && text.trim() !== '') problem ??= 'text outside the element';
  });
  parser.on('error', (err: Error) => { problem ??= err.message; });
  parser.write(message);
  parser.end('');
  if (roots !== 1) problem ??= `${roots} root elements`;
  if (problem !== undefined || root === undefined) throw new Error(`not a standalone message (${problem}): ${message.slice(0, 200)}`);
  return root;
}
