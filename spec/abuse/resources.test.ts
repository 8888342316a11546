/**
 * Resource exhaustion (findings 5, 9 and 10): addresses far over the JID limit, offline
 * storage bounded by bytes (and cheap to check after a restart), a full disk answered per
 * stanza instead of killing the sender's stream, and unauthenticated connections capped per
 * IP and in total.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer } from '../../lib/index.js';
import { SqliteDriver } from '../../lib/core/storage/sqlite.js';
import { tempDataPath } from '../helpers/im-server.js';
import { captureLog } from '../helpers/log.js';
import { reportedListeners, startTestServer, TEST_DEFAULTS, type TestServer } from '../helpers/server.js';
import { connectToken, tokenMessage } from '../helpers/token-clients.js';
import { WsProbe } from '../helpers/ws-probe.js';

const PW = 'pw';
const BASE = {
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket'],
  consider_websocket_secure: true,
  c2s_require_encryption: false,
  allow_unencrypted_plain_auth: true,
};

describe('addresses over the JID limit', () => {
  let t: TestServer;
  before(async () => { t = await startTestServer(BASE, { users: { alice: PW } }); });
  after(() => t.stop());

  it('answer each message to a unique 250 KB address with jid-malformed, and the stream goes on', async () => {
    const alice = await connectToken('tcp', { ws: t.port('http'), tcp: t.c2sPort }, 'alice', PW, 'a');
    const big = 'q'.repeat(250_000);
    for (let i = 0; i < 40; i++) alice.send(`<message to='${i}${big}@localhost' id='long${i}' type='chat'><body>x</body></message>`);
    await alice.ping(20_000);
    const errors = alice.received().match(/<message\b[^>]*type="error"[\s\S]*?<\/message>/g) ?? [];
    assert.equal(errors.length, 40);
    for (const e of errors) assert.match(e, /<jid-malformed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/);
    await alice.closeCleanly();
  });
});

describe('offline storage bounded by bytes', () => {
  const dir = tempDataPath();
  after(() => dir.remove());
  const config = { ...BASE, storage: 'sqlite', data_path: dir.path, offline_max_bytes: 40 * 1024 * 1024, offline_max_messages: 100_000 };

  it('stores up to offline_max_bytes, bounces the rest with resource-constraint, and after a restart checks the bound without reading the store', async () => {
    const first = await startTestServer(config, { users: { alice: PW, bob: PW } });
    const ports = { ws: first.port('http'), tcp: first.c2sPort };
    const alice = await connectToken('tcp', ports, 'alice', PW, 'a');
    for (let i = 0; i < 220; i++) alice.send(tokenMessage('bob@localhost', `tok-bytes-${i}`, 200_000));
    await alice.ping(60_000);
    const stats = first.server.storage.listStats('localhost', 'offline', 'bob');
    assert.ok(stats.bytes <= 40 * 1024 * 1024, `${stats.bytes} bytes stored`);
    assert.equal(stats.count + alice.messageErrors(), 220, 'each message stored or bounced');
    assert.ok(alice.messageErrors() > 0);
    assert.match(alice.received(), /<error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/);
    await alice.closeCleanly();
    await first.stop();

    // After a restart the first message to bob must not read his 40 MB backlog.
    const second = await startTestServer(config);
    try {
      const again = await connectToken('tcp', { ws: second.port('http'), tcp: second.c2sPort }, 'alice', PW, 'b');
      globalThis.gc?.();
      const heap = process.memoryUsage().heapUsed;
      const start = performance.now();
      again.send(tokenMessage('bob@localhost', 'tok-after-restart', 200_000));
      await again.ping();
      const ms = performance.now() - start;
      const grown = process.memoryUsage().heapUsed - heap;
      assert.equal(again.messageErrors(), 1, 'over the bound: bounced');
      assert.ok(grown < 20 * 1024 * 1024, `heap grew ${Math.round(grown / 1048576)} MiB`);
      console.log(`# first message to a 40 MB backlog after a restart: ${ms.toFixed(1)} ms, heap +${Math.round(grown / 1048576)} MiB`);
      await again.closeCleanly();
    } finally {
      await second.stop();
    }
  });
});

describe('a full disk', () => {
  const dir = tempDataPath();
  after(() => dir.remove());

  it('answers the stanza that could not be stored with resource-constraint and keeps the stream', async () => {
    const driver = new SqliteDriver(join(dir.path, 'small.sqlite'), { maxBytes: 512 * 1024 });
    const server = createServer({ ...TEST_DEFAULTS, ...BASE, offline_max_bytes: 100 * 1024 * 1024 }, { logger: captureLog('silent').logger, storage: driver });
    await server.start();
    try {
      server.accounts.create('localhost', 'alice', PW);
      server.accounts.create('localhost', 'bob', PW);
      const tcp = reportedListeners(server).find((l) => l.service === 'c2s')!.port;
      const http = reportedListeners(server).find((l) => l.service === 'http')!.port;
      const alice = await connectToken('tcp', { ws: http, tcp }, 'alice', PW, 'a');
      for (let i = 0; i < 30; i++) alice.send(tokenMessage('bob@localhost', `tok-disk-${i}`, 50_000));
      await alice.ping(20_000);
      const stored = server.storage.listStats('localhost', 'offline', 'bob').count;
      assert.ok(stored > 0 && stored < 30, `the disk filled up after ${stored} messages`);
      assert.equal(alice.messageErrors(), 30 - stored, 'every message that could not be stored was answered');
      assert.match(alice.received(), /<error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/);
      assert.equal(alice.ended, false, 'the sender keeps its stream');
      await alice.ping();
      await alice.closeCleanly();
    } finally {
      await server.stop();
    }
  });
});

describe('unauthenticated connections', () => {
  let t: TestServer;
  const sockets: Socket[] = [];
  before(async () => {
    t = await startTestServer({ ...BASE, c2s_max_unauthed_per_ip: 4, c2s_max_unauthed: 6 }, { users: { alice: PW } });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await t.stop();
  });

  const open = (localAddress: string): Promise<{ socket: Socket; text: () => string; ended: Promise<void> }> => new Promise((resolve, reject) => {
    let text = '';
    const socket = netConnect({ host: '127.0.0.1', port: t.c2sPort, localAddress }, () => resolve({ socket, text: () => text, ended }));
    const ended = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (d) => { text += d.toString(); });
    socket.once('error', reject);
    sockets.push(socket);
  });

  it('are capped per IP (c2s_max_unauthed_per_ip) and in total (c2s_max_unauthed), over TCP and WebSocket', async () => {
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await open('127.0.0.1'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(t.server.sessions.count, 4);
    const refused = await open('127.0.0.1');
    await refused.ended;
    assert.match(refused.text(), /<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    assert.match(refused.text(), /c2s_max_unauthed_per_ip/);
    const ws = await WsProbe.open(t.port('http'), { host: 'localhost' });
    assert.equal((await ws.head).status, 503, 'the WebSocket upgrade is refused too');
    ws.destroy();

    // Another address is fine, until the total is reached.
    held.push(await open('127.0.0.2'), await open('127.0.0.2'));
    await new Promise((r) => setTimeout(r, 100));
    const overTotal = await open('127.0.0.3');
    await overTotal.ended;
    assert.match(overTotal.text(), /c2s_max_unauthed =/);

    // Authenticated sessions do not count: after one logs in, a new connection is accepted.
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.ended));
    await new Promise((r) => setTimeout(r, 100));
    const ports = { ws: t.port('http'), tcp: t.c2sPort };
    const logged = [];
    for (let i = 0; i < 5; i++) logged.push(await connectToken('tcp', ports, 'alice', PW, `r${i}`));
    const fresh = await open('127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fresh.socket.destroyed, false, 'accepted: the five logged-in sessions are not unauthenticated');
    for (const c of logged) await c.closeCleanly();
  });
});
