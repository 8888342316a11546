/**
 * One client's flood must not multiply everyone's latency (finding 7): a client writing
 * messages to itself as fast as TCP takes them, while another user's pings are timed. The
 * server runs in its own process and the flood in a third one, so the numbers are the
 * server's. Also: the `limits` module (Prosody's mod_limits) slows a client down to its rate
 * without losing anything.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { startLoadServer, type LoadServer } from '../helpers/load-harness.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectToken } from '../helpers/token-clients.js';

const PW = 'pw';
const CONFIG = { c2s_require_encryption: false, allow_unencrypted_plain_auth: true, modules_enabled: ['saslauth', 'ping', 'websocket'], consider_websocket_secure: true };

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe('a flooding client and everyone else', () => {
  let server: LoadServer;
  before(async () => { server = await startLoadServer(CONFIG, 2, PW); });
  after(() => server.stop());

  it("keeps another user's ping round trips short while one client floods the server", async () => {
    const ports = { ws: server.httpPort, tcp: server.c2sPort };
    const other = await connectToken('tcp', ports, 'user1', PW, 'pinger');
    const calm: number[] = [];
    for (let i = 0; i < 20; i++) calm.push(await other.ping());

    const child = fork(join(import.meta.dirname, '../helpers/flood-client.js'), [String(server.c2sPort), 'user0', PW, '5'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const done = new Promise<number>((resolve, reject) => {
      child.on('message', (m: { type: string; sent?: number }) => { if (m.type === 'done') resolve(m.sent ?? 0); });
      child.on('exit', (code) => { if (code !== 0) reject(new Error(`flood client exited with ${String(code)}`)); });
    });
    await new Promise<void>((resolve) => child.on('message', (m: { type: string }) => { if (m.type === 'started') resolve(); }));
    await new Promise((r) => setTimeout(r, 500));
    const flooded: number[] = [];
    for (let i = 0; i < 100; i++) {
      flooded.push(await other.ping());
      await new Promise((r) => setTimeout(r, 10));
    }
    const sent = await done;
    const report = `calm p50 ${percentile(calm, 50).toFixed(2)} ms; during a flood of ${sent} stanzas in 5 s: p50 ${percentile(flooded, 50).toFixed(2)} ms, p95 ${percentile(flooded, 95).toFixed(2)} ms, max ${Math.max(...flooded).toFixed(2)} ms`;
    console.log(`# ${report}`);
    assert.ok(sent > 20_000, `the flood was real (${sent} stanzas)`);
    // Generous bounds: without per-turn fairness p95 was 80 ms here, 180-450 ms in the attack run.
    assert.ok(percentile(flooded, 95) < 25, report);
    assert.ok(Math.max(...flooded) < 250, report);
    await other.closeCleanly();
  });
});

describe('limits (mod_limits)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      ...CONFIG,
      modules_enabled: [...CONFIG.modules_enabled, 'limits'],
      limits: { c2s: { rate: '40kb/s', burst: '1s' } },
      limits_resolution: 0.1,
      unlimited_jids: ['free@localhost'],
    }, { users: { alice: PW, free: PW } });
  });
  after(() => t.stop());

  const burst = (jid: string, n: number): string =>
    Array.from({ length: n }, (_, i) => `<message to='${jid}' type='chat'><body>tok-rate-${i}</body><pad xmlns='urn:example:pad'>${'x'.repeat(900)}</pad></message>`).join('');

  it('paces a client to its rate and loses nothing', async () => {
    const ports = { ws: t.port('http'), tcp: t.c2sPort };
    const alice = await connectToken('tcp', ports, 'alice', PW, 'a');
    const start = performance.now();
    alice.send(burst(alice.jid, 200)); // about 200 KB: 1 s of burst, then 40 KB/s
    await alice.waitFor(() => alice.tokens().length >= 200, 20_000, '200 echoes');
    const elapsed = (performance.now() - start) / 1000;
    console.log(`# 200 KB at 40 kb/s with a 1 s burst took ${elapsed.toFixed(2)} s`);
    assert.equal(alice.tokens().length, 200);
    assert.ok(elapsed > 2.5, `slowed down to the rate (${elapsed.toFixed(2)} s)`);
    await alice.closeCleanly();
  });

  it('does not limit unlimited_jids once they have authenticated', async () => {
    const ports = { ws: t.port('http'), tcp: t.c2sPort };
    const free = await connectToken('tcp', ports, 'free', PW, 'f');
    const start = performance.now();
    free.send(burst(free.jid, 200));
    await free.waitFor(() => free.tokens().length >= 200, 20_000, '200 echoes');
    const elapsed = (performance.now() - start) / 1000;
    assert.ok(elapsed < 2, `not slowed down (${elapsed.toFixed(2)} s)`);
    await free.closeCleanly();
  });
});
