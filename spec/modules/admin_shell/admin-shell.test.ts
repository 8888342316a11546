/**
 * Tests for lib/modules/admin_shell: a real server in process with its admin socket under a temp
 * data_path, real clients over TCP (the raw scripted client), and requests over the socket:
 * permissions and lifecycle of the socket, c2s show / close, users, modules, config reload.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer, loadConfigFile, type Server } from '../../../lib/index.js';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, PASSWORD, type ImServer } from '../../helpers/im-server.js';
import { rawClient } from '../../helpers/im-clients.js';
import { reportedListeners, TEST_DEFAULTS } from '../../helpers/server.js';
import { captureLog } from '../../helpers/log.js';

interface Reply { ok: boolean; lines: string[]; error?: string }

/** Send raw text to the admin socket and read the reply lines (one per request line sent). */
async function exchange(path: string, text: string, replies = 1): Promise<Reply[]> {
  const socket = connect(path);
  await once(socket, 'connect');
  socket.setEncoding('utf8');
  let data = '';
  socket.on('data', (d: string) => { data += d; });
  socket.write(text);
  while (data.split('\n').length - 1 < replies) {
    const [event] = await Promise.race([once(socket, 'data'), once(socket, 'close')]) as unknown[];
    if (event === undefined && data.split('\n').length - 1 < replies && socket.destroyed) break;
  }
  socket.end();
  return data.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Reply);
}

async function admin(path: string, line: string): Promise<Reply> {
  return (await exchange(path, `${JSON.stringify({ line })}\n`))[0]!;
}

const isStreamError = (el: Element): boolean => el.name === 'stream:error';
const conditionOf = (el: Element): string | undefined => el.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-streams')?.name;

describe('admin_shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-admin-'));
  const socketPath = join(dir, 'data', 'xmpp-server.sock');
  let s: ImServer;
  before(async () => {
    s = await startImServer(['juliet', 'romeo', 'nurse'], {
      data_path: join(dir, 'data'),
      modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'smacks', 'admin_shell'],
    });
  });
  after(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on <data_path>/xmpp-server.sock, mode 0600; a second server on the same data_path fails clearly', async () => {
    assert.ok(statSync(socketPath).isSocket());
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    const second = createServer({ ...TEST_DEFAULTS, data_path: join(dir, 'data'), modules_enabled: ['admin_shell'] }, { logger: captureLog('silent').logger });
    await assert.rejects(second.start(), /another server is running on this data_path: its admin socket .*xmpp-server\.sock answers/);
    assert.ok(existsSync(socketPath), 'the failed start leaves the running server\'s socket alone');
    assert.equal((await admin(socketPath, 'help')).ok, true);
  });

  it('c2s show lists a real session (JID, transport, IP, secure, SM, idle); c2s close kicks it with a stream error', async () => {
    const juliet = await s.raw('juliet', 'balcony');
    juliet.stream.write(xml('enable', { xmlns: 'urn:xmpp:sm:3', resume: 'true' }));
    await juliet.next((el) => el.name === 'enabled', 'sm enabled');
    const romeo = await s.raw('romeo', 'orchard');

    const shown = await admin(socketPath, 'c2s show');
    assert.equal(shown.ok, true, shown.error);
    assert.match(shown.lines[0]!, /^JID\s+Transport\s+IP\s+Secure\s+SM\s+Idle$/);
    const row = shown.lines.find((l) => l.startsWith('juliet@localhost/balcony'));
    assert.ok(row, shown.lines.join('\n'));
    assert.match(row, /^juliet@localhost\/balcony\s+tcp\s+127\.0\.0\.1\s+no\s+resumable\s+\d+s$/);
    assert.match(shown.lines.find((l) => l.startsWith('romeo@localhost/orchard'))!, /\stcp\s+127\.0\.0\.1\s+no\s+-\s+\d+s$/);
    assert.equal(shown.lines.at(-1), '2 c2s sessions shown');
    // A filter by bare JID, in Prosody's form.
    const one = await admin(socketPath, 'c2s:show("romeo@localhost")');
    assert.equal(one.lines.at(-1), '1 out of 2 c2s sessions shown');

    const closed = await admin(socketPath, 'c2s close juliet@localhost/balcony "Go to bed"');
    assert.deepEqual(closed, { ok: true, lines: ['Total: 1 sessions closed'] });
    const error = await juliet.next(isStreamError, 'the stream error');
    assert.equal(conditionOf(error), 'policy-violation');
    assert.equal(error.getChildText('text'), 'Go to bed');
    await juliet.stream.close(); // our </stream:stream> answers the server's
    const after = await admin(socketPath, 'c2s show');
    assert.ok(!after.lines.some((l) => l.startsWith('juliet@')), after.lines.join('\n'));
    assert.ok(after.lines.some((l) => l.startsWith('romeo@localhost/orchard')));
    await romeo.stop();
  });

  it('user list / create / password / delete: a password change ends sessions with reset, a deletion with not-authorized', async () => {
    assert.deepEqual(await admin(socketPath, 'user list localhost'), { ok: true, lines: ['juliet@localhost', 'nurse@localhost', 'romeo@localhost', '3 users'] });
    assert.equal((await admin(socketPath, 'user:create("tybalt@localhost", "sw0rd")')).ok, true);
    assert.ok(s.server.accounts.verifyPassword('localhost', 'tybalt', 'sw0rd'));

    const nurse = await s.raw('nurse', 'one');
    const changed = await admin(socketPath, 'user password nurse@localhost n3w-pw');
    assert.deepEqual(changed, { ok: true, lines: ['Account password changed for nurse@localhost (1 sessions closed)'] });
    assert.equal(conditionOf(await nurse.next(isStreamError, 'reset')), 'reset');
    await assert.rejects(rawClient(s.port, 'nurse', PASSWORD), /SASL failed/);
    const again = await rawClient(s.port, 'nurse', 'n3w-pw', 'two');

    const deleted = await admin(socketPath, 'user delete nurse@localhost');
    assert.deepEqual(deleted, { ok: true, lines: ['Account deleted nurse@localhost (1 sessions closed)'] });
    assert.equal(conditionOf(await again.next(isStreamError, 'not-authorized')), 'not-authorized');
    assert.equal(s.server.accounts.exists('localhost', 'nurse'), false);

    const missing = await admin(socketPath, 'user delete nurse@localhost');
    assert.equal(missing.ok, false);
    assert.match(missing.error!, /XS_ERR_ACCOUNT_NOT_FOUND/);
    const badHost = await admin(socketPath, 'user list nowhere.test');
    assert.equal(badHost.ok, false);
    assert.match(badHost.error!, /expected a VirtualHost \(hosts: localhost\)/);
  });

  it('module list and module reload (a new instance with its options read again)', async () => {
    const list = await admin(socketPath, 'module list');
    assert.equal(list.ok, true);
    assert.equal(list.lines[0], `localhost (${s.server.modules.loadedNames('localhost').length} modules):`);
    assert.ok(list.lines.includes('  smacks') && list.lines.includes('  admin_shell'), list.lines.join('\n'));

    const before = s.server.modules.get('localhost', 'ping');
    const reloaded = await admin(socketPath, 'module:reload("ping", "localhost")');
    assert.deepEqual(reloaded, { ok: true, lines: ['Reloaded localhost: ping'] });
    assert.notEqual(s.server.modules.get('localhost', 'ping'), before);
    assert.ok(s.server.modules.isLoaded('localhost', 'ping'));

    const unknown = await admin(socketPath, 'module reload nonexistent');
    assert.equal(unknown.ok, false);
    assert.match(unknown.error!, /nonexistent/);
  });

  it('refuses bad input with an error reply and keeps serving: bad JSON, unknown command, unterminated quote, too long', async () => {
    const replies = await exchange(socketPath, 'not json\n{"line": 5}\n{"line": "frobnicate now"}\n{"line": "c2s close \\"x"}\n{"args": ["c2s", "show"]}\n', 5);
    assert.deepEqual(replies.map((r) => r.ok), [false, false, false, false, true]);
    assert.match(replies[0]!.error!, /one JSON object per line/);
    assert.match(replies[2]!.error!, /unknown command 'frobnicate now'; type 'help'/);
    assert.match(replies[3]!.error!, /unterminated double quote/);
    const long = await exchange(socketPath, `{"line": "${'x'.repeat(70_000)}`, 1);
    assert.match(long[0]!.error!, /admin_shell_max_request_bytes/);
    assert.equal((await admin(socketPath, 'help')).ok, true);
  });
});

describe('admin_shell socket lifecycle and config reload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-admin-cfg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.json');
  const base = { ...TEST_DEFAULTS, data_path: 'data', c2s_require_encryption: false, allow_unencrypted_plain_auth: true, modules_enabled: ['saslauth', 'version', 'admin_shell'] };
  let server: Server | undefined;
  after(() => server?.stop());

  it('replaces a stale socket file, applies a live option change, reports a port change, refuses an invalid config, removes the socket at stop', async () => {
    // A socket file left by a crashed server (nobody listens on it any more).
    const socketPath = join(dir, 'data', 'admin.sock');
    mkdirSync(join(dir, 'data'));
    const crashed = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(crashed.stdout, 'data');
    crashed.kill('SIGKILL');
    await once(crashed, 'exit');
    assert.ok(statSync(socketPath).isSocket(), 'a stale socket file is there');

    writeFileSync(file, JSON.stringify({ ...base, admin_socket: 'admin.sock' }));
    server = createServer(await loadConfigFile(file), { logger: captureLog('silent').logger });
    await server.start();
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    const port = reportedListeners(server).find((l) => l.service === 'c2s')!.port;
    server.accounts.create('localhost', 'juliet', 'pw');
    const juliet = await rawClient(port, 'juliet', 'pw');
    const version = async (): Promise<Element> => juliet.iq(xml('iq', { type: 'get', to: 'localhost', id: `v${Math.random()}` }, xml('query', { xmlns: 'jabber:iq:version' })));
    assert.ok((await version()).getChild('query')!.getChild('os'), 'the OS is shown by default');

    writeFileSync(file, JSON.stringify({ ...base, admin_socket: 'admin.sock', hide_os_type: true, c2s_ports: [0, 0], log_level: 'warn' }));
    const reload = await admin(socketPath, 'config reload');
    assert.equal(reload.ok, true, reload.error);
    assert.ok(reload.lines.includes('Applied:'), reload.lines.join('\n'));
    assert.ok(reload.lines.includes('  module version reloaded on localhost (options changed)'), reload.lines.join('\n'));
    assert.ok(reload.lines.some((l) => /^ {2}log_level: warn/.test(l)), reload.lines.join('\n'));
    assert.ok(reload.lines.includes('Needs a restart (the running value stays):'), reload.lines.join('\n'));
    assert.ok(reload.lines.some((l) => /^ {2}c2s_ports \(module c2s\): changed \(needs a restart/.test(l)), reload.lines.join('\n'));
    assert.equal((await version()).getChild('query')!.getChild('os'), undefined, 'hide_os_type applies live');
    assert.equal(server.log.level, 'warn');
    assert.equal(reportedListeners(server).filter((l) => l.service === 'c2s').length, 1, 'the ports stay until a restart');

    // An invalid option: refused with its name, nothing changes.
    writeFileSync(file, JSON.stringify({ ...base, admin_socket: 'admin.sock', hide_os_type: 'yes' }));
    const bad = await admin(socketPath, 'config:reload()');
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /XS_ERR_OPTION_INVALID.*hide_os_type/);
    assert.equal(server.config.raw('localhost', 'hide_os_type'), true);

    // A module enabled and a VirtualHost added: the module loads, the host needs a restart.
    writeFileSync(file, JSON.stringify({ ...base, admin_socket: 'admin.sock', modules_enabled: [...base.modules_enabled, 'ping'], VirtualHost: { localhost: {}, 'new.test': {} } }));
    const more = await admin(socketPath, 'config reload');
    assert.equal(more.ok, true, more.error);
    assert.ok(more.lines.includes('  module ping loaded on localhost'), more.lines.join('\n'));
    assert.ok(more.lines.includes('  VirtualHost new.test: added (needs a restart)'), more.lines.join('\n'));
    assert.deepEqual(server.hostNames, ['localhost']);
    const pong = await juliet.iq(xml('iq', { type: 'get', to: 'localhost', id: 'p1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.type, 'result');

    await juliet.stop();
    await server.stop();
    assert.ok(!existsSync(socketPath), 'the socket file is removed at stop');
  });
});
