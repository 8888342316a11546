/**
 * Tests for lib/cli/main.ts (the xmpp-server command), run as a real child process:
 * register / passwd / deluser / check on a temporary data_path, and `start` with no
 * config answering on its default ports and stopping cleanly on SIGTERM.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { Server } from '../../lib/core/server.js';
import { Config } from '../../lib/core/config.js';
import { captureLog } from '../helpers/log.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Open the SQLite store the CLI wrote to and check a password. */
function verify(configFile: string, user: string, password: string): boolean {
  const server = new Server(new Config(JSON.parse(readFileSync(configFile, 'utf8')), configFile), { logger: captureLog('silent').logger });
  try {
    return server.accounts.verifyPassword('example.test', user, password);
  } finally {
    server.storage.close();
  }
}

describe('xmpp-server CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ data_path: 'data', modules_enabled: [], c2s_ports: [0], VirtualHost: { 'example.test': {} } }));

  it('register / passwd / deluser manage accounts in SQLite under data_path', () => {
    const reg = run(['register', 'Alice', 'example.test', 's3cret', '--config', config], dir);
    assert.equal(reg.code, 0, reg.err);
    assert.match(reg.out, /Account created alice@example\.test/);
    assert.ok(existsSync(join(dir, 'data', 'xmpp-server.sqlite')));
    assert.ok(verify(config, 'alice', 's3cret'));
    assert.ok(!readFileSync(join(dir, 'data', 'xmpp-server.sqlite')).includes('s3cret'), 'no plaintext password on disk');

    const dup = run(['register', 'alice', 'example.test', 'x', '--config', config], dir);
    assert.equal(dup.code, 1);
    assert.match(dup.err, /XS_ERR_ACCOUNT_EXISTS/);

    const pw = run(['passwd', 'alice', 'example.test', 'n3w', '--config', config], dir);
    assert.equal(pw.code, 0, pw.err);
    assert.ok(verify(config, 'alice', 'n3w'));
    assert.ok(!verify(config, 'alice', 's3cret'));

    const del = run(['deluser', 'alice', 'example.test', '--config', config], dir);
    assert.equal(del.code, 0, del.err);
    assert.ok(!verify(config, 'alice', 'n3w'));
    const again = run(['deluser', 'alice', 'example.test', '--config', config], dir);
    assert.equal(again.code, 1);
    assert.match(again.err, /XS_ERR_ACCOUNT_NOT_FOUND/);
  });

  it('deluser leaves a tombstone when the tombstones module is enabled; register honours it', () => {
    const withTombstones = join(dir, 'tombstones.json');
    writeFileSync(withTombstones, JSON.stringify({ data_path: 'data-t', modules_enabled: ['tombstones'], c2s_ports: [0], VirtualHost: { 'example.test': {} } }));
    assert.equal(run(['register', 'carol', 'example.test', 'pw', '--config', withTombstones], dir).code, 0);
    assert.equal(run(['deluser', 'Carol', 'example.test', '--config', withTombstones], dir).code, 0);
    const refused = run(['register', 'carol', 'example.test', 'pw', '--config', withTombstones], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /'carol' belonged to an account deleted on .* user_tombstone_expiry/);
    assert.ok(!verify(withTombstones, 'carol', 'pw'));

    // A tombstone that has expired (user_tombstone_expiry) no longer stands in the way.
    const expiring = join(dir, 'expiring.json');
    writeFileSync(expiring, JSON.stringify({ data_path: 'data-t', modules_enabled: ['tombstones'], user_tombstone_expiry: 1, c2s_ports: [0], VirtualHost: { 'example.test': {} } }));
    const server = new Server(new Config(JSON.parse(readFileSync(expiring, 'utf8')), expiring), { logger: captureLog('silent').logger });
    try {
      server.storage.mapSet('example.test', 'tombstones', '', 'carol', Date.now() - 5000);
    } finally {
      server.storage.close();
    }
    assert.equal(run(['register', 'carol', 'example.test', 'pw', '--config', expiring], dir).code, 0);

    // Without the module (the first config), a deleted name can be registered again.
    assert.equal(run(['register', 'dave', 'example.test', 'pw', '--config', config], dir).code, 0);
    assert.equal(run(['deluser', 'dave', 'example.test', '--config', config], dir).code, 0);
    assert.equal(run(['register', 'dave', 'example.test', 'pw', '--config', config], dir).code, 0);
  });

  it('refuses an unknown host, bad usage and an unknown command', () => {
    const host = run(['register', 'bob', 'nowhere.test', 'pw', '--config', config], dir);
    assert.equal(host.code, 1);
    assert.match(host.err, /Host 'nowhere.test' is not a VirtualHost/);
    assert.equal(run(['register', 'bob'], dir).code, 2);
    assert.equal(run(['frobnicate'], dir).code, 2);
    assert.equal(run([], dir).code, 2);
    assert.equal(run(['--help'], dir).code, 0);
  });

  it('check passes a good config and explains every problem of a bad one', async () => {
    const good = run(['check', '--config', config], dir);
    assert.equal(good.code, 0, good.out + good.err);
    assert.match(good.out, /no problems found/);

    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({
      tpyo_option: 1,
      c2s_ports: [port],
      c2s_interfaces: ['127.0.0.1'],
      modules_enabled: [],
      VirtualHost: { 'example.test': { certificate: 'missing.crt', key: 'missing.key' } },
    }));
    const r = run(['check', '--config', bad], dir);
    blocker.close();
    assert.equal(r.code, 1);
    assert.match(r.out, /warning .*unknown option 'tpyo_option'/);
    assert.match(r.out, /PROBLEM .*host example\.test: certificate missing\.crt .* cannot be read/);
    assert.match(r.out, new RegExp(`PROBLEM .*c2s_ports \\(module 'c2s'\\): cannot listen on 127\\.0\\.0\\.1 port ${port}: the port is in use`));
    assert.match(r.out, /problem\(s\) found/);

    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ modules_enabled: ['nonexistent_module'], VirtualHost: { 'example.test': {} } }));
    const u = run(['check', '--config', unknown], dir);
    assert.equal(u.code, 1);
    assert.match(u.out, /PROBLEM .*unknown module 'nonexistent_module'/);

    const component = join(dir, 'component.json');
    writeFileSync(component, JSON.stringify({ modules_enabled: ['disco'], VirtualHost: { 'example.test': {} },
      Component: { 'files.example.test': { module: 'nonexistent_component' }, 'v.example.test': { module: 'version', modules_enabled: ['uptime'] } } }));
    const cc = run(['check', '--config', component], dir);
    assert.equal(cc.code, 1);
    assert.match(cc.out, /ok .*component v\.example\.test: modules version, uptime/);
    assert.match(cc.out, /PROBLEM .*component files\.example\.test: .*nonexistent_component/);

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "VirtualHost": ');
    const b = run(['check', '--config', broken], dir);
    assert.equal(b.code, 1);
    assert.match(b.out, /XS_ERR_CONFIG_LOAD/);
  });

  it('start with no config serves localhost on its default ports and stops cleanly on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'xs-cli-start-'));
    after(() => rmSync(cwd, { recursive: true, force: true }));
    const child = spawn(process.execPath, [CLI, 'start'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = once(child, 'exit');
    await waitFor(() => out.includes('xmpp-server running'), () => `no announcement; stderr: ${err}`);

    // c2s on 5222 answers a stream header with its own. Without a certificate and with
    // c2s_require_encryption (the default) it then explains why it cannot go on.
    const c2s = connect(5222, '127.0.0.1');
    c2s.write(`<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    let xml = '';
    c2s.on('data', (d: Buffer) => { xml += d.toString(); });
    await waitFor(() => xml.includes('<stream:stream') && xml.includes('</stream:stream>'), () => `c2s answered: ${xml}`);
    assert.match(xml, /from=['"]localhost['"]/);
    assert.match(xml, /c2s_require_encryption/, 'the stream error tells the operator what to set');
    // A WebSocket client is mid-stream when SIGTERM arrives.
    const ws = new WebSocket('ws://127.0.0.1:5280/xmpp-websocket', 'xmpp');
    const frames: string[] = [];
    ws.on('message', (d: Buffer) => { frames.push(d.toString()); });
    await once(ws, 'open');
    ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`);
    await waitFor(() => frames.some((f) => f.includes('features')), () => `websocket frames: ${frames.join(' | ')}`);
    // HTTP on 5280 (loopback) answers.
    const res = await fetch('http://127.0.0.1:5280/xmpp-websocket');
    assert.equal(res.status, 200);
    assert.ok(existsSync(join(cwd, 'data', 'xmpp-server.sqlite')), 'SQLite under ./data');

    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, err);
    assert.ok(frames.some((f) => f.includes('system-shutdown')), `the WebSocket client is told the server is shutting down: ${frames.join(' | ')}`);
    assert.match(err, /"msg":"server stopping"/);
    assert.match(err, /"msg":"server stopped"/);
    c2s.destroy();
    ws.terminate();
  });
});

async function waitFor(ok: () => boolean, why: () => string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
