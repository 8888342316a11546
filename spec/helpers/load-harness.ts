/**
 * Test helper (parent side): runs spec/helpers/load-server.ts in a child process with
 * --expose-gc, and a lean raw WebSocket XMPP client (`ws` for framing, a tiny state machine
 * for open / PLAIN / restart / bind, no promises per message) for hundreds of sessions.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { RawConfig } from '../../lib/index.js';
import type { LoadServerReply, LoadServerRequest } from './load-server.js';

export interface LoadServer {
  readonly httpPort: number;
  readonly c2sPort: number;
  memory(): Promise<{ rss: number; heapUsed: number; external: number }>;
  sessions(): Promise<number>;
  /** Error-level log lines the server wrote. */
  errors(): Promise<readonly string[]>;
  stop(): Promise<void>;
}

/** Start a server with `users` accounts user0..userN-1 in a child process. */
export async function startLoadServer(config: RawConfig, users: number, password: string): Promise<LoadServer> {
  const child: ChildProcess = fork(join(import.meta.dirname, 'load-server.js'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T extends LoadServerReply['type']>(req: LoadServerRequest, type: T): Promise<Extract<LoadServerReply, { type: T }>> => new Promise((resolve, reject) => {
    const onMessage = (m: LoadServerReply): void => {
      if (m.type === 'error') {
        child.off('message', onMessage);
        reject(new Error(m.message));
      } else if (m.type === type) {
        child.off('message', onMessage);
        resolve(m as Extract<LoadServerReply, { type: T }>);
      }
    };
    child.on('message', onMessage);
    child.send(req);
  });
  const started = await ask({ type: 'start', config, users, password }, 'started');
  return {
    httpPort: started.httpPort,
    c2sPort: started.c2sPort,
    memory: async () => {
      const m = await ask({ type: 'memory' }, 'memory');
      return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
    },
    sessions: async () => (await ask({ type: 'sessions' }, 'sessions')).count,
    errors: async () => (await ask({ type: 'errors' }, 'errors')).lines,
    stop: async () => {
      if (!child.connected) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await ask({ type: 'stop' }, 'stopped');
      await Promise.race([exited, new Promise<void>((r) => setTimeout(() => { child.kill(); r(); }, 5000))]);
    },
  };
}

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const BODY = /<body>([^<]*)<\/body>/;

/**
 * A lean client: logs in with PLAIN (the endpoint must be secure), binds, then counts
 * messages. `onMessage` gets the body of each message stanza.
 */
export class LeanClient {
  readonly ws: WebSocket;
  jid = '';
  state: 'connecting' | 'open1' | 'auth' | 'open2' | 'bind' | 'ready' | 'closing' | 'closed' | 'failed' = 'connecting';
  received = 0;
  closeCode = 0;
  onMessage: ((body: string) => void) | undefined;
  readonly #user: string;
  readonly #password: string;
  readonly #done: (err?: Error) => void;
  #closed: (() => void) | undefined;

  constructor(url: string, user: string, password: string, done: (err?: Error) => void) {
    this.#user = user;
    this.#password = password;
    this.#done = done;
    this.ws = new WebSocket(url, 'xmpp', { perMessageDeflate: false });
    this.ws.on('open', () => this.#open());
    this.ws.on('message', (data) => this.#received(String(data)));
    this.ws.on('error', (err) => this.#fail(err));
    this.ws.on('close', (code) => {
      this.closeCode = code;
      if (this.state !== 'closing') this.#fail(new Error(`closed (${code}) in state ${this.state}`));
      this.state = 'closed';
      this.#closed?.();
    });
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Send `<close/>` and resolve when the WebSocket is closed. */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'closing';
    return new Promise((resolve) => {
      this.#closed = resolve;
      this.ws.send(`<close xmlns='${FRAMING}'/>`);
    });
  }

  #open(): void {
    this.state = 'open1';
    this.ws.send(`<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`);
  }

  #fail(err: Error): void {
    if (this.state === 'ready' || this.state === 'failed' || this.state === 'closing' || this.state === 'closed') return;
    this.state = 'failed';
    this.#done(err);
  }

  #received(text: string): void {
    switch (this.state) {
      case 'open1':
        if (text.startsWith('<stream:features')) {
          this.state = 'auth';
          this.ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${this.#user}\0${this.#password}`).toString('base64')}</auth>`);
        }
        return;
      case 'auth':
        if (text.startsWith('<success')) {
          this.state = 'open2';
          this.ws.send(`<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`);
        } else {
          this.#fail(new Error(`auth failed: ${text}`));
        }
        return;
      case 'open2':
        if (text.startsWith('<stream:features')) {
          this.state = 'bind';
          this.ws.send("<iq type='set' id='b' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>load</resource></bind></iq>");
        }
        return;
      case 'bind': {
        const m = /<jid>([^<]+)<\/jid>/.exec(text);
        if (m) {
          this.jid = m[1]!;
          this.state = 'ready';
          this.#done();
        }
        return;
      }
      case 'ready':
      case 'closing':
        if (text.startsWith('<message')) {
          this.received++;
          const body = BODY.exec(text);
          if (body) this.onMessage?.(body[1]!);
        }
        return;
      default:
    }
  }
}

/** Open `n` lean clients (user0..), `parallel` at a time; resolves when all are bound. */
export async function connectLean(url: string, n: number, password: string, parallel = 100): Promise<LeanClient[]> {
  const clients: LeanClient[] = new Array<LeanClient>(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await new Promise<void>((resolve, reject) => {
        clients[i] = new LeanClient(url, `user${i}`, password, (err) => (err ? reject(err) : resolve()));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return clients;
}
