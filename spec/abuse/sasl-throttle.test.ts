/**
 * Abuse run: SASL failure throttling (limit_auth_period, limit_auth_max per IP address,
 * limit_auth_account_max per account; Prosody's mod_limit_auth names). Over a limit, attempts
 * get temporary-auth-failure (RFC 6120 §6.5.11) without a password check, SCRAM failures
 * count and the throttle applies before the SCRAM challenge, a client hanging up mid-check is
 * still counted, the tables forget the oldest entries when full, and every outcome is logged
 * with address, host, transport, mechanism and username (never the password). Loopback is not
 * exempt: these clients come from 127.0.0.1.
 * Rerun alone: `node --test .build-NAME/spec/abuse/sasl-throttle.test.js`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import type { RawConfig } from '../../lib/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { captureLog, type CapturedLog } from '../helpers/log.js';
import { WireClient, authPlain, authScram, openStream } from '../helpers/wire-client.js';

const PW = 'the-real-password';
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const THROTTLED = `<failure xmlns="${SASL}"><temporary-auth-failure/><text xml:lang="en">Too many failed authentication attempts; try again later</text></failure>`;
const NOT_AUTHORIZED = `<failure xmlns="${SASL}"><not-authorized/></failure>`;
const PLAIN_TCP: RawConfig = { c2s_require_encryption: false, allow_unencrypted_plain_auth: true };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function server(config: RawConfig, log?: CapturedLog): Promise<TestServer> {
  return startTestServer({ ...PLAIN_TCP, ...config }, { users: { juliet: PW, romeo: PW }, logger: log?.logger });
}

/** One PLAIN attempt on a fresh connection. */
async function plain(t: TestServer, user: string, password: string): Promise<string> {
  const c = await WireClient.connect(t.c2sPort);
  try {
    await openStream(c);
    return await authPlain(c, user, password);
  } finally {
    c.destroy();
  }
}

/** One SCRAM-SHA-256 attempt on a fresh connection. */
async function scram(t: TestServer, user: string, password: string): Promise<string> {
  const c = await WireClient.connect(t.c2sPort);
  try {
    await openStream(c);
    return await authScram(c, user, password);
  } finally {
    c.destroy();
  }
}

function linesWith(log: CapturedLog, msg: string): Record<string, unknown>[] {
  return log.lines.filter((l) => l.msg === msg);
}

describe('abuse: SASL failure throttling', () => {
  it('per IP (defaults: 5 failures in 30 s), loopback included: the 6th attempt is refused even with the right password', async (ctx) => {
    const t = await server({});
    ctx.after(() => t.stop());
    for (let i = 0; i < 5; i++) assert.equal(await plain(t, `nobody${i}`, 'guess'), NOT_AUTHORIZED, `failure ${i + 1}`);
    assert.equal(await plain(t, 'juliet', PW), THROTTLED);
    assert.equal(await scram(t, 'romeo', PW), THROTTLED, 'SCRAM too, before any challenge');
  });

  it('over the limit, no PBKDF2 runs, and a client that hangs up mid-check is still counted and logged', async (ctx) => {
    const iterations = 1_000_000;
    const t0 = performance.now();
    pbkdf2Sync('x', Buffer.alloc(16), iterations, 32, 'sha256');
    const one = performance.now() - t0;
    const log = captureLog('info');
    const t = await server({ scram_iterations: iterations, limit_auth_max: 2 }, log);
    ctx.after(() => t.stop());

    assert.equal(await plain(t, 'juliet', 'guess-1'), NOT_AUTHORIZED);
    // Second failure: send the guess and hang up at once, while the server is deriving.
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c);
    c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${Buffer.from('\0hangup\0guess-2').toString('base64')}</auth>`);
    c.destroy();
    await sleep(one * 3); // the derivation finishes after the connection is gone
    assert.ok(linesWith(log, 'authentication failed').some((l) => l.username === 'hangup'), 'the abandoned attempt is logged as failed');

    const start = performance.now();
    const answer = await plain(t, 'juliet', PW);
    const ms = performance.now() - start;
    console.log(`one PBKDF2 (${iterations}): ${one.toFixed(0)} ms; throttled answer in ${ms.toFixed(1)} ms`);
    assert.equal(answer, THROTTLED);
    assert.ok(ms < one / 4, `throttled answer took ${ms.toFixed(1)} ms: a password check ran (one PBKDF2 = ${one.toFixed(0)} ms)`);

    const throttled = linesWith(log, 'authentication throttled');
    assert.equal(throttled.length, 1);
    assert.deepEqual(pick(throttled[0]!, ['ip', 'host', 'transport', 'mechanism', 'username', 'condition', 'limit']), {
      ip: '127.0.0.1', host: 'localhost', transport: 'tcp', mechanism: 'PLAIN', username: 'juliet', condition: 'temporary-auth-failure', limit: 'ip',
    });
    assert.equal(throttled[0]!.level, 30, 'info');
  });

  it('per account (limit_auth_account_max): SCRAM failures count, the account is refused from anywhere, others are not; it expires', async (ctx) => {
    const t = await server({ limit_auth_max: 1000, limit_auth_account_max: 3, limit_auth_period: 1 });
    ctx.after(() => t.stop());
    assert.equal(await plain(t, 'juliet', 'a'), NOT_AUTHORIZED);
    assert.equal(await plain(t, 'Juliet', 'b'), NOT_AUTHORIZED, 'the account, not the spelling');
    assert.equal(await scram(t, 'juliet', 'c'), NOT_AUTHORIZED, 'a wrong SCRAM proof');
    assert.equal(await plain(t, 'juliet', PW), THROTTLED);
    assert.equal(await scram(t, 'juliet', PW), THROTTLED, 'before the SCRAM challenge');
    assert.match(await plain(t, 'romeo', PW), /^<success/, 'another account from the same address');
    await sleep(1100);
    assert.match(await plain(t, 'juliet', PW), /^<success/, 'after limit_auth_period');
    assert.match(await scram(t, 'juliet', PW), /^<success/);
  });

  it('a throttled SCRAM exchange stops at the proof when the limit is reached after the challenge', async (ctx) => {
    const t = await server({ limit_auth_max: 1000, limit_auth_account_max: 1 });
    ctx.after(() => t.stop());
    // Take a challenge for juliet first, then let another connection use up juliet's one failure.
    const c = await WireClient.connect(t.c2sPort);
    ctx.after(() => c.destroy());
    await openStream(c);
    c.write(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-256'>${Buffer.from('n,,n=juliet,r=abcdefgh').toString('base64')}</auth>`);
    await c.expect(/<challenge[^>]*>[^<]+<\/challenge>/);
    assert.equal(await plain(t, 'juliet', 'wrong'), NOT_AUTHORIZED);
    c.write(`<response xmlns='${SASL}'>${Buffer.from('c=biws,r=abcdefghXXXX,p=AAAA').toString('base64')}</response>`);
    assert.equal((await c.expect(/<failure[\s\S]*?<\/failure>/))[0], THROTTLED);
  });

  it('the per-account table is bounded (limit_auth_cache_size): rotating usernames pushes the oldest out', async (ctx) => {
    const t = await server({ limit_auth_max: 1_000_000, limit_auth_account_max: 1, limit_auth_cache_size: 10, sasl_max_failures: 20 });
    ctx.after(() => t.stop());
    const c = await WireClient.connect(t.c2sPort);
    ctx.after(() => c.destroy());
    await openStream(c);
    assert.equal(await authPlain(c, 'victim', 'x'), NOT_AUTHORIZED);
    assert.equal(await authPlain(c, 'victim', 'x'), THROTTLED, 'remembered while the table has room');
    for (let i = 0; i < 10; i++) assert.equal(await authPlain(c, `rotating${i}`, 'x'), NOT_AUTHORIZED);
    assert.equal(await authPlain(c, 'victim', 'x'), NOT_AUTHORIZED, 'forgotten: the table held at most 10 names');
  });

  it('logs every failure and success at info with ip, host, transport, mechanism and username, never the password', async (ctx) => {
    const log = captureLog('debug');
    const t = await server({ limit_auth_max: 1000 }, log);
    ctx.after(() => t.stop());
    const wrong = 'wr0ng-pa55word';
    assert.equal(await plain(t, 'juliet', wrong), NOT_AUTHORIZED);
    assert.equal(await scram(t, 'romeo', wrong), NOT_AUTHORIZED);
    assert.match(await plain(t, 'juliet', PW), /^<success/);
    assert.match(await scram(t, 'romeo', PW), /^<success/);
    const fields = ['ip', 'host', 'transport', 'mechanism', 'username'];
    const failed = linesWith(log, 'authentication failed').map((l) => ({ level: l.level, ...pick(l, fields) }));
    assert.deepEqual(failed, [
      { level: 30, ip: '127.0.0.1', host: 'localhost', transport: 'tcp', mechanism: 'PLAIN', username: 'juliet' },
      { level: 30, ip: '127.0.0.1', host: 'localhost', transport: 'tcp', mechanism: 'SCRAM-SHA-256', username: 'romeo' },
    ]);
    const succeeded = linesWith(log, 'authenticated').map((l) => ({ level: l.level, ...pick(l, fields) }));
    assert.deepEqual(succeeded, [
      { level: 30, ip: '127.0.0.1', host: 'localhost', transport: 'tcp', mechanism: 'PLAIN', username: 'juliet' },
      { level: 30, ip: '127.0.0.1', host: 'localhost', transport: 'tcp', mechanism: 'SCRAM-SHA-256', username: 'romeo' },
    ]);
    const text = log.text();
    for (const secret of [PW, wrong, Buffer.from(`\0juliet\0${PW}`).toString('base64'), Buffer.from(`\0juliet\0${wrong}`).toString('base64')]) {
      assert.ok(!text.includes(secret), `${secret} is not in the log`);
    }
  });
});

function pick(line: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, line[k]]));
}
