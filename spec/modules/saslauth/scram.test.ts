/**
 * Tests for lib/modules/saslauth/scram.ts: the server side of SCRAM (RFC 5802, RFC 7677) driven
 * message by message against real accounts on the memory driver. The client side here is
 * written against node:crypto (nothing from lib/core/scram.ts), anchored on the RFC 5802 and
 * RFC 7677 example credentials; the server signature of every success is checked with it.
 * Covered: the GS2 header (n / y / p=, the downgrade rule), authzid, saslname escapes,
 * extensions, nonces, proofs, channel binding, unknown users, SASLprep, the throttle hook.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Accounts, MemoryDriver } from '../../../lib/core/storage/index.js';
import { ScramExchange, decodeSaslname } from '../../../lib/modules/saslauth/scram.js';
import type { SaslContext, SaslStep } from '../../../lib/modules/saslauth/mechanism.js';

type Hash = 'SHA-1' | 'SHA-256';
const H = 'localhost';
const ALG = { 'SHA-1': 'sha1', 'SHA-256': 'sha256' } as const;
const LEN = { 'SHA-1': 20, 'SHA-256': 32 } as const;

/** The example exchanges of RFC 5802 §5 and RFC 7677 §3 (user "user", password "pencil"). */
const RFC = {
  'SHA-1': {
    cnonce: 'fyko+d2lbbFgONRv9qkxdawL', snonce: '3rfcNHYJY1ZVvWVs7j', salt: 'QSXCR+Q6sek8bf92',
    proof: 'v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=', signature: 'rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  'SHA-256': {
    cnonce: 'rOprNGfwEbeRWgbNEkqO', snonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0', salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
    proof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', signature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
} as const;

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const buf = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The client's keys for a password (RFC 5802 §3), by node:crypto alone. */
function clientKeys(hash: Hash, password: string, salt: string, iterations: number): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), iterations, LEN[hash], ALG[hash]);
  const clientKey = createHmac(ALG[hash], salted).update('Client Key').digest();
  return {
    clientKey,
    storedKey: createHash(ALG[hash]).update(clientKey).digest(),
    serverKey: createHmac(ALG[hash], salted).update('Server Key').digest(),
  };
}

/** ClientProof and ServerSignature for an AuthMessage. */
function sign(hash: Hash, password: string, salt: string, iterations: number, authMessage: string): { proof: string; signature: string } {
  const k = clientKeys(hash, password, salt, iterations);
  const clientSignature = createHmac(ALG[hash], k.storedKey).update(authMessage).digest();
  return {
    proof: b64(Buffer.from(k.clientKey.map((b, i) => b ^ clientSignature[i]!))),
    signature: createHmac(ALG[hash], k.serverKey).update(authMessage).digest('base64'),
  };
}

/** Accounts with "user"/"pencil" stored under the RFC salts (4096 iterations), and juliet. */
function accountsWithRfcUser(): Accounts {
  const driver = new MemoryDriver();
  const accounts = new Accounts(driver, { iterations: 4096 });
  const scram: Record<string, unknown> = {};
  for (const hash of ['SHA-1', 'SHA-256'] as const) {
    const k = clientKeys(hash, 'pencil', RFC[hash].salt, 4096);
    scram[hash] = { salt: RFC[hash].salt, iterations: 4096, storedKey: b64(k.storedKey), serverKey: b64(k.serverKey) };
  }
  driver.set(H, 'accounts', 'user', { scram, created: 0 });
  accounts.create(H, 'juliet', 'r0m30');
  accounts.create(H, 'a,b=c', 'commas');
  return accounts;
}

const ACCOUNTS = accountsWithRfcUser();

interface TestContext extends SaslContext {
  readonly admitted: (string | undefined)[];
}

function context(over: Partial<SaslContext> = {}): TestContext {
  const admitted: (string | undefined)[] = [];
  return {
    host: H,
    accounts: ACCOUNTS,
    channelBinding: () => undefined,
    plusOffered: false,
    iterations: 7777,
    secret: Buffer.alloc(32, 1),
    admit: (username) => { admitted.push(username); return undefined; },
    ...over,
    admitted,
  };
}

function condition(step: SaslStep): string {
  return step.kind === 'failure' ? step.condition : step.kind;
}

function challenge(step: SaslStep): Record<string, string> & { text: string } {
  assert.equal(step.kind, 'challenge', `expected a challenge, got ${JSON.stringify(step)}`);
  const text = (step as { data: Buffer }).data.toString('utf8');
  return { ...Object.fromEntries(text.split(',').map((kv) => [kv[0]!, kv.slice(2)])), text };
}

interface RunOptions {
  readonly hash?: Hash;
  readonly plus?: boolean;
  readonly ctx?: TestContext;
  readonly gs2?: string;
  readonly name?: string;
  readonly password?: string;
  readonly cnonce?: string;
  readonly cbData?: Buffer;
  /** Rewrite the client-final-message-without-proof before signing. */
  readonly final?: (withoutProof: string) => string;
}

/** A whole exchange by the independent client; returns the last step and what was signed. */
function run(o: RunOptions = {}): { step: SaslStep; signature?: string; serverFirst?: string } {
  const hash = o.hash ?? 'SHA-256';
  const ex = new ScramExchange(o.ctx ?? context(), hash, o.plus ?? false);
  const gs2 = o.gs2 ?? 'n,,';
  const first = `n=${o.name ?? 'user'},r=${o.cnonce ?? 'abcdEFGH1234'}`;
  const answer = ex.step(buf(gs2 + first));
  if (answer.kind !== 'challenge') return { step: answer };
  const c = challenge(answer);
  const cbind = b64(Buffer.concat([buf(gs2), o.cbData ?? Buffer.alloc(0)]));
  const withoutProof = (o.final ?? ((s) => s))(`c=${cbind},r=${c.r}`);
  const { proof, signature } = sign(hash, o.password ?? 'pencil', c.s!, Number(c.i), `${first},${c.text},${withoutProof}`);
  return { step: ex.step(buf(`${withoutProof},p=${proof}`)), signature, serverFirst: c.text };
}

function assertSuccess(r: { step: SaslStep; signature?: string }, username = 'user'): void {
  assert.equal(r.step.kind, 'success', `expected success, got ${JSON.stringify(r.step)}`);
  const ok = r.step as { username: string; data?: Buffer };
  assert.equal(ok.username, username);
  assert.equal(ok.data?.toString('utf8'), `v=${r.signature}`, 'server signature, computed independently');
}

describe('decodeSaslname (RFC 5802 §5.1)', () => {
  it("decodes '=2C' and '=3D', and refuses any other '=' sequence", () => {
    assert.equal(decodeSaslname('juliet'), 'juliet');
    assert.equal(decodeSaslname('a=2Cb=3Dc'), 'a,b=c');
    assert.equal(decodeSaslname('=3D2C'), '=2C', 'decoded once, not twice');
    for (const bad of ['a=b', '=', 'ab=', '=2', '=2c', '=3d', '=41', '==3D']) assert.equal(decodeSaslname(bad), undefined, bad);
  });
});

describe('ScramExchange', () => {
  describe('the RFC example credentials', () => {
    for (const hash of ['SHA-1', 'SHA-256'] as const) {
      it(`${hash}: the independent client reproduces the RFC proof and signature`, () => {
        const v = RFC[hash];
        const serverFirst = `r=${v.cnonce}${v.snonce},s=${v.salt},i=4096`;
        const auth = `n=user,r=${v.cnonce},${serverFirst},c=biws,r=${v.cnonce}${v.snonce}`;
        assert.deepEqual(sign(hash, 'pencil', v.salt, 4096, auth), { proof: v.proof, signature: v.signature });
      });

      it(`SCRAM-${hash}: the challenge carries the stored salt and count and extends the client nonce; success is signed`, () => {
        const v = RFC[hash];
        const r = run({ hash, cnonce: v.cnonce });
        assert.match(r.serverFirst!, new RegExp(`^r=${v.cnonce.replace(/[+]/g, '\\+')}[A-Za-z0-9+/]{24},s=${v.salt.replace(/[+]/g, '\\+')},i=4096$`));
        assertSuccess(r);
      });

      it(`SCRAM-${hash}: the RFC's own proof, made for another nonce, is refused`, () => {
        const ex = new ScramExchange(context(), hash, false);
        const c = challenge(ex.step(buf(`n,,n=user,r=${RFC[hash].cnonce}`)));
        assert.equal(condition(ex.step(buf(`c=biws,r=${c.r},p=${RFC[hash].proof}`))), 'not-authorized');
      });
    }

    it('two exchanges never get the same server nonce', () => {
      const a = challenge(new ScramExchange(context(), 'SHA-256', false).step(buf('n,,n=user,r=same')));
      const b = challenge(new ScramExchange(context(), 'SHA-256', false).step(buf('n,,n=user,r=same')));
      assert.notEqual(a.r, b.r);
    });
  });

  describe('GS2 header and channel binding (RFC 5802 §6, §7)', () => {
    it("'y' is accepted when no -PLUS mechanism was offered, with c= carrying 'y,,'", () => {
      assertSuccess(run({ gs2: 'y,,', ctx: context({ plusOffered: false }) }));
    });

    it("'y' when -PLUS was offered is a downgrade: not-authorized before any challenge", () => {
      const step = new ScramExchange(context({ plusOffered: true }), 'SHA-256', false).step(buf('y,,n=user,r=abc'));
      assert.equal(condition(step), 'not-authorized');
      // 'n' (the client does not do channel binding) is fine even when -PLUS was offered
      assertSuccess(run({ ctx: context({ plusOffered: true }) }));
    });

    it('an unknown flag, a missing GS2 header, or p= on a mechanism without -PLUS is malformed-request', () => {
      for (const first of ['x,,n=user,r=abc', 'N,,n=user,r=abc', ',,n=user,r=abc', 'n=user,r=abc', 'n,n=user', 'p=tls-exporter,,n=user,r=abc']) {
        const ctx = context({ channelBinding: () => Buffer.alloc(32, 9) });
        assert.equal(condition(new ScramExchange(ctx, 'SHA-256', false).step(buf(first))), 'malformed-request', first);
      }
    });

    it('-PLUS without p= (n or y) is malformed-request; an unsupported or unavailable type is not-authorized', () => {
      const data = Buffer.alloc(32, 9);
      const exporterOnly = context({ plusOffered: true, channelBinding: (t) => (t === 'tls-exporter' ? data : undefined) });
      for (const first of ['n,,n=user,r=abc', 'y,,n=user,r=abc']) {
        assert.equal(condition(new ScramExchange(exporterOnly, 'SHA-256', true).step(buf(first))), 'malformed-request', first);
      }
      for (const first of ['p=tls-unique,,n=user,r=abc', 'p=tls-server-end-point,,n=user,r=abc']) {
        assert.equal(condition(new ScramExchange(exporterOnly, 'SHA-256', true).step(buf(first))), 'not-authorized', first);
      }
    });

    for (const type of ['tls-exporter', 'tls-server-end-point'] as const) {
      it(`-PLUS with ${type}: c= must be the GS2 header followed by the connection's data`, () => {
        const data = randomBytes(32);
        const ctx = (): TestContext => context({ plusOffered: true, channelBinding: (t) => (t === type ? data : undefined) });
        const gs2 = `p=${type},,`;
        assertSuccess(run({ plus: true, gs2, cbData: data, ctx: ctx() }));
        const other = Buffer.from(data.map((b) => b ^ 1));
        const wrongData = run({ plus: true, gs2, cbData: other, ctx: ctx() }).step;
        assert.equal(condition(wrongData), 'not-authorized');
        assert.equal((wrongData as { text?: string }).text, 'channel binding mismatch');
        assert.equal(condition(run({ plus: true, gs2, ctx: ctx() }).step), 'not-authorized', 'the header without the data');
      });
    }

    it('without channel binding, a c= that does not repeat the GS2 header is not-authorized', () => {
      for (const c of ['eSws', 'cD10bHMtZXhwb3J0ZXIsLA==', 'biwsAA==', 'not base64!', '']) {
        const r = run({ final: (s) => s.replace(/^c=[^,]*/, `c=${c}`) });
        assert.equal(condition(r.step), 'not-authorized', c);
      }
    });
  });

  describe('identities', () => {
    it('authzid a= equal to the account is accepted; another, or a malformed one, is refused before the challenge', () => {
      assertSuccess(run({ gs2: 'n,a=user@localhost,' }));
      assertSuccess(run({ gs2: 'n,a=USER@localhost,' }), 'user');
      assert.equal(condition(run({ gs2: 'n,a=juliet@localhost,' }).step), 'invalid-authzid');
      assert.equal(condition(run({ gs2: 'n,a=user@elsewhere.example,' }).step), 'invalid-authzid');
      assert.equal(condition(run({ gs2: 'n,a=us=er@localhost,' }).step), 'malformed-request', 'bad escape');
      assert.equal(condition(run({ gs2: 'n,b=user@localhost,' }).step), 'malformed-request', 'not a=');
    });

    it('a saslname with =2C and =3D names the account with , and =', () => {
      assertSuccess(run({ name: 'a=2Cb=3Dc', password: 'commas' }), 'a,b=c');
      assert.equal(condition(run({ name: 'a=2cb=3dc', password: 'commas' }).step), 'malformed-request');
      assert.equal(condition(run({ name: 'a=b', password: 'commas' }).step), 'malformed-request');
      assert.equal(condition(run({ name: '', password: 'commas' }).step), 'malformed-request');
    });

    it('SASLprep and the username mapping: fullwidth and upper case reach the account', () => {
      const ctx = context();
      assertSuccess(run({ name: 'ＵＳＥＲ', ctx }));
      assertSuccess(run({ name: 'Juliet', password: 'r0m30', ctx }), 'juliet');
      assert.deepEqual(ctx.admitted, ['user', 'user', 'juliet', 'juliet'], 'the throttle sees the normalised name, at both steps');
    });

    it('a name SASLprep prohibits fails at once, without a challenge', () => {
      const step = new ScramExchange(context(), 'SHA-256', false).step(buf('n,,n=us\u0007er,r=abc'));
      assert.equal(condition(step), 'not-authorized');
    });

    it('an unknown user gets a believable challenge (stable salt, configured count) and fails at the proof', () => {
      const ctx = context({ iterations: 7777 });
      const first = (name: string, hash: Hash = 'SHA-256', c = ctx): Record<string, string> =>
        challenge(new ScramExchange(c, hash, false).step(buf(`n,,n=${name},r=nonce`)));
      const a = first('nobody');
      assert.equal(a.i, '7777');
      assert.equal(Buffer.from(a.s!, 'base64').length, 16);
      assert.equal(first('nobody').s, a.s, 'the same salt every time');
      assert.equal(first('Nobody').s, a.s, 'for the same normalised name');
      assert.notEqual(first('somebody').s, a.s);
      assert.notEqual(first('nobody', 'SHA-1').s, a.s);
      assert.notEqual(first('nobody', 'SHA-256', context({ secret: Buffer.alloc(32, 2) })).s, a.s);
      assert.equal(first('user').i, '4096', 'a real account shows its own count');
      const r = run({ name: 'nobody', ctx });
      assert.equal(condition(r.step), 'not-authorized');
      assert.equal((r.step as { username?: string }).username, 'nobody');
    });
  });

  describe('messages (RFC 5802 §7)', () => {
    it('extensions (m=) are refused', () => {
      const step = new ScramExchange(context(), 'SHA-256', false).step(buf('n,,m=ext,n=user,r=abc'));
      assert.equal(condition(step), 'malformed-request');
      assert.match((step as { text?: string }).text ?? '', /extensions/);
    });

    it('the client nonce must be printable ASCII without commas, and not empty', () => {
      for (const first of ['n,,n=user,r=', 'n,,n=user,r=ab cd', 'n,,n=user,r=abc\u00e9', 'n,,n=user,r=ab\tc', 'n,,n=user', 'n,,r=abc,n=user']) {
        assert.equal(condition(new ScramExchange(context(), 'SHA-256', false).step(buf(first))), 'malformed-request', first);
      }
    });

    it('the final nonce must be the whole combined nonce', () => {
      assert.equal(condition(run({ final: (s) => s.replace(/,r=([^,]*)$/, (_, n: string) => `,r=${n.slice(0, -1)}`) }).step), 'not-authorized');
      assert.equal(condition(run({ cnonce: 'abc', final: (s) => s.replace(/,r=.*$/, ',r=abc') }).step), 'not-authorized');
      assert.equal(condition(run({ final: (s) => s.replace(/,r=.*$/, '') }).step), 'malformed-request');
    });

    it('a wrong password, a short proof, no proof or a non-base64 proof fail', () => {
      assert.equal(condition(run({ password: 'pencil2' }).step), 'not-authorized');
      const ex = (): { ex: ScramExchange; fin: string } => {
        const e = new ScramExchange(context(), 'SHA-256', false);
        const c = challenge(e.step(buf('n,,n=user,r=abc')));
        return { ex: e, fin: `c=biws,r=${c.r}` };
      };
      let e = ex();
      assert.equal(condition(e.ex.step(buf(`${e.fin},p=${b64(Buffer.alloc(16))}`))), 'not-authorized');
      e = ex();
      assert.equal(condition(e.ex.step(buf(e.fin))), 'malformed-request');
      e = ex();
      assert.equal(condition(e.ex.step(buf(`${e.fin},p=!!!`))), 'malformed-request');
    });

    it('extensions in the final message are part of the signed AuthMessage', () => {
      assertSuccess(run({ final: (s) => `${s},x=extra` }));
    });

    it('no initial response, an empty final message, or a step after the end is malformed-request', () => {
      assert.equal(condition(new ScramExchange(context(), 'SHA-256', false).step(undefined)), 'malformed-request');
      const ex = new ScramExchange(context(), 'SHA-256', false);
      challenge(ex.step(buf('n,,n=user,r=abc')));
      assert.equal(condition(ex.step(undefined)), 'malformed-request');
      assert.equal(condition(ex.step(buf('c=biws'))), 'malformed-request');
      // a successful exchange is over: replaying its final message gets nowhere
      const done = new ScramExchange(context(), 'SHA-256', false);
      const c = challenge(done.step(buf('n,,n=user,r=abc')));
      const fin = `c=biws,r=${c.r}`;
      const final = buf(`${fin},p=${sign('SHA-256', 'pencil', c.s!, Number(c.i), `n=user,r=abc,${c.text},${fin}`).proof}`);
      assert.equal(done.step(final).kind, 'success');
      assert.equal(condition(done.step(final)), 'malformed-request');
    });
  });

  describe('the failure throttle (SaslContext.admit)', () => {
    it('a refusal is answered as is, at the first message or at the proof', () => {
      const refusal: SaslStep = { kind: 'failure', condition: 'not-authorized', throttled: 'account' };
      assert.equal(new ScramExchange(context({ admit: () => refusal }), 'SHA-256', false).step(buf('n,,n=user,r=abc')), refusal);
      let calls = 0;
      const later = context({ admit: () => (++calls === 2 ? refusal : undefined) });
      assert.equal(run({ ctx: later }).step, refusal, 'the right password does not get past it');
    });
  });

  it('an authcid carrying its own domain and resource is not a username', () => {
    assert.notEqual(run({ name: 'user@elsewhere.example/x' }).step.kind, 'success');
  });
});
