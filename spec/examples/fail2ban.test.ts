/**
 * The fail2ban filter in examples/fail2ban/ against real log lines: a real server writes its
 * log files (JSON and text, the `log` option), real clients fail and succeed to log in (PLAIN
 * from 127.0.0.2, SCRAM with @xmpp/client), and the filter's failregex must match every
 * failure with its address and no success. The filter is applied the way fail2ban does it
 * (date removed by datepattern, <HOST> as an address) and, when Debian's fail2ban is
 * installed (.ci/run installs it), by fail2ban-regex itself.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '../../lib/index.js';
import { Config } from '../../lib/core/config.js';
import { flushLogs } from '../../lib/core/log.js';
import { reportedListeners } from '../helpers/server.js';
import { rawClient, xmppJsClient } from '../helpers/im-clients.js';

const FILTER = join(import.meta.dirname, '..', '..', '..', 'examples', 'fail2ban', 'filter.d', 'xmpp-server.conf');

/** The values of a (possibly multi-line) setting of fail2ban's ini file. */
function setting(conf: string, name: string): string[] {
  const lines = conf.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${name} =`));
  const out = [lines[start]!.slice(name.length + 2).trim()];
  for (const l of lines.slice(start + 1)) {
    if (!/^\s+\S/.test(l)) break;
    out.push(l.trim());
  }
  return out.filter(Boolean).map((v) => v.replace(/%%/g, '%'));
}

/** fail2ban's date templates and <HOST>, as JavaScript regular expressions. */
function dateRegex(pattern: string): RegExp {
  return new RegExp(pattern.replace('{LEPOCH}', '\\d{13}').replace(/%[YmdHMS]/g, (m) => (m === '%Y' ? '\\d{4}' : '\\d{2}')).replace('%f', '\\d+'));
}
function failRegex(pattern: string): RegExp {
  return new RegExp(pattern.replace('<HOST>', '(?<host>[0-9A-Fa-f.:]+)'));
}

/** A PLAIN login with a wrong password over TCP from `localAddress`. */
async function failPlain(port: number, localAddress: string, user: string): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  let data = '';
  socket.on('data', (d: Buffer) => { data += d.toString(); });
  const until = async (text: string): Promise<void> => {
    for (let i = 0; i < 500 && !data.includes(text); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(data.includes(text), `waiting for ${text}: ${data}`);
  };
  socket.write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
  await until('</stream:features>');
  socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0wrong-password`).toString('base64')}</auth>`);
  await until('<failure');
  socket.destroy();
}

describe('examples/fail2ban filter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-f2b-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('matches every failed login with its address in real JSON and text log files, and no success', async () => {
    const server = createServer(new Config({
      storage: 'memory', scram_iterations: 4096,
      c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], c2s_require_encryption: false, allow_unencrypted_plain_auth: true,
      modules_enabled: ['saslauth'], VirtualHost: { localhost: {} },
      log: [{ to: 'file', filename: 'server.log', levels: { min: 'debug' } }, { to: 'file', filename: 'server.txt', format: 'text' }],
    }, join(dir, 'config.json')));
    await server.start();
    server.accounts.create('localhost', 'juliet', 'right-password');
    const port = reportedListeners(server).find((l) => l.service === 'c2s')!.port;
    try {
      await failPlain(port, '127.0.0.2', 'juliet');
      await failPlain(port, '127.0.0.2', 'nobody');
      await assert.rejects(xmppJsClient(port, 'juliet', 'wrong-password'));
      await (await rawClient(port, 'juliet', 'right-password')).stop();
      await (await xmppJsClient(port, 'juliet', 'right-password')).stop();
    } finally {
      await server.stop();
      flushLogs(server.log);
    }
    await new Promise((r) => setTimeout(r, 50));

    const conf = readFileSync(FILTER, 'utf8');
    const dates = setting(conf, 'datepattern').map(dateRegex);
    const fails = setting(conf, 'failregex').map(failRegex);
    assert.equal(fails.length, 2, 'a JSON and a text failregex');
    for (const file of ['server.log', 'server.txt']) {
      const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
      const failures = lines.filter((l) => l.includes('authentication failed'));
      const successes = lines.filter((l) => /"msg":"authenticated"| authenticated /.test(l));
      assert.equal(failures.length, 3, `${file}: three failed logins logged`);
      assert.equal(successes.length, 2, `${file}: two successful logins logged`);
      const matched = lines.map((line) => {
        const date = dates.map((d) => line.match(d)).find((m) => m);
        assert.ok(date, `${file}: a datepattern finds the time of ${line}`);
        const rest = line.slice(0, date.index) + line.slice(date.index! + date[0].length);
        return fails.map((f) => rest.match(f)?.groups?.host).find((h) => h);
      });
      const hosts = matched.filter((h) => h !== undefined);
      assert.deepEqual(hosts, ['127.0.0.2', '127.0.0.2', '127.0.0.1'], `${file}: the failures and their addresses`);
      lines.forEach((line, i) => assert.equal(matched[i] !== undefined, failures.includes(line), `${file}: ${line}`));

      const f2b = spawnSync('fail2ban-regex', ['-o', 'ip', join(dir, file), FILTER], { encoding: 'utf8' });
      if (f2b.error) {
        process.stdout.write('# fail2ban-regex not installed: the filter was checked by the translation above only\n');
        continue;
      }
      assert.equal(f2b.status, 0, f2b.stderr);
      assert.deepEqual(f2b.stdout.trim().split('\n'), ['127.0.0.2', '127.0.0.2', '127.0.0.1'], `fail2ban-regex on ${file}`);
    }
  });
});
