/**
 * The npm package outside the repository: `npm pack` (which runs `prepare`: tsc and the chat
 * page bundle), `npm install -g --prefix <tmp> <tarball>` (dependencies come from the npm
 * registry: network needed), then the installed `xmpp-server` runs in an empty folder, answers
 * a client and stops on SIGTERM. Needs the network, so it runs only with XS_PACKAGING_TEST=1
 * (.ci/run sets it after `npm test`).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const enabled = process.env.XS_PACKAGING_TEST === '1';

async function waitFor(ok: () => boolean, why: () => string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm package', { skip: enabled ? false : 'set XS_PACKAGING_TEST=1 (needs the npm registry; .ci/run does)' }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'xs-pkg-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('packs, installs globally into a prefix, and runs outside the repository', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    assert.equal(pack.status, 0, pack.stderr);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    for (const needed of ['build/lib/cli/main.js', 'build/lib/index.js', 'build/lib/index.d.ts', 'examples/web/index.html', 'examples/web/app.bundle.js',
      'examples/xmpp-server.service', 'examples/fail2ban/filter.d/xmpp-server.conf', 'README.md', 'LICENSE']) {
      assert.ok(files.includes(needed), `the tarball has ${needed}`);
    }
    assert.ok(!files.some((f) => f.startsWith('build/spec/')), 'no tests in the tarball');

    const prefix = join(tmp, 'prefix');
    const install = spawnSync('npm', ['install', '-g', '--no-audit', '--no-fund', '--prefix', prefix, join(tmp, info!.filename)], { cwd: tmp, encoding: 'utf8', timeout: 600_000 });
    assert.equal(install.status, 0, install.stderr);
    const bin = join(prefix, 'bin', 'xmpp-server');
    assert.ok(existsSync(bin), 'the xmpp-server command is installed');
    assert.ok(existsSync(join(prefix, 'lib', 'node_modules', pkg.name, 'examples', 'web', 'app.bundle.js')), 'with the chat page');

    const empty = mkdtempSync(join(tmp, 'run-'));
    const version = spawnSync(bin, ['--version'], { cwd: empty, encoding: 'utf8' });
    assert.equal(version.stdout, `${pkg.name} ${pkg.version}\n`);

    const config = join(tmp, 'config.json');
    writeFileSync(config, JSON.stringify({ data_path: join(empty, 'data'), c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], http_ports: [0], http_interfaces: ['127.0.0.1'], https_ports: [], VirtualHost: { localhost: {} } }));
    const server = spawn(bin, ['start', '--config', config], { cwd: empty, stdio: ['ignore', 'pipe', 'pipe'] });
    after(() => { if (server.exitCode === null) server.kill('SIGKILL'); });
    let out = '';
    let err = '';
    server.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    server.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = once(server, 'exit');
    await waitFor(() => /xmpp:\/\/127\.0\.0\.1:\d+/.test(out), () => `no announcement: ${out} ${err}`);
    const port = Number(/xmpp:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);

    const socket = connect(port, '127.0.0.1');
    let xml = '';
    socket.on('data', (d: Buffer) => { xml += d.toString(); });
    socket.write("<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
    await waitFor(() => xml.includes('<stream:stream'), () => `c2s answered: ${xml}`);
    assert.match(xml, /from=['"]localhost['"]/);
    socket.destroy();
    assert.ok(existsSync(join(empty, 'data', 'xmpp-server.sqlite')), 'SQLite in the data folder');

    server.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, err);
  });
});
