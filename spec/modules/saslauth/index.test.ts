/**
 * Tests for lib/modules/saslauth: which mechanisms each connection is offered, PLAIN and
 * SCRAM (with -PLUS channel binding) against a hand-written client, the RFC 6120 §6.5
 * failures, surviving a wrong password, sasl_max_failures, elements pipelined behind a pending
 * password check, a failing check, events, and no secrets in logs. (The failure throttle has
 * its own tests in spec/abuse/sasl-throttle.test.ts; here it is set out of the way.)
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defineModule, type AuthFailureEvent, type AuthSuccessEvent } from '../../../lib/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { selfSignedCertificate, type TestCertificate } from '../../helpers/http.js';
import { captureLog, type CapturedLog } from '../../helpers/log.js';
import {
  WireClient, authPlain, authScram, expectStreamError, openStream, starttls, type WireTlsOptions,
} from '../../helpers/wire-client.js';

const PW = 'n0t-in-the-logs';
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

const events: string[] = [];
const recorder = defineModule({
  name: 'test_sasl_events',
  load(module) {
    module.hook('authentication-success', (e: AuthSuccessEvent) => { events.push(`success ${e.mechanism} ${e.session.username}`); });
    module.hook('authentication-failure', (e: AuthFailureEvent) => { events.push(`failure ${e.mechanism ?? '-'} ${e.condition}`); });
  },
});

function mechanismsOf(features: string): string[] {
  return [...features.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]!);
}

function failureCondition(answer: string): string | undefined {
  return /<failure[^>]*>\s*<([a-z-]+)/.exec(answer)?.[1];
}

describe('saslauth', () => {
  let cert: TestCertificate;
  let tls: WireTlsOptions;
  let t: TestServer;
  let log: CapturedLog;

  before(async () => {
    cert = selfSignedCertificate(['localhost']);
    tls = { ca: readFileSync(cert.certificate) };
    log = captureLog('debug');
    t = await startTestServer({
      certificate: cert.certificate, key: cert.key, c2s_close_timeout: 1,
      modules_enabled: ['saslauth', 'test_sasl_events'],
      // These tests fail logins on purpose, all from 127.0.0.1.
      limit_auth_max: 1000, limit_auth_account_max: 1000,
    }, { users: { juliet: PW }, modules: [recorder], logger: log.logger });
  });
  after(async () => {
    await t?.stop();
    cert?.remove();
  });

  /** A client on TLS (after STARTTLS) and its features. */
  async function secure(): Promise<{ c: WireClient; features: string }> {
    const c = await WireClient.connect(t.c2sPort);
    const before = await openStream(c);
    assert.match(before, /<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required\/><\/starttls>/);
    assert.doesNotMatch(before, /<mechanisms/);
    return { c, features: await starttls(c, tls) };
  }

  describe('what is offered', () => {
    it('nothing before TLS when encryption is required; <auth> there gets encryption-required', async () => {
      const c = await WireClient.connect(t.c2sPort);
      await openStream(c);
      assert.equal(failureCondition(await authPlain(c, 'juliet', PW)), 'encryption-required');
      c.destroy();
    });

    it('after STARTTLS: SCRAM with and without -PLUS, PLAIN, and the channel-binding types (XEP-0440)', async () => {
      const { c, features } = await secure();
      assert.deepEqual(mechanismsOf(features), ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
      assert.match(features, /<sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0"><channel-binding type="tls-exporter"\/><channel-binding type="tls-server-end-point"\/><\/sasl-channel-binding>/);
      assert.doesNotMatch(features, /starttls/);
      c.destroy();
    });

    it('without TLS and without encryption required: SCRAM only, PLAIN refused with encryption-required', async (ctx) => {
      const s = await startTestServer({ c2s_require_encryption: false }, { users: { juliet: PW } });
      ctx.after(() => s.stop());
      const c = await WireClient.connect(s.c2sPort);
      assert.deepEqual(mechanismsOf(await openStream(c)), ['SCRAM-SHA-256', 'SCRAM-SHA-1']);
      assert.equal(failureCondition(await authPlain(c, 'juliet', PW)), 'encryption-required');
      assert.match(await authScram(c, 'juliet', PW, { hash: 'SHA-1' }), /^<success/);
      c.destroy();
    });

    it('allow_unencrypted_plain_auth offers PLAIN on plain TCP; sasl_mechanisms restricts the list', async (ctx) => {
      const s = await startTestServer({ c2s_require_encryption: false, allow_unencrypted_plain_auth: true, sasl_mechanisms: ['SCRAM-SHA-1', 'PLAIN'] });
      ctx.after(() => s.stop());
      const c = await WireClient.connect(s.c2sPort);
      assert.deepEqual(mechanismsOf(await openStream(c)), ['SCRAM-SHA-1', 'PLAIN']);
      c.write(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-256'>biwsbj1qdWxpZXQscj1hYmM=</auth>`);
      assert.equal(failureCondition((await c.expect(/<failure[\s\S]*?<\/failure>/))[0]), 'invalid-mechanism');
      c.destroy();
    });
  });

  describe('exchanges', () => {
    it('SCRAM-SHA-256-PLUS with tls-exporter (RFC 9266), then the stream restarts with bind', async () => {
      const { c } = await secure();
      const data = c.channelBinding('tls-exporter');
      assert.match(await authScram(c, 'juliet', PW, { hash: 'SHA-256', channelBinding: { type: 'tls-exporter', data } }), /^<success/);
      const features = await openStream(c);
      assert.match(features, /<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/>/);
      assert.doesNotMatch(features, /<mechanisms/);
      c.destroy();
    });

    it('SCRAM-SHA-1-PLUS with tls-server-end-point (RFC 5929)', async () => {
      const { c } = await secure();
      const data = c.channelBinding('tls-server-end-point');
      assert.match(await authScram(c, 'juliet', PW, { hash: 'SHA-1', channelBinding: { type: 'tls-server-end-point', data } }), /^<success/);
      c.destroy();
    });

    it('-PLUS with the wrong channel-binding data fails with not-authorized', async () => {
      const { c } = await secure();
      const answer = await authScram(c, 'juliet', PW, { channelBinding: { type: 'tls-exporter', data: Buffer.alloc(32, 7) } });
      assert.equal(failureCondition(answer), 'not-authorized');
      c.destroy();
    });

    it("a client claiming the server lacks channel binding ('y') is refused: downgrade (RFC 5802 §6)", async () => {
      const { c } = await secure();
      assert.equal(failureCondition(await authScram(c, 'juliet', PW, { flag: 'y' })), 'not-authorized');
      c.destroy();
    });

    it('plain SCRAM-SHA-1 and PLAIN work over TLS', async () => {
      const a = await secure();
      assert.match(await authScram(a.c, 'juliet', PW, { hash: 'SHA-1' }), /^<success/);
      a.c.destroy();
      const b = await secure();
      assert.match(await authPlain(b.c, 'Juliet', PW), /^<success/);
      b.c.destroy();
    });

    it('a wrong password fails and the session survives: the next attempt succeeds on the same stream', async () => {
      events.length = 0;
      const { c } = await secure();
      assert.equal(failureCondition(await authPlain(c, 'juliet', 'wrong')), 'not-authorized');
      assert.equal(failureCondition(await authScram(c, 'juliet', 'wrong')), 'not-authorized');
      assert.match(await authScram(c, 'juliet', PW), /^<success/);
      assert.deepEqual(events, ['failure PLAIN not-authorized', 'failure SCRAM-SHA-256 not-authorized', 'success SCRAM-SHA-256 juliet']);
      c.destroy();
    });

    it('an unknown user gets a believable SCRAM challenge, then not-authorized', async () => {
      const { c } = await secure();
      c.write(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-256'>${Buffer.from('n,,n=nobody,r=abcdefgh').toString('base64')}</auth>`);
      const challenge = Buffer.from((await c.expect(/<challenge[^>]*>([^<]+)<\/challenge>/))[1]!, 'base64').toString();
      assert.match(challenge, /^r=abcdefgh[^,]+,s=[A-Za-z0-9+/=]{24},i=4096$/);
      c.write(`<abort xmlns='${SASL}'/>`);
      assert.equal(failureCondition((await c.expect(/<failure[\s\S]*?<\/failure>|<failure[^>]*\/>/))[0]), 'aborted');
      assert.equal(failureCondition(await authScram(c, 'nobody', 'whatever')), 'not-authorized');
      c.destroy();
    });

    it('authzid: empty or the account itself is accepted, another identity gets invalid-authzid', async () => {
      const a = await secure();
      assert.equal(failureCondition(await authPlain(a.c, 'juliet', PW, 'romeo@localhost')), 'invalid-authzid');
      assert.match(await authPlain(a.c, 'juliet', PW, 'juliet@localhost'), /^<success/);
      a.c.destroy();
      const b = await secure();
      assert.equal(failureCondition(await authScram(b.c, 'juliet', PW, { authzid: 'romeo@localhost' })), 'invalid-authzid');
      b.c.destroy();
    });
  });

  describe('failures (RFC 6120 §6.5)', () => {
    it('invalid-mechanism, incorrect-encoding, malformed-request, aborted', async () => {
      const { c } = await secure();
      const next = async (): Promise<string | undefined> => failureCondition((await c.expect(/<failure[^>]*?(?:\/>|>[\s\S]*?<\/failure>)/))[0]);
      c.write(`<auth xmlns='${SASL}' mechanism='DIGEST-MD5'/>`);
      assert.equal(await next(), 'invalid-mechanism');
      c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>not*base64!</auth>`);
      assert.equal(await next(), 'incorrect-encoding');
      c.write(`<response xmlns='${SASL}'>AAAA</response>`);
      assert.equal(await next(), 'malformed-request');
      c.destroy();
      const d = await secure();
      d.c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${Buffer.from('only-one-field').toString('base64')}</auth>`);
      assert.equal(failureCondition((await d.c.expect(/<failure[\s\S]*?<\/failure>|<failure[^>]*\/>/))[0]), 'malformed-request');
      d.c.write(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-1'>${Buffer.from('n,,n=juliet,r=xyz').toString('base64')}</auth>`);
      await d.c.expect(/<challenge/);
      d.c.write(`<abort xmlns='${SASL}'/>`);
      assert.equal(failureCondition((await d.c.expect(/<failure[\s\S]*?<\/failure>|<failure[^>]*\/>/))[0]), 'aborted');
      d.c.destroy();
    });

    it('PLAIN without an initial response gets an empty challenge, then works', async () => {
      const { c } = await secure();
      c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'/>`);
      await c.expect(/<challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
      c.write(`<response xmlns='${SASL}'>${Buffer.from(`\0juliet\0${PW}`).toString('base64')}</response>`);
      await c.expect(/<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
      c.destroy();
    });

    it('sasl_max_failures (3): the third failure closes the stream with policy-violation', async () => {
      const { c } = await secure();
      assert.equal(failureCondition(await authPlain(c, 'juliet', 'a')), 'not-authorized');
      assert.equal(failureCondition(await authPlain(c, 'juliet', 'b')), 'not-authorized');
      assert.equal(failureCondition(await authPlain(c, 'juliet', 'c')), 'not-authorized');
      const text = await expectStreamError(c, 'policy-violation');
      assert.match(text, /sasl_max_failures/);
    });
  });

  describe('pending password checks (PBKDF2 off the event loop)', () => {
    it('elements pipelined behind a pending PLAIN check are answered in order', async (ctx) => {
      events.length = 0;
      const { c } = await secure();
      ctx.after(() => c.destroy());
      const token = (pw: string): string => Buffer.from(`\0juliet\0${pw}`).toString('base64');
      c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${token('wrong')}</auth><abort xmlns='${SASL}'/><auth xmlns='${SASL}' mechanism='PLAIN'>${token(PW)}</auth>`);
      const answers = await c.expect(/^[\s\S]*?<\/failure>[\s\S]*?<\/failure>[\s\S]*?<success[^>]*\/>/);
      assert.deepEqual([...answers[0].matchAll(/<(failure|success)\b[^>]*>(?:<([a-z-]+))?/g)].map((m) => m[2] ?? m[1]), ['not-authorized', 'aborted', 'success']);
      assert.deepEqual(events, ['failure PLAIN not-authorized', 'failure PLAIN aborted', 'success PLAIN juliet']);
    });

    it('input pipelined behind a pending check waits unparsed, bounded by c2s_unauthed_stanza_size_limit', async (ctx) => {
      const { c } = await secure();
      ctx.after(() => c.destroy());
      const guess = `<auth xmlns='${SASL}' mechanism='PLAIN'>${Buffer.from('\0juliet\0guess').toString('base64')}</auth>`;
      // The first guess is being checked; 12 KB more is over the 10,000-byte unauthenticated bound.
      c.write(guess + `<message>${'x'.repeat(12_000)}</message>`);
      await expectStreamError(c, 'policy-violation');
    });

    it('a password check that fails (rejects) is answered with temporary-auth-failure; the session goes on', async (ctx) => {
      const { c } = await secure();
      ctx.after(() => c.destroy());
      // Fault injection: storage that throws cannot be produced from the wire.
      const accounts = t.server.accounts as { verifyPasswordAsync: unknown };
      accounts.verifyPasswordAsync = () => Promise.reject(new Error('disk on fire'));
      try {
        assert.equal(failureCondition(await authPlain(c, 'juliet', PW)), 'temporary-auth-failure');
      } finally {
        delete accounts.verifyPasswordAsync;
      }
      assert.ok(log.lines.some((l) => l.msg === 'SASL mechanism failed' && l.level === 50), 'logged as an error');
      assert.match(await authPlain(c, 'juliet', PW), /^<success/);
    });
  });

  it('never logs passwords or SASL payloads', async () => {
    const { c } = await secure();
    const payload = Buffer.from(`\0juliet\0${PW}`).toString('base64');
    await authPlain(c, 'juliet', `${PW}-wrong`);
    await authPlain(c, 'juliet', PW);
    c.destroy();
    const text = log.text();
    assert.ok(text.includes('authenticated'), 'the success itself is logged');
    assert.ok(!text.includes(PW), 'no password in the log');
    assert.ok(!text.includes(payload), 'no SASL payload in the log');
  });
});
