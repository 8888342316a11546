/**
 * Tests for the command line beyond main.test.ts, as real child processes: --version, the
 * password of register/passwd (argument with a warning, piped stdin, a terminal prompt without
 * echo), `check` reporting every problem of a config in one run, and `npm start` leaving no
 * orphan server when npm gets SIGTERM.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Server } from '../../lib/core/server.js';
import { Config } from '../../lib/core/config.js';
import { captureLog } from '../helpers/log.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(ROOT, 'build', 'lib', 'cli', 'main.js');

function run(args: string[], cwd: string, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function verify(configFile: string, user: string, password: string): boolean {
  const server = new Server(new Config(JSON.parse(readFileSync(configFile, 'utf8')), configFile), { logger: captureLog('silent').logger });
  try {
    return server.accounts.verifyPassword('example.test', user, password);
  } finally {
    server.storage.close();
  }
}

async function waitFor(ok: () => boolean, why: () => string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('xmpp-server command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-cmd-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ data_path: 'data', modules_enabled: [], c2s_ports: [0], VirtualHost: { 'example.test': {} } }));

  it('--version prints the package name and version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    const r = run(['--version'], dir);
    assert.equal(r.code, 0);
    assert.equal(r.out, `${pkg.name} ${pkg.version}\n`);
  });

  it('register / passwd take the password from stdin when it is left out, and warn when it is an argument', () => {
    const piped = run(['register', 'alice', 'example.test', '--config', config], dir, 'from-stdin-1\nignored\n');
    assert.equal(piped.code, 0, piped.err);
    assert.doesNotMatch(piped.err, /warning/);
    assert.ok(verify(config, 'alice', 'from-stdin-1'));

    const arg = run(['passwd', 'alice', 'example.test', 'from-arg-2', '--config', config], dir);
    assert.equal(arg.code, 0, arg.err);
    assert.match(arg.err, /warning: a password given on the command line can be seen by other users/);
    assert.ok(verify(config, 'alice', 'from-arg-2'));

    const empty = run(['passwd', 'alice', 'example.test', '--config', config], dir, '');
    assert.equal(empty.code, 1);
    assert.match(empty.err, /no password/);
    assert.ok(verify(config, 'alice', 'from-arg-2'), 'unchanged');
  });

  it('at a terminal, passwd prompts twice without echoing the password', async (t) => {
    if (spawnSync('script', ['--version']).error) {
      t.skip('util-linux script is not installed');
      return;
    }
    // util-linux `script` gives the command a pseudo-terminal; we type once each prompt is shown.
    const cmd = `${process.execPath} ${CLI} passwd alice example.test --config ${config}`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = once(child, 'exit');
    await waitFor(() => out.includes('Password: '), () => `no prompt: ${out}`);
    child.stdin.write('typed-secret-3\r');
    await waitFor(() => out.includes('Retype password: '), () => `no second prompt: ${out}`);
    child.stdin.write('typed-secret-3\r');
    await waitFor(() => out.includes('Account password changed'), () => `no confirmation: ${out}`);
    child.stdin.end();
    const [code] = await exited;
    assert.equal(code, 0, out);
    assert.match(out, /Account password changed for alice@example\.test/);
    assert.ok(!out.includes('typed-secret-3'), `no echo: ${out}`);
    assert.ok(verify(config, 'alice', 'typed-secret-3'));
  });

  it('check reports every problem of a config in one run, with hints for unknown and Prosody names', () => {
    const bad = join(dir, 'problems.json');
    writeFileSync(bad, JSON.stringify({
      log_level: 'loud', // 1: an invalid core option
      modules_enabled: ['saslauth', 'websocket', 'http'],
      sasl_max_failures: 'three', // 2: an invalid option of one module
      websocket_ping_interval: -5, // 3: ... and of another
      http_ports: [0], https_ports: [], c2s_ports: [0],
      c2s_require_encrytion: false, // a near miss
      authentication: 'internal_hashed', cross_domain_websocket: true, // Prosody's names
      VirtualHost: { 'example.test': { data_path: '/srv/xmpp' } }, // 4: a global-only option in a VirtualHost
    }));
    const r = run(['check', '--config', bad], dir);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /PROBLEM +XS_ERR_OPTION_INVALID: Option 'log_level' \(module 'core', host '\*'\) must be one of/);
    assert.match(r.out, /PROBLEM +XS_ERR_OPTION_INVALID: Option 'sasl_max_failures' \(module 'saslauth', host 'example\.test'\) must be an integer/);
    assert.match(r.out, /PROBLEM +XS_ERR_OPTION_INVALID: Option 'websocket_ping_interval' \(module 'websocket'.*must be/);
    assert.match(r.out, /PROBLEM +option 'data_path' \(VirtualHost example\.test\) can only be set globally/);
    assert.match(r.out, /4 problem\(s\) found/);
    assert.match(r.out, /warning +unknown option 'c2s_require_encrytion' \(global\): did you mean 'c2s_require_encryption'\?/);
    assert.match(r.out, /warning +option 'authentication' \(global\) is Prosody's, not this server's: accounts are always stored SCRAM-hashed/);
    assert.match(r.out, /warning +option 'cross_domain_websocket' \(global\) is Prosody's.*websocket_allowed_origins/);
  });

  it('npm start: SIGTERM to npm stops the server (no orphan, its port closes)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'xs-npm-start-'));
    after(() => rmSync(cwd, { recursive: true, force: true }));
    const cfg = join(cwd, 'config.json');
    writeFileSync(cfg, JSON.stringify({ data_path: 'data', modules_enabled: ['saslauth'], c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], http_ports: [], https_ports: [], VirtualHost: { 'example.test': {} } }));
    const npm = spawn('npm', ['start', '--silent', '--', '--config', cfg], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    npm.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    npm.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    let serverPid = 0;
    after(() => { if (serverPid && alive(serverPid)) process.kill(serverPid, 'SIGKILL'); });
    const exited = once(npm, 'exit');
    await waitFor(() => /xmpp:\/\/127\.0\.0\.1:\d+/.test(out) && /"msg":"server started"/.test(err), () => `no announcement: ${out} ${err}`);
    const port = Number(/xmpp:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    serverPid = Number(/"pid":(\d+)[^\n]*"msg":"server started"/.exec(err)![1]);
    assert.notEqual(serverPid, npm.pid, 'the server runs in its own process');
    assert.ok(await reachable(port), 'the server answers');

    npm.kill('SIGTERM');
    await exited;
    await waitFor(() => !alive(serverPid), () => `server process ${serverPid} is still running after npm exited`);
    assert.equal(await reachable(port), false, 'the port is closed');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
