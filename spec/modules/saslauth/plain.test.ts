/**
 * Tests for lib/modules/saslauth/plain.ts: SASL PLAIN (RFC 4616) as an exchange driven directly
 * against real accounts on the memory driver: message parsing (fields, NULs, lengths, UTF-8),
 * the authorization identity, SASLprep'd names and passwords (RFC 4013), the asynchronous
 * password check and the throttle hook; then once on the wire through a real server.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Accounts, MemoryDriver } from '../../../lib/core/storage/index.js';
import { PlainExchange } from '../../../lib/modules/saslauth/plain.js';
import type { SaslContext, SaslStep } from '../../../lib/modules/saslauth/mechanism.js';
import { startTestServer } from '../../helpers/server.js';
import { WireClient, authPlain, bind, openStream } from '../../helpers/wire-client.js';

const H = 'localhost';
const PW = 'r0m30';

const accounts = new Accounts(new MemoryDriver(), { iterations: 4096 });
accounts.create(H, 'juliet', PW);
accounts.create(H, 'nurse', 'pen cil');

interface TestContext extends SaslContext {
  readonly admitted: (string | undefined)[];
}

function context(over: Partial<SaslContext> = {}): TestContext {
  const admitted: (string | undefined)[] = [];
  return {
    host: H,
    accounts,
    channelBinding: () => undefined,
    plusOffered: false,
    iterations: 4096,
    secret: Buffer.alloc(32),
    admit: (username) => { admitted.push(username); return undefined; },
    ...over,
    admitted,
  };
}

/** One PLAIN message (authzid NUL authcid NUL passwd) through a fresh exchange. */
async function plain(message: string | Buffer, ctx = context()): Promise<SaslStep> {
  return new PlainExchange(ctx).step(typeof message === 'string' ? Buffer.from(message, 'utf8') : message);
}

const conditionOf = (step: SaslStep): string => (step.kind === 'failure' ? step.condition : step.kind);
const usernameOf = (step: SaslStep): string | undefined => (step.kind === 'challenge' ? undefined : step.username);

describe('PlainExchange', () => {
  describe('message parsing (RFC 4616 §2)', () => {
    it('authenticates "\\0authcid\\0passwd" as the account', async () => {
      const step = await plain(`\0juliet\0${PW}`);
      assert.deepEqual(step, { kind: 'success', username: 'juliet' });
    });

    it('without an initial response: an empty challenge, then the credentials; a second empty step is malformed', async () => {
      const ex = new PlainExchange(context());
      const first = ex.step(undefined);
      assert.equal(first instanceof Promise, false);
      assert.deepEqual(first, { kind: 'challenge', data: Buffer.alloc(0) });
      assert.equal(conditionOf(await ex.step(Buffer.from(`\0juliet\0${PW}`))), 'success');
      const again = new PlainExchange(context());
      again.step(undefined);
      assert.equal(conditionOf(await again.step(undefined)), 'malformed-request');
    });

    it('missing or extra NUL separators are malformed-request', async () => {
      for (const m of ['', 'juliet', `juliet\0${PW}`, `\0juliet\0${PW}\0`, `\0\0juliet\0${PW}`, `a\0b\0c\0d`]) {
        assert.equal(conditionOf(await plain(m)), 'malformed-request', JSON.stringify(m));
      }
    });

    it('an empty authcid or password is malformed-request', async () => {
      for (const m of [`\0\0${PW}`, '\0juliet\0', `juliet@localhost\0\0${PW}`, '\0\0']) {
        assert.equal(conditionOf(await plain(m)), 'malformed-request', JSON.stringify(m));
      }
    });

    it('fields of 255 octets are accepted, 256 refused; octets are counted, not characters', async () => {
      const accepted = [`\0${'a'.repeat(255)}\0${PW}`, `\0juliet\0${'p'.repeat(255)}`, `\0juliet\0${'é'.repeat(127)}x`];
      for (const m of accepted) assert.equal(conditionOf(await plain(m)), 'not-authorized', 'parsed, then checked');
      const refused = [`\0${'a'.repeat(256)}\0${PW}`, `\0juliet\0${'p'.repeat(256)}`, `\0juliet\0${'é'.repeat(128)}`, `\0${'ü'.repeat(128)}\0${PW}`];
      for (const m of refused) assert.equal(conditionOf(await plain(m)), 'malformed-request');
      assert.equal(conditionOf(await plain(`${'z'.repeat(1021)}\0juliet\0${PW}`)), 'malformed-request', 'an over-long authzid');
      assert.equal(conditionOf(await plain(`${'z'.repeat(1020)}\0juliet\0${PW}`)), 'invalid-authzid', 'a long one is parsed');
    });

    it('bytes that are not UTF-8 are incorrect-encoding', async () => {
      const cases = [
        Buffer.from([0x00, 0x6a, 0xff, 0x00, 0x70]), // 0xff never occurs in UTF-8
        Buffer.concat([Buffer.from('\0juliet\0'), Buffer.from([0xc0, 0xaf])]), // overlong '/'
        Buffer.concat([Buffer.from('\0'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\0pw')]), // a surrogate
        Buffer.concat([Buffer.from('\0juliet\0r0m'), Buffer.from([0xe2, 0x82])]), // truncated sequence
      ];
      for (const m of cases) assert.equal(conditionOf(await plain(m)), 'incorrect-encoding', m.toString('hex'));
    });
  });

  describe('identities', () => {
    it('authzid: empty or the account itself is accepted, another identity is invalid-authzid', async () => {
      for (const authzid of ['juliet@localhost', 'JULIET@localhost', 'juliet@LOCALHOST']) {
        assert.deepEqual(await plain(`${authzid}\0juliet\0${PW}`), { kind: 'success', username: 'juliet' }, authzid);
      }
      for (const authzid of ['romeo@localhost', 'juliet@elsewhere.example', 'juliet', 'localhost', '@@@']) {
        const step = await plain(`${authzid}\0juliet\0${PW}`);
        assert.equal(conditionOf(step), 'invalid-authzid', authzid);
        assert.equal(usernameOf(step), 'juliet');
      }
    });

    it('a foreign authzid with a wrong password tells nothing more than not-authorized', async () => {
      assert.equal(conditionOf(await plain('romeo@localhost\0juliet\0wrong')), 'not-authorized');
    });

    it("SASLprep'd and case-mapped names reach the account: upper case, fullwidth", async () => {
      for (const name of ['JULIET', 'Juliet', 'ｊｕｌｉｅｔ', 'ＪＵＬＩＥＴ', 'jul\u00adiet']) {
        assert.deepEqual(await plain(`\0${name}\0${PW}`), { kind: 'success', username: 'juliet' }, name);
      }
    });

    it('the password is SASLprep\'d too: a soft hyphen maps to nothing, a no-break space to a space', async () => {
      assert.equal(conditionOf(await plain('\0juliet\0r0\u00adm30')), 'success');
      assert.equal(conditionOf(await plain('\0nurse\0pen\u00a0cil')), 'success');
      assert.equal(conditionOf(await plain('\0nurse\0pencil')), 'not-authorized');
    });

    it('a wrong password, an unknown user and an impossible name are all not-authorized, with the name tried', async () => {
      let step = await plain('\0juliet\0wrong');
      assert.deepEqual([conditionOf(step), usernameOf(step)], ['not-authorized', 'juliet']);
      step = await plain(`\0Nobody\0${PW}`);
      assert.deepEqual([conditionOf(step), usernameOf(step)], ['not-authorized', 'nobody']);
      step = await plain(`\0jul\u0007iet\0${PW}`);
      assert.deepEqual([conditionOf(step), usernameOf(step)], ['not-authorized', 'jul\u0007iet']);
      step = await plain(`\0ju liet\0${PW}`);
      assert.deepEqual([conditionOf(step), usernameOf(step)], ['not-authorized', 'ju liet']);
    });

    it('an authcid carrying its own domain and resource is not a username', async () => {
      assert.notEqual(conditionOf(await plain(`\0juliet@elsewhere.example/x\0${PW}`)), 'success');
    });
  });

  describe('the password check', () => {
    it('is asynchronous (PBKDF2 on the thread pool): the event loop turns before the answer', async () => {
      const slow = new Accounts(new MemoryDriver(), { iterations: 60_000 });
      slow.create(H, 'juliet', PW);
      const ex = new PlainExchange(context({ accounts: slow }));
      const pending = ex.step(Buffer.from(`\0juliet\0${PW}`));
      assert.ok(pending instanceof Promise, 'a well-formed message is answered later');
      let turns = 0;
      let done = false;
      const spin = (): void => { if (!done) { turns++; setImmediate(spin); } };
      setImmediate(spin);
      const step = await pending;
      done = true;
      assert.equal(conditionOf(step), 'success');
      assert.ok(turns > 0, `the loop turned ${turns} times while the check ran`);
      // malformed input is answered at once, without any work
      assert.equal(ex.step(Buffer.from('nothing')) instanceof Promise, false);
    });

    it('concurrent exchanges each get their own answer', async () => {
      const steps = await Promise.all([plain(`\0juliet\0${PW}`), plain('\0juliet\0nope'), plain('\0nurse\0pen cil'), plain(`\0ghost\0${PW}`)]);
      assert.deepEqual(steps.map((s) => `${conditionOf(s)} ${usernameOf(s)}`), ['success juliet', 'not-authorized juliet', 'success nurse', 'not-authorized ghost']);
    });

    it('asks the throttle with the normalised name first; a refusal is answered as is, even with the right password', async () => {
      const ctx = context();
      await plain(`\0ＪＵＬＩＥＴ\0${PW}`, ctx);
      assert.deepEqual(ctx.admitted, ['juliet']);
      const refusal: SaslStep = { kind: 'failure', condition: 'not-authorized', throttled: 'ip' };
      assert.equal(await plain(`\0juliet\0${PW}`, context({ admit: () => refusal })), refusal);
      // a malformed message never reaches the throttle
      const untouched = context();
      await plain('\0\0', untouched);
      assert.deepEqual(untouched.admitted, []);
    });
  });
});

describe('PLAIN on the wire', () => {
  it('an upper-case name with its own authzid binds as the account; another authzid is refused', async (t) => {
    const s = await startTestServer({ c2s_require_encryption: false, allow_unencrypted_plain_auth: true }, { users: { juliet: PW } });
    t.after(() => s.stop());
    const c = await WireClient.connect(s.c2sPort);
    try {
      await openStream(c);
      assert.match(await authPlain(c, 'JULIET', PW, 'romeo@localhost'), /<invalid-authzid\/>/);
      assert.match(await authPlain(c, 'JULIET', PW, 'Juliet@localhost'), /^<success/);
      await openStream(c);
      assert.equal(await bind(c, 'balcony'), 'juliet@localhost/balcony');
    } finally {
      c.destroy();
    }
  });
});
