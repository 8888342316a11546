/**
 * Test helper: a TCP / direct-TLS transport for the `stanza` client library, which ships only
 * WebSocket and BOSH. It frames RFC 6120 streams (`<stream:stream>`) and hands everything
 * else to stanza's own parser, SASL, binding and stanza handling.
 * Usage: `client.transports.tcp = StanzaTcpTransport` and `transports: { tcp: 'xmpp://127.0.0.1:5222' }`
 * (or `xmpps://` with `stanzaTlsOptions.ca` set for direct TLS).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { JXT, type Agent, type Transport, type TransportConfig } from 'stanza';

/** CA for `xmpps://` connections (tests set it to their self-signed certificate). */
export const stanzaTlsOptions: { ca?: string | Buffer } = {};

type Registry = JXT.Registry;
interface StreamData { event?: string; kind: string; stanza: Record<string, unknown> }

export class StanzaTcpTransport extends Duplex implements Transport {
  hasStream = false;
  authenticated?: boolean;
  stream?: Transport['stream'];
  readonly #client: Agent;
  readonly #registry: Registry;
  #config: TransportConfig | undefined;
  #socket: Socket | undefined;
  #parser: JXT.StreamParser | undefined;
  #closing = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(client: Agent, _sm: unknown, registry: Registry) {
    super({ objectMode: true });
    this.#client = client;
    this.#registry = registry;
    this.on('data', (e: StreamData) => { this.#client.emit('stream:data', e.stanza, e.kind); });
    this.on('error', () => this.end());
    this.on('end', () => {
      if (this.#client.transport === this) this.#client.emit('--transport-disconnected');
    });
  }

  override _read(): void {
    // pushed from the socket
  }

  override _write(chunk: unknown, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (!this.#socket || this.#socket.destroyed) {
      done(new Error('Socket closed'));
      return;
    }
    const text = String(chunk);
    this.#client.emit('raw', 'outgoing', text);
    this.#socket.write(text);
    done();
  }

  connect(opts: TransportConfig): void {
    this.#config = opts;
    this.hasStream = false;
    this.#closing = false;
    this.#newParser();
    const url = new URL(opts.url ?? '');
    const port = Number(url.port || 5222);
    const onConnect = (): void => {
      this.emit('connect');
      this.#client.emit('connected');
      this.write(this.#header());
    };
    const socket = url.protocol === 'xmpps:'
      ? tlsConnect({ host: url.hostname, port, servername: opts.server, ca: stanzaTlsOptions.ca }, onConnect)
      : netConnect({ host: url.hostname, port }, onConnect);
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      this.#client.emit('raw', 'incoming', data);
      this.#parser?.write(data);
    });
    socket.on('close', () => this.push(null));
    socket.on('error', () => this.push(null));
    this.#socket = socket;
  }

  disconnect(clean = true): void {
    if (this.#socket && !this.#closing && this.hasStream && clean) {
      this.#closing = true;
      this.write('</stream:stream>');
      this.#timer = setTimeout(() => { if (this.#socket) this.disconnect(false); }, 1000);
      return;
    }
    clearTimeout(this.#timer);
    this.hasStream = false;
    this.stream = undefined;
    if (this.#socket) {
      this.end();
      this.#socket.destroy();
      if (this.#client.transport === this) this.#client.emit('--transport-disconnected');
    }
    this.#socket = undefined;
  }

  async send(name: string, data?: JXT.JSONData): Promise<void> {
    const output = data ? this.#registry.export(name, data)?.toString() : undefined;
    if (!output) return;
    await new Promise<void>((resolve, reject) => this.write(output, 'utf8', (err) => (err ? reject(err) : resolve())));
  }

  restart(): void {
    this.hasStream = false;
    this.#newParser();
    this.write(this.#header());
  }

  #header(): string {
    const to = this.#config?.server ?? '';
    return `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0' xml:lang='${this.#config?.lang ?? 'en'}'>`;
  }

  #newParser(): void {
    const parser = new JXT.StreamParser({
      acceptLanguages: this.#config?.acceptLanguages,
      allowComments: false,
      lang: this.#config?.lang,
      registry: this.#registry,
      rootKey: 'stream',
      wrappedStream: true,
    });
    parser.on('data', (e: StreamData) => {
      if (parser !== this.#parser) return;
      if (e.event === 'stream-start') {
        this.hasStream = true;
        this.stream = e.stanza as Transport['stream'];
        this.#client.emit('stream:start', e.stanza);
        return;
      }
      if (e.event === 'stream-end') {
        this.#client.emit('stream:end');
        this.disconnect();
        return;
      }
      this.push({ kind: e.kind, stanza: e.stanza });
    });
    parser.on('error', () => {
      if (parser === this.#parser) this.disconnect(false);
    });
    this.#parser = parser;
  }
}
