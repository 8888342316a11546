/**
 * Tests for lib/cli/drain.ts: `xmpp-server drain` against a real `xmpp-server start` child
 * process. With no server it exits 1 naming the socket; with one, a client with stream
 * management is told the server is going (system-shutdown), its session is stored for a
 * resumption elsewhere (the shared storage holds its unacknowledged stanzas), and drain
 * returns only once the server process has exited.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDriver } from '../../lib/core/storage/index.js';
import { smLogin } from '../helpers/sm-client.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');

function run(args: string[], cwd: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('xmpp-server drain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-drain-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    data_path: 'data', log_level: 'info', scram_iterations: 4096,
    c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], c2s_require_encryption: false, allow_unencrypted_plain_auth: true,
    modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'smacks', 'admin_shell'],
    VirtualHost: { localhost: {} },
  }));

  it('with no server running, exits 1 naming the admin socket', () => {
    const r = run(['drain', '--config', config], dir);
    assert.equal(r.code, 1);
    assert.match(r.err, /No server is running with admin socket .*xmpp-server\.sock/);
  });

  it('stores resumable sessions, tells clients, and returns once the server has exited', async () => {
    assert.equal(run(['register', 'bob', 'localhost', 'pw', '--config', config], dir).code, 0);
    const child = spawn(process.execPath, [CLI, 'start', '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const deadline = Date.now() + 15_000;
    while (!/xmpp:\/\/127\.0\.0\.1:\d+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const port = Number(/xmpp:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    assert.ok(port > 0, `the server announced its port: ${out}`);

    const { c: bob, id } = await smLogin('tcp', { tcp: port, ws: 0 }, 'bob', 'pw', 'phone');
    bob.write("<message xmlns='jabber:client' to='bob@localhost/phone' type='chat'><body>tok-drain-0</body></message>");
    await bob.expect(/tok-drain-0/);

    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const d = spawn(process.execPath, [CLI, 'drain', '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      d.stdout.on('data', (x: Buffer) => { text += x.toString(); });
      d.once('exit', (code) => { resolve({ code, out: text }); });
    });
    assert.equal(r.code, 0);
    assert.match(r.out, /Drained: the server has stopped/);
    assert.notEqual(child.exitCode, null, 'the server process had exited when drain returned');
    await bob.closed;
    assert.match(bob.text(), /<system-shutdown /);

    const db = new SqliteDriver(join(dir, 'data', 'xmpp-server.sqlite'));
    try {
      const stored = db.get('localhost', 'smacks_resume', 'bob') as Record<string, { resource: string; queue: unknown[] }> | undefined;
      assert.equal(stored?.[id]?.resource, 'phone', 'the session is stored for a resumption elsewhere');
      assert.equal(stored?.[id]?.queue.length, 1, 'with the stanza bob had not acknowledged');
    } finally {
      db.close();
    }
  });
});
