/**
 * Abuse run: account enumeration through SASL. An unknown username and a wrong password for a
 * real one must look the same on the wire (the same <failure/>, the same SCRAM challenge
 * shape) and take the same PBKDF2 work (scram_iterations 200000): both at least half of one
 * measured PBKDF2, a generous bound that only proves the work is done.
 * Rerun alone: `node --test .build-NAME/spec/abuse/sasl-timing.test.js`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WireClient, authPlain, authScram, openStream } from '../helpers/wire-client.js';

const PW = 'r0m30-r0m30';
const ITERATIONS = 200_000;
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** One PBKDF2-HMAC-SHA-256 with the server's count, as fast as this machine does it. */
function pbkdf2Ms(): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    pbkdf2Sync('guess', Buffer.alloc(16, i), ITERATIONS, 32, 'sha256');
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('abuse: account enumeration by SASL answers', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      c2s_require_encryption: false, allow_unencrypted_plain_auth: true,
      scram_iterations: ITERATIONS, limit_auth_max: 1000, limit_auth_account_max: 1000,
    }, { users: { juliet: PW } });
  });
  after(() => t?.stop());

  /** A PLAIN attempt on a fresh connection: the answer and how long it took. */
  async function plain(user: string, password: string): Promise<{ answer: string; ms: number }> {
    const c = await WireClient.connect(t.c2sPort);
    try {
      await openStream(c);
      const t0 = performance.now();
      const answer = await authPlain(c, user, password);
      return { answer, ms: performance.now() - t0 };
    } finally {
      c.destroy();
    }
  }

  it('PLAIN: an unknown user and a wrong password get the same <failure/>, after the same PBKDF2 work', async () => {
    const one = pbkdf2Ms();
    const results: Record<string, { answer: string; ms: number }[]> = { wrong: [], unknown: [], invalid: [] };
    for (let i = 0; i < 3; i++) {
      results.wrong!.push(await plain('juliet', `wrong-${i}`));
      results.unknown!.push(await plain(`nobody${i}`, `wrong-${i}`));
      results.invalid!.push(await plain(`bell\u0007${i}`, `wrong-${i}`)); // SASLprep refuses the name
    }
    const summary = Object.entries(results).map(([k, v]) => `${k}: ${v.map((r) => r.ms.toFixed(1)).join('/')} ms`).join('; ');
    console.log(`one PBKDF2 (${ITERATIONS}): ${one.toFixed(1)} ms; ${summary}`);
    const expected = `<failure xmlns="${SASL}"><not-authorized/></failure>`;
    for (const [kind, list] of Object.entries(results)) {
      for (const r of list) {
        assert.equal(r.answer, expected, `${kind}: the same failure on the wire`);
        assert.ok(r.ms > one * 0.5, `${kind}: answered in ${r.ms.toFixed(1)} ms, less than half a PBKDF2 (${one.toFixed(1)} ms)`);
      }
    }
  });

  it('SCRAM: the same challenge shape and the same failure for an unknown user and a wrong password', async () => {
    const attempt = async (user: string): Promise<{ challenge: string; answer: string }> => {
      const c = await WireClient.connect(t.c2sPort);
      try {
        await openStream(c);
        c.write(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-256'>${Buffer.from(`n,,n=${user},r=abcdefgh`).toString('base64')}</auth>`);
        const challenge = Buffer.from((await c.expect(/<challenge[^>]*>([^<]+)<\/challenge>/))[1]!, 'base64').toString();
        c.write(`<abort xmlns='${SASL}'/>`);
        await c.expect(/<failure[\s\S]*?<\/failure>/);
        return { challenge, answer: await authScram(c, user, 'wrong') };
      } finally {
        c.destroy();
      }
    };
    const real = await attempt('juliet');
    const unknown = await attempt('nobody');
    const shape = new RegExp(`^r=abcdefgh[A-Za-z0-9+/=]{24},s=[A-Za-z0-9+/=]{24},i=${ITERATIONS}$`);
    assert.match(real.challenge, shape);
    assert.match(unknown.challenge, shape);
    assert.equal(real.answer, `<failure xmlns="${SASL}"><not-authorized/></failure>`);
    assert.equal(unknown.answer, real.answer);
  });
});
