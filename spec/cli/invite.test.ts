/**
 * Tests for lib/cli/invite.ts, run as a real child process against SQLite under a temporary
 * data_path: `invite create` while a server runs on the same store prints the URI and the
 * landing page, and the running server accepts the new token at once (registration over TCP
 * with allow_registration off), once; usage and configuration errors exit 2 / 1.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml, type Element } from '../../lib/core/xml.js';
import { startTestServer } from '../helpers/server.js';
import { rawStream } from '../helpers/im-clients.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');
const H = 'localhost';

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function registerWith(port: number, token: string, user: string): Promise<{ pre: Element; reg?: Element }> {
  const stream = await rawStream(port);
  try {
    stream.write(xml('iq', { type: 'set', id: 'pre' }, xml('preauth', { xmlns: 'urn:xmpp:pars:0', token })));
    const pre = await stream.next((el) => el.attrs.id === 'pre', 'preauth reply');
    if (pre.attrs.type !== 'result') return { pre };
    stream.write(xml('iq', { type: 'set', id: 'reg' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, user), xml('password', {}, 'pw-123456'))));
    return { pre, reg: await stream.next((el) => el.attrs.id === 'reg', 'register reply') };
  } finally {
    await stream.close();
  }
}

describe('xmpp-server invite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-invite-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const raw = {
    data_path: join(dir, 'data'), log_level: 'silent', scram_iterations: 4096,
    modules_enabled: ['saslauth', 'invites_register', 'invites_page'],
    c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], c2s_require_encryption: false,
    http_ports: [0], http_interfaces: ['127.0.0.1'], https_ports: [],
    http_external_url: 'https://chat.example.test/',
    VirtualHost: { [H]: {} },
  };
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(raw));

  it('creates an account invitation that a running server accepts at once, once', async (t) => {
    // The test server's own loopback host is the VirtualHost of the config file.
    const s = await startTestServer({ ...raw, storage: 'sqlite' }, { host: H });
    t.after(() => s.stop());
    const made = run(['invite', 'create', `Juliet@${H}`, '--config', config], dir);
    assert.equal(made.code, 0, made.err);
    assert.match(made.out, new RegExp(`Invitation created for juliet@${H}, valid until \\d{4}-`));
    const token = new RegExp(`URI: xmpp:juliet@${H}\\?register;preauth=([A-Za-z0-9_-]{24})\\n`).exec(made.out)?.[1];
    assert.ok(token, made.out);
    assert.ok(made.out.includes(`Landing page: https://chat.example.test/invite?${token}\n`), made.out);

    const first = await registerWith(s.c2sPort, token, 'juliet');
    assert.equal(first.reg?.attrs.type, 'result');
    assert.ok(s.server.accounts.verifyPassword(H, 'juliet', 'pw-123456'));
    const again = await registerWith(s.c2sPort, token, 'juliet');
    assert.equal(again.pre.getChild('error')?.getChild('forbidden') !== undefined, true, 'the token was used');

    const open = run(['invite', 'create', H, '--config', config], dir);
    assert.equal(open.code, 0, open.err);
    assert.match(open.out, new RegExp(`URI: xmpp:${H}\\?register;preauth=[A-Za-z0-9_-]{24}\\n`));
    const taken = run(['invite', 'create', `juliet@${H}`, '--config', config], dir);
    assert.equal(taken.code, 1);
    assert.match(taken.err, /exists already/);
  });

  it('explains what is wrong', () => {
    assert.equal(run(['invite', 'make', H, '--config', config], dir).code, 2);
    assert.equal(run(['invite', 'create', '--config', config], dir).code, 2);
    const unknown = run(['invite', 'create', 'nowhere.test', '--config', config], dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /not a VirtualHost/);
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ ...raw, modules_enabled: ['saslauth'] }));
    const off = run(['invite', 'create', H, '--config', plain], dir);
    assert.equal(off.code, 1);
    assert.match(off.err, /not enabled on localhost.*invites_register/);
  });
});
