/**
 * The ejabberd benchmark target (bench/targets/ejabberd*.ts): the config it renders, the SCRAM
 * rows it writes for accounts, and, when Debian's ejabberd is installed (CI does not install
 * it), a real start: a session set up over its WebSocket, and nothing left running after stop.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScramClient } from '../../../bench/client/scram.js';
import { BenchConnection } from '../../../bench/client/connection.js';
import { MAX_FSM_QUEUE, ejabberdConfig, erlArgs, erlEnv, scramRow } from '../../../bench/targets/ejabberd-config.js';
import { ejabberdInstalled, ejabberdTarget } from '../../../bench/targets/ejabberd.js';

const DIR = '/tmp/bench-ejabberd-x';

describe('bench ejabberd target', () => {
  it('renders a loopback-only config: ws and c2s on the given ports, SQLite, SCRAM, no shaper, the MUC service', () => {
    const text = ejabberdConfig({ dir: DIR, c2sPort: 4001, httpPort: 4002, mucDomain: 'conference.localhost' });
    assert.match(text, /- port: 4001\n\s+ip: "127\.0\.0\.1"\n\s+module: ejabberd_c2s\n/);
    assert.match(text, /- port: 4002\n\s+ip: "127\.0\.0\.1"\n\s+module: ejabberd_http\n[^]*\/xmpp-websocket: ejabberd_http_ws\n/);
    assert.equal(text.match(/- port: /g)?.length, 2, 'two listeners, no s2s');
    assert.doesNotMatch(text, /ejabberd_s2s_in/);
    assert.match(text, /\nsql_type: sqlite\n/);
    assert.match(text, /\nsql_database: "\/tmp\/bench-ejabberd-x\/ejabberd\.sqlite"\n/);
    assert.match(text, /\nauth_password_format: scram\n/);
    assert.match(text, /\nloglevel: warning\n/);
    assert.match(text, new RegExp(`\\nmax_fsm_queue: ${MAX_FSM_QUEUE}\\n`));
    assert.match(text, /\n {2}c2s_shaper: none\n/);
    assert.match(text, /\n {2}mod_muc:\n {4}host: "conference\.localhost"\n/);
    // the muc-burst room's 1000 occupants fit: the service's and each room's limit (both 200 by default)
    assert.match(text, /\n {4}max_users: 100000\n/);
    assert.match(text, /\n {4}default_room_options:\n {6}max_users: 100000\n/);
    for (const mod of ['mod_roster', 'mod_disco', 'mod_ping']) assert.match(text, new RegExp(`\\n {2}${mod}: \\{\\}\\n`));
  });

  it('runs a private node: no distribution (so no epmd, no cookie), every path inside its directory', () => {
    const args = erlArgs(DIR);
    for (const flag of ['-name', '-sname', '-setcookie']) assert.ok(!args.includes(flag), flag);
    assert.deepEqual(args.slice(args.indexOf('-mnesia'), args.indexOf('-mnesia') + 3), ['-mnesia', 'dir', '"/tmp/bench-ejabberd-x/spool"']);
    const env = erlEnv(DIR, {});
    for (const key of ['HOME', 'EJABBERD_CONFIG_PATH', 'EJABBERD_LOG_PATH', 'EJABBERD_PID_PATH', 'ERL_CRASH_DUMP']) {
      assert.ok(env[key]?.startsWith(`${DIR}`), `${key}=${env[key]}`);
    }
  });

  it('writes a users row that proves the password in a SCRAM-SHA-1 exchange (RFC 5802), and no other', async () => {
    const row = await scramRow('bench1', 'right', 64);
    const exchange = async (password: string): Promise<{ accepted: boolean; serverVerified: boolean }> => {
      const client = new ScramClient('bench1', password);
      const clientFirstBare = client.first().slice(3);
      const nonce = `${/r=([^,]+)/.exec(clientFirstBare)![1]}server-nonce`;
      const serverFirst = `r=${nonce},s=${row.salt},i=${row.iterationcount}`;
      const clientFinal = await client.final(serverFirst);
      const withoutProof = clientFinal.slice(0, clientFinal.indexOf(',p='));
      const proof = Buffer.from(clientFinal.slice(clientFinal.indexOf(',p=') + 3), 'base64');
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const storedKey = Buffer.from(row.password, 'base64');
      const signature = createHmac('sha1', storedKey).update(authMessage).digest();
      const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
      const accepted = createHash('sha1').update(clientKey).digest().equals(storedKey);
      const serverSignature = createHmac('sha1', Buffer.from(row.serverkey, 'base64')).update(authMessage).digest('base64');
      return { accepted, serverVerified: client.verify(`v=${serverSignature}`) };
    };
    assert.deepEqual(await exchange('right'), { accepted: true, serverVerified: true });
    assert.equal((await exchange('wrong')).accepted, false);
    assert.equal(Buffer.from(row.salt, 'base64').length, 16);
  });

  it('starts Debian\'s ejabberd: a session is set up over ws://, and stop leaves nothing running', async (t) => {
    if (!ejabberdInstalled()) {
      t.skip('ejabberd is not installed (apt-get install ejabberd erlang-p1-sqlite3)');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'bench-ejabberd-'));
    try {
      const target = await ejabberdTarget({ dir });
      assert.match(target.version, /^ejabberd \d+\.\d+/);
      await target.prepare(2, 'spec', 'spec-pass');
      const running = await target.start();
      const port = Number(new URL(running.info.url).port);
      try {
        assert.match(running.info.url, /^ws:\/\/127\.0\.0\.1:\d+\/xmpp-websocket$/);
        assert.ok(existsSync(`/proc/${running.pid}`));
        const c = new BenchConnection({ url: running.info.url, mode: 'xmpp', domain: running.info.domain, user: 'spec2', password: 'spec-pass', resource: 'r', timeoutMs: 20_000 });
        await c.connect();
        assert.match(c.jid, /^spec2@localhost\/./);
        await c.close();
        const bad = new BenchConnection({ url: running.info.url, mode: 'xmpp', domain: running.info.domain, user: 'spec1', password: 'nope', resource: 'r', timeoutMs: 20_000 });
        await assert.rejects(bad.connect());
        bad.terminate();
      } finally {
        await running.stop();
      }
      assert.ok(!existsSync(`/proc/${running.pid}`), 'beam.smp has exited');
      const listening = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
      });
      assert.equal(listening, false, 'nothing listens on its port after stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
