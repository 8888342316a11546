/**
 * Load: 1,000 concurrent WebSocket sessions against a server in its own process, each logged
 * in (PLAIN over an endpoint declared secure) and bound, exchanging messages in a ring with
 * nothing lost or reordered, then closed cleanly. Prints time, throughput and the server's
 * memory per session (figures for the benchmark); asserts only what can fail.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectLean, startLoadServer, type LeanClient, type LoadServer } from '../helpers/load-harness.js';

const SESSIONS = 1000;
const PER_SESSION = 20;
const PASSWORD = 'load-test-pw';

let server: LoadServer;
let clients: LeanClient[] = [];

before(async () => {
  server = await startLoadServer({
    modules_enabled: ['saslauth', 'websocket'],
    consider_websocket_secure: true,
    c2s_close_timeout: 2,
  }, SESSIONS, PASSWORD);
});

after(async () => {
  for (const c of clients) c.ws.terminate();
  await server?.stop();
});

const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);

describe(`${SESSIONS} concurrent WebSocket sessions`, () => {
  it('log in, exchange messages with nothing lost, and close cleanly', async (t) => {
    const url = `ws://127.0.0.1:${server.httpPort}/xmpp-websocket`;
    const base = await server.memory();
    const t0 = performance.now();
    clients = await connectLean(url, SESSIONS, PASSWORD);
    const t1 = performance.now();
    assert.equal(await server.sessions(), SESSIONS);
    assert.ok(clients.every((c) => c.state === 'ready'));
    const loaded = await server.memory();

    // Each session sends PER_SESSION numbered messages to the next one in the ring.
    const expected = new Array<number>(SESSIONS).fill(0);
    let disorder = 0;
    let total = 0;
    const all = SESSIONS * PER_SESSION;
    const finished = new Promise<void>((resolve) => {
      clients.forEach((c, i) => {
        const from = (i + SESSIONS - 1) % SESSIONS;
        c.onMessage = (body) => {
          const [sender, seq] = body.split(':').map(Number);
          if (sender !== from || seq !== expected[i]) disorder++;
          expected[i] = (seq ?? 0) + 1;
          if (++total === all) resolve();
        };
      });
    });
    const t2 = performance.now();
    for (let k = 0; k < PER_SESSION; k++) {
      clients.forEach((c, i) => {
        const to = clients[(i + 1) % SESSIONS]!.jid;
        c.send(`<message xmlns='jabber:client' to='${to}' type='chat'><body>${i}:${k}</body></message>`);
      });
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`only ${total} of ${all} messages arrived`)), 30_000); })]);
    clearTimeout(timer);
    const t3 = performance.now();
    assert.equal(total, all);
    assert.equal(disorder, 0, 'per-sender order is kept');
    assert.ok(clients.every((c) => c.received === PER_SESSION));

    await Promise.all(clients.map((c) => c.close()));
    const t4 = performance.now();
    assert.ok(clients.every((c) => c.closeCode === 1000), 'every session closed with 1000');
    for (let i = 0; i < 50 && (await server.sessions()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await server.sessions(), 0);
    const after = await server.memory();
    assert.deepEqual(await server.errors(), []);

    const perSession = (loaded.heapUsed + loaded.external - base.heapUsed - base.external) / SESSIONS;
    t.diagnostic(`login ${SESSIONS} sessions: ${(t1 - t0).toFixed(0)} ms; ${all} messages in ${(t3 - t2).toFixed(0)} ms (${Math.round(all / ((t3 - t2) / 1000))} msg/s); close all: ${(t4 - t3).toFixed(0)} ms`);
    t.diagnostic(`server RSS: idle ${mib(base.rss)} MiB, with ${SESSIONS} sessions ${mib(loaded.rss)} MiB (+${((loaded.rss - base.rss) / SESSIONS / 1024).toFixed(1)} KiB/session RSS, ${(perSession / 1024).toFixed(1)} KiB/session heap+external), after close ${mib(after.rss)} MiB (heap ${mib(after.heapUsed)} MiB vs ${mib(base.heapUsed)} MiB idle)`);
    // Sessions must not leak: the heap goes back near where it started.
    assert.ok(after.heapUsed < base.heapUsed + 16 * 1048576, `heap after close ${mib(after.heapUsed)} MiB vs ${mib(base.heapUsed)} MiB before`);
  });
});
