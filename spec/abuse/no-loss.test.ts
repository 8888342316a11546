/**
 * The standing no-loss test: a real `xmpp-server start` process on SQLite, senders and
 * receivers over TCP and WebSocket, traffic under kicks (a new login taking the resource),
 * clean closes and reconnects, then SIGTERM in the middle of the traffic, a restart, traffic
 * to offline users, kill -9, and a last restart. Every message whose sender saw it processed
 * (a later ping was answered) reaches its recipient exactly once, live or from offline
 * storage; no message arrives twice.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectToken, duplicates, tokenMessage, type TokenClient, type Transport } from '../helpers/token-clients.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');
const PW = 'pw';
const RECEIVERS = ['bob', 'carol', 'dave'];
const SENDERS = ['alice', 'erin'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The server as a child process, restartable on the same ports and data. */
class ServerProcess {
  readonly config: string;
  readonly ports: { ws: number; tcp: number };
  child: ChildProcess | undefined;
  exited: Promise<number | null> = Promise.resolve(null);
  output = '';

  constructor(dir: string, ports: { ws: number; tcp: number }) {
    this.ports = ports;
    this.config = join(dir, 'config.json');
    writeFileSync(this.config, JSON.stringify({
      storage: 'sqlite', data_path: join(dir, 'data'), log_level: 'warn',
      modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket'],
      consider_websocket_secure: true, c2s_require_encryption: false, allow_unencrypted_plain_auth: true,
      c2s_ports: [ports.tcp], c2s_interfaces: ['127.0.0.1'], http_ports: [ports.ws], http_interfaces: ['127.0.0.1'], https_ports: [],
      c2s_close_timeout: 1, limit_auth_max: 1000,
      VirtualHost: { localhost: {} },
    }));
    for (const user of [...RECEIVERS, ...SENDERS]) execFileSync(process.execPath, [CLI, 'register', user, 'localhost', PW, '--config', this.config]);
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'start', '--config', this.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${this.output}`)), 15_000);
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString();
        if (/xmpp-server running/.test(this.output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) => { this.output += c.toString(); });
    });
    this.output = '';
  }

  async signal(sig: NodeJS.Signals): Promise<number | null> {
    this.child?.kill(sig);
    return this.exited;
  }
}

/** A sender: what it sent, and which of those the server has certainly processed. */
class Sender {
  readonly confirmed = new Map<string, string>(); // token -> recipient user
  #pending: [string, string][] = [];
  #n = 0;
  constructor(readonly client: TokenClient, readonly name: string) {}

  send(to: string, count: number): void {
    for (let i = 0; i < count; i++) {
      const token = `tok-${this.name}-${this.client.kind}-${++this.#n}`;
      this.#pending.push([token, to]);
      this.client.send(tokenMessage(`${to}@localhost`, token, 300));
    }
  }

  /** A ping round trip proves everything sent before it was processed. */
  async confirm(): Promise<boolean> {
    try {
      await this.client.ping(5000);
    } catch {
      return false;
    }
    for (const [token, to] of this.#pending) this.confirmed.set(token, to);
    this.#pending = [];
    return true;
  }
}

describe('no message lost', () => {
  it('under kicks, clean closes, SIGTERM and kill -9, every processed message arrives exactly once', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'xs-noloss-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const server = new ServerProcess(dir, { ws: await freePort(), tcp: await freePort() });
    t.after(() => { if (server.child?.exitCode === null) server.child.kill('SIGKILL'); });
    const received = new Map<string, TokenClient[]>(RECEIVERS.map((u) => [u, []]));
    const senders: Sender[] = [];
    const kinds: Transport[] = ['tcp', 'ws'];
    const receive = async (user: string, kind: Transport, resource = 'r'): Promise<TokenClient> => {
      const c = await connectToken(kind, server.ports, user, PW, resource);
      received.get(user)!.push(c);
      c.send('<presence/>');
      return c;
    };
    const sendAll = async (rounds: number, count: number): Promise<void> => {
      for (let r = 0; r < rounds; r++) {
        const active = senders.filter((s) => !s.client.ended);
        if (active.length === 0) return;
        for (const s of active) for (const user of RECEIVERS) s.send(user, count);
        await Promise.all(active.map((s) => s.confirm()));
      }
    };

    // Phase 1: live traffic, kicks (the same resource logs in again), clean closes and reconnects.
    await server.start();
    for (const [i, name] of SENDERS.entries()) senders.push(new Sender(await connectToken(kinds[i % 2]!, server.ports, name, PW, 's'), name));
    const live = new Map<string, TokenClient>();
    for (const [i, user] of RECEIVERS.entries()) live.set(user, await receive(user, kinds[i % 2]!));
    await sendAll(3, 20);
    for (const [i, user] of RECEIVERS.entries()) {
      const old = live.get(user)!;
      const sending = sendAll(2, 10);
      live.set(user, await receive(user, kinds[(i + 1) % 2]!)); // kicks `old` with <conflict/>
      await sending;
      await old.closed;
    }
    await sendAll(2, 20);
    for (const [i, user] of RECEIVERS.entries()) {
      const sending = sendAll(1, 20);
      await live.get(user)!.closeCleanly();
      live.set(user, await receive(user, kinds[i % 2]!));
      await sending;
    }

    // Phase 2: SIGTERM while messages flow; every client reads until its connection ends.
    const flowing = sendAll(20, 5);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await server.signal('SIGTERM'), 0, server.output);
    await flowing;
    await Promise.all([...live.values(), ...senders.map((s) => s.client)].map((c) => c.closed));

    // Phase 3: restart; messages to users who are offline; kill -9 right after they were processed.
    await server.start();
    for (const s of senders) Object.assign(s, { client: await connectToken(s.client.kind, server.ports, s.name, PW, 's2') });
    await sendAll(4, 25);
    await server.signal('SIGKILL');
    await Promise.all(senders.map((s) => s.client.closed));

    // Phase 4: restart; the receivers collect what was stored for them.
    await server.start();
    for (const [i, user] of RECEIVERS.entries()) live.set(user, await receive(user, kinds[i % 2]!, 'final'));
    const expectedOf = (user: string): string[] =>
      senders.flatMap((s) => [...s.confirmed].filter(([, to]) => to === user).map(([token]) => token));
    const missingOf = (user: string): string[] => {
      const got = new Set(received.get(user)!.flatMap((c) => c.tokens()));
      return expectedOf(user).filter((tok) => !got.has(tok));
    };
    const deadline = Date.now() + 20_000;
    while (RECEIVERS.some((u) => missingOf(u).length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const c of live.values()) await c.ping();

    let total = 0;
    for (const user of RECEIVERS) {
      const got = received.get(user)!.flatMap((c) => c.tokens());
      assert.deepEqual(duplicates(got), [], `${user} got nothing twice`);
      assert.deepEqual(missingOf(user), [], `${user} got every processed message`);
      total += expectedOf(user).length;
    }
    console.log(`# ${total} processed messages, each delivered exactly once`);
    assert.ok(total > 500);
    for (const c of live.values()) await c.closeCleanly();
    assert.equal(await server.signal('SIGTERM'), 0, server.output);
  });
});
