/**
 * Tests for lib/cli/shell.ts and the account commands through a running server: the real
 * `xmpp-server start` as a child process (temp data_path and config), a real client over TCP,
 * then `xmpp-server shell -c ...`, `deluser`, `passwd` and SIGHUP as child processes too.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { rawClient } from '../helpers/im-clients.js';
import type { Element } from '../../lib/core/xml.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');

function run(args: string[], cwd: string, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000, input });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function waitFor(ok: () => boolean, why: () => string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const streamCondition = (el: Element): string | undefined => el.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-streams')?.name;

describe('xmpp-server shell (CLI against a server started by the CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-shell-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.json');
  const base = {
    data_path: 'data', log_level: 'info', scram_iterations: 4096,
    c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], c2s_require_encryption: false, allow_unencrypted_plain_auth: true,
    modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'smacks', 'admin_shell'],
    VirtualHost: { localhost: {} },
  };
  writeFileSync(config, JSON.stringify(base));

  it('with no server running, shell -c exits 1 naming the socket', () => {
    const r = run(['shell', '-c', 'c2s show', '--config', config], dir);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`No server is running with admin socket ${join(dir, 'data', 'xmpp-server.sock').replace(/[.]/g, '\\.')}`));
  });

  it('lists and kicks a real session; deluser and passwd act through the running server; SIGHUP reloads; shutdown stops it', async () => {
    for (const user of ['juliet', 'romeo']) assert.equal(run(['register', user, 'localhost', 'pw', '--config', config], dir).code, 0);
    const child = spawn(process.execPath, [CLI, 'start', '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = once(child, 'exit');
    await waitFor(() => /xmpp:\/\/127\.0\.0\.1:\d+/.test(out), () => `no announcement; stderr: ${err}`);
    const port = Number(/xmpp:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    assert.equal(statSync(join(dir, 'data', 'xmpp-server.sock')).mode & 0o777, 0o600);

    // c2s show lists the real session; c2s close kicks it.
    const juliet = await rawClient(port, 'juliet', 'pw', 'balcony');
    const show = run(['shell', '-c', 'c2s show', '--config', config], dir);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /^juliet@localhost\/balcony\s+tcp\s+127\.0\.0\.1\s+no\s+-\s+\d+s$/m);
    assert.match(show.out, /^1 c2s sessions shown$/m);
    const kick = run(['shell', '-c', 'c2s:close("juliet@localhost", "Out!")', '--config', config], dir);
    assert.equal(kick.code, 0, kick.err);
    assert.match(kick.out, /Total: 1 sessions closed/);
    const error = await juliet.next((el) => el.name === 'stream:error', 'the kick');
    assert.equal(streamCondition(error), 'policy-violation');
    await juliet.stop();

    // A bad command exits non-zero; so does a failing line read from stdin.
    const bad = run(['shell', '-c', 'frobnicate', '--config', config], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /Error: unknown command 'frobnicate'/);
    const script = run(['shell', '--config', config], dir, 'user list localhost\nmodule list localhost\nuser list nowhere.test\n');
    assert.equal(script.code, 1);
    assert.match(script.out, /^juliet@localhost\nromeo@localhost\n2 users$/m);
    assert.match(script.out, /^ {2}admin_shell$/m);
    assert.match(script.err, /expected a VirtualHost/);

    // passwd ends the user's sessions (reset) and the new password works.
    const romeo = await rawClient(port, 'romeo', 'pw', 'orchard');
    const passwd = run(['passwd', 'romeo', 'localhost', 'n3w', '--config', config], dir);
    assert.equal(passwd.code, 0, passwd.err);
    assert.match(passwd.out, /Account password changed for romeo@localhost \(1 sessions closed\)/);
    assert.equal(streamCondition(await romeo.next((el) => el.name === 'stream:error', 'reset')), 'reset');
    await romeo.stop();
    await assert.rejects(rawClient(port, 'romeo', 'pw'), /SASL failed/);
    const romeo2 = await rawClient(port, 'romeo', 'n3w', 'again');

    // deluser ends the live session (not-authorized) and the account is gone.
    const del = run(['deluser', 'romeo', 'localhost', '--config', config], dir);
    assert.equal(del.code, 0, del.err);
    assert.match(del.out, /Account deleted romeo@localhost \(1 sessions closed\)/);
    assert.equal(streamCondition(await romeo2.next((el) => el.name === 'stream:error', 'not-authorized')), 'not-authorized');
    await romeo2.stop();
    const users = run(['shell', '-c', 'user list localhost', '--config', config], dir);
    assert.match(users.out, /^juliet@localhost\n1 users$/m);
    assert.equal(run(['deluser', 'romeo', 'localhost', '--config', config], dir).code, 1);

    // SIGHUP: the config is read again; a port change is reported as needing a restart.
    writeFileSync(config, JSON.stringify({ ...base, c2s_ports: [0, 0] }));
    child.kill('SIGHUP');
    await waitFor(() => /"change":"c2s_ports \(module c2s\): changed \(needs a restart[^"]*","msg":"config reload: needs a restart"/.test(err), () => `no reload report; stderr: ${err.slice(-2000)}`);

    // server shutdown stops the process cleanly.
    const stop = run(['shell', '-c', 'server shutdown', '--config', config], dir);
    assert.equal(stop.code, 0, stop.err);
    const [code] = await exited;
    assert.equal(code, 0, err.slice(-2000));
    assert.throws(() => statSync(join(dir, 'data', 'xmpp-server.sock')), /ENOENT/);
  });
});
