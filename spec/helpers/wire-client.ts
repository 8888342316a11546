/**
 * Test helper: a hand-written XMPP client over raw TCP/TLS sockets, independent of the
 * server's code (its own SCRAM over node:crypto, regex matching of what the server sends).
 * Wire tests use it to send exactly the bytes they mean and to see exactly what comes back.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

const NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams';

interface Waiter {
  readonly re: RegExp;
  readonly resolve: (m: RegExpExecArray) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface WireTlsOptions {
  readonly ca?: string | Buffer;
  readonly servername?: string;
}

export class WireClient {
  #socket: Socket;
  #text = '';
  #offset = 0;
  #waiters: Waiter[] = [];
  #closed = false;
  #resolveClosed!: () => void;
  /** Resolves when the server (or we) closed the connection. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve; });
    this.#attach(socket);
  }

  /** Connect to 127.0.0.1:`port` (TLS from the first byte when `tls` is given). */
  static connect(port: number, tls?: WireTlsOptions): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = tls
        ? tlsConnect({ host: '127.0.0.1', port, ca: tls.ca, servername: tls.servername ?? 'localhost' }, () => resolve(new WireClient(socket)))
        : netConnect({ host: '127.0.0.1', port }, () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Everything received so far. */
  get text(): string { return this.#text; }
  get socket(): Socket { return this.#socket; }
  get isClosed(): boolean { return this.#closed; }

  write(data: string | Buffer): void {
    if (!this.#socket.destroyed) this.#socket.write(data);
  }

  /**
   * Wait until the text received after the last match matches `re`; the match is consumed.
   * Rejects (with what was received) on timeout or when the connection closes first.
   */
  expect(re: RegExp, ms = 5000): Promise<RegExpExecArray> {
    const hit = this.#match(re);
    if (hit) return Promise.resolve(hit);
    if (this.#closed) return Promise.reject(new Error(`closed before ${re}; received: ${this.#text.slice(this.#offset)}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timeout waiting for ${re}; received: ${this.#text.slice(this.#offset)}`));
      }, ms);
      this.#waiters.push({ re, resolve, reject, timer });
    });
  }

  /** Upgrade to TLS (after <proceed/>). */
  startTls(tls: WireTlsOptions): Promise<void> {
    const raw = this.#socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({ socket: raw, ca: tls.ca, servername: tls.servername ?? 'localhost' }, () => resolve());
      secure.once('error', reject);
      this.#socket = secure;
      this.#attach(secure);
    });
  }

  /** Channel-binding data as the client computes it (RFC 9266, RFC 5929). */
  channelBinding(type: 'tls-exporter' | 'tls-server-end-point'): Buffer {
    const s = this.#socket as TLSSocket;
    if (type === 'tls-exporter') return s.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    return createHash('sha256').update(s.getPeerCertificate().raw).digest();
  }

  end(): void { this.#socket.end(); }
  destroy(): void { this.#socket.destroy(); }

  #attach(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#text += chunk;
      for (const w of [...this.#waiters]) {
        const m = this.#match(w.re);
        if (m) {
          clearTimeout(w.timer);
          this.#waiters = this.#waiters.filter((x) => x !== w);
          w.resolve(m);
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      for (const w of this.#waiters) {
        clearTimeout(w.timer);
        w.reject(new Error(`closed before ${w.re}; received: ${this.#text.slice(this.#offset)}`));
      }
      this.#waiters = [];
      this.#resolveClosed();
    });
  }

  #match(re: RegExp): RegExpExecArray | undefined {
    const rest = this.#text.slice(this.#offset);
    const m = re.exec(rest);
    if (!m) return undefined;
    this.#offset += m.index + m[0].length;
    return m;
  }
}

// ---- protocol steps ------------------------------------------------------------------------

/** A stream header as a client sends it. */
export function header(to = 'localhost', extra = ''): string {
  return `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'${extra}>`;
}

/** Matches one complete <stream:features>. */
export const FEATURES = /<stream:features[^>]*?(?:\/>|>[\s\S]*?<\/stream:features>)/;

/** Send a header, wait for the server's header and features; returns the features text. */
export async function openStream(c: WireClient, to = 'localhost'): Promise<string> {
  c.write(header(to));
  await c.expect(/<stream:stream [^>]*>/);
  return (await c.expect(FEATURES))[0];
}

/** A regex for a stream error with `condition`. */
export function streamErrorRe(condition: string): RegExp {
  return new RegExp(`<stream:error[^>]*>\\s*<${condition} xmlns=["']${NS_STREAMS}["']\\s*/>[\\s\\S]*?</stream:error>`);
}

/**
 * Expect the stream error `condition`, then the server's `</stream:stream>`, then (after our own
 * close, as RFC 6120 §4.4 asks) the end of the connection. Returns the error's text element.
 */
export async function expectStreamError(c: WireClient, condition: string): Promise<string> {
  const m = await c.expect(streamErrorRe(condition));
  await c.expect(/<\/stream:stream>/);
  c.write('</stream:stream>');
  await c.closed;
  return /<text[^>]*>([\s\S]*?)<\/text>/.exec(m[0])?.[1] ?? '';
}

/** STARTTLS (RFC 6120 §5): <starttls/>, <proceed/>, handshake, new stream; returns the new features. */
export async function starttls(c: WireClient, tls: WireTlsOptions, to = 'localhost'): Promise<string> {
  c.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  await c.expect(/<proceed xmlns=["']urn:ietf:params:xml:ns:xmpp-tls["']\s*\/>/);
  await c.startTls(tls);
  return openStream(c, to);
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

/** SASL PLAIN; resolves to the server's answer element name ('success' or 'failure') and text. */
export async function authPlain(c: WireClient, user: string, password: string, authzid = ''): Promise<string> {
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${b64(`${authzid}\0${user}\0${password}`)}</auth>`);
  return (await c.expect(/<(success|failure)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1>)/))[0];
}

export interface ScramOptions {
  readonly hash?: 'SHA-1' | 'SHA-256';
  readonly channelBinding?: { type: 'tls-exporter' | 'tls-server-end-point'; data: Buffer };
  /** GS2 flag to send instead of the computed one ('y' to test downgrade protection). */
  readonly flag?: string;
  readonly authzid?: string;
}

/**
 * A SCRAM client (RFC 5802) written against node:crypto; resolves to the final answer
 * element, after checking the server signature on success.
 */
export async function authScram(c: WireClient, user: string, password: string, o: ScramOptions = {}): Promise<string> {
  const hash = o.hash ?? 'SHA-256';
  const alg = hash === 'SHA-1' ? 'sha1' : 'sha256';
  const len = hash === 'SHA-1' ? 20 : 32;
  const mech = `SCRAM-${hash}${o.channelBinding ? '-PLUS' : ''}`;
  const flag = o.flag ?? (o.channelBinding ? `p=${o.channelBinding.type}` : 'n');
  const gs2 = `${flag},${o.authzid ? `a=${o.authzid}` : ''},`;
  const cnonce = randomBytes(18).toString('base64');
  const first = `n=${user},r=${cnonce}`;
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mech}'>${b64(gs2 + first)}</auth>`);
  const answer = await c.expect(/<(challenge|failure)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/);
  if (answer[1] === 'failure') return answer[0];
  const serverFirst = Buffer.from(answer[2] ?? '', 'base64').toString('utf8');
  const fields = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
  if (!fields.r?.startsWith(cnonce)) throw new Error(`server nonce does not extend ours: ${serverFirst}`);
  const salted = pbkdf2Sync(password, Buffer.from(fields.s!, 'base64'), Number(fields.i), len, alg);
  const clientKey = createHmac(alg, salted).update('Client Key').digest();
  const storedKey = createHash(alg).update(clientKey).digest();
  const cbind = b64(Buffer.concat([Buffer.from(gs2), o.channelBinding?.data ?? Buffer.alloc(0)]));
  const finalNoProof = `c=${cbind},r=${fields.r}`;
  const authMessage = `${first},${serverFirst},${finalNoProof}`;
  const signature = createHmac(alg, storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  c.write(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(`${finalNoProof},p=${proof.toString('base64')}`)}</response>`);
  const final = await c.expect(/<(success|failure)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/);
  if (final[1] === 'success') {
    const serverKey = createHmac(alg, salted).update('Server Key').digest();
    const v = createHmac(alg, serverKey).update(authMessage).digest('base64');
    if (Buffer.from(final[2] ?? '', 'base64').toString() !== `v=${v}`) throw new Error('server signature mismatch');
  }
  return final[0];
}

/** Bind a resource (server-generated when absent); resolves to the bound full JID. */
export async function bind(c: WireClient, resource?: string): Promise<string> {
  const res = resource === undefined ? '' : `<resource>${resource}</resource>`;
  c.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>${res}</bind></iq>`);
  const m = await c.expect(/<iq [^>]*id=["']bind1["'][^>]*>[\s\S]*?<\/iq>/);
  const jid = /<jid>([^<]+)<\/jid>/.exec(m[0]);
  if (!jid) throw new Error(`bind failed: ${m[0]}`);
  return jid[1]!;
}

/** Connect, open, authenticate with PLAIN over plain TCP, restart and bind. */
export async function login(port: number, user: string, password: string, resource?: string, host = 'localhost'): Promise<{ client: WireClient; jid: string }> {
  const client = await WireClient.connect(port);
  await openStream(client, host);
  const answer = await authPlain(client, user, password);
  if (!answer.startsWith('<success')) throw new Error(`login failed: ${answer}`);
  await openStream(client, host);
  const jid = await bind(client, resource);
  return { client, jid };
}
