/**
 * Test helper: a loopback TCP relay in front of a server port (c2s or HTTP/WebSocket), to cut a
 * client's connection in the middle of a flow. The relay can hold back the bytes of either
 * direction (read and dropped, never forwarded), and cut every connection at once: both sockets
 * are destroyed, so neither end sees a stream close, and new connections are refused until
 * restore() listens again on the same port.
 * @example const relay = await TcpRelay.start(t.c2sPort); relay.hold('down'); await relay.cut(); await relay.restore();
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** 'up': client to server; 'down': server to client. */
export type Direction = 'up' | 'down';

export class TcpRelay {
  /** Connections accepted so far. */
  accepted = 0;
  /** Bytes held back (and dropped) in each direction. */
  readonly held: Record<Direction, number> = { up: 0, down: 0 };
  readonly #target: number;
  readonly #sockets = new Set<Socket>();
  readonly #holding: Record<Direction, boolean> = { up: false, down: false };
  #server: Server | undefined;
  #port = 0;

  private constructor(target: number) {
    this.#target = target;
  }

  /** The relay's port on 127.0.0.1 (the same after a cut and restore). */
  get port(): number {
    return this.#port;
  }

  /** A relay on 127.0.0.1 (a free port) to 127.0.0.1:`target`. */
  static async start(target: number): Promise<TcpRelay> {
    const relay = new TcpRelay(target);
    await relay.restore();
    return relay;
  }

  /** Stop forwarding `direction`: what arrives from then on is read and dropped. */
  hold(direction: Direction): void {
    this.#holding[direction] = true;
  }

  /** Destroy every connection without a word, and refuse new ones until restore(). */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accept connections again, on the same port, forwarding both ways. */
  async restore(): Promise<void> {
    if (this.#server) return;
    this.#holding.up = false;
    this.#holding.down = false;
    const server = createServer((socket) => this.accept(socket));
    this.#port = await listen(server, this.#port);
    this.#server = server;
  }

  close(): Promise<void> {
    return this.cut();
  }

  private accept(client: Socket): void {
    this.accepted++;
    const upstream = connect({ host: '127.0.0.1', port: this.#target });
    const pipe = (from: Socket, to: Socket, direction: Direction): void => {
      from.on('data', (chunk: Buffer) => {
        if (this.#holding[direction]) this.held[direction] += chunk.length;
        else to.write(chunk);
      });
      // A clean end passes through (the relay cuts only when told to).
      from.on('end', () => to.end());
      from.on('error', () => undefined);
      from.on('close', () => {
        this.#sockets.delete(from);
        to.destroy();
      });
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
    this.#sockets.add(client);
    this.#sockets.add(upstream);
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
