/**
 * Abuse run: SASL PLAIN brute force must not stall other users. While attacker connections
 * pipeline wrong PLAIN passwords as fast as the server answers (the failure throttle set out
 * of the way), a logged-in user's XEP-0199 pings must keep coming back quickly: the password
 * checks (PBKDF2, scram_iterations 100000) run on the thread pool, not on the event loop.
 * Rerun alone: `node --test .build-NAME/spec/abuse/sasl-event-loop.test.js`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.js';
import { WireClient, login, openStream } from '../helpers/wire-client.js';

const PW = 'correct horse';
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
/** Attacker connections; each pipelines BURST guesses, then reconnects (sasl_max_failures). */
const ATTACKERS = 4;
const BURST = 19;
const PINGS = 60;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('abuse: PLAIN brute force vs. the event loop', () => {
  it('other users\' ping round trips stay bounded (p95 < 100 ms) while PLAIN is hammered', async (t) => {
    const s = await startTestServer({
      c2s_require_encryption: false, allow_unencrypted_plain_auth: true, modules_enabled: ['saslauth', 'ping'],
      scram_iterations: 100_000,
      // Throttling out of the way: this test is about the event loop only.
      limit_auth_max: 1_000_000, limit_auth_account_max: 1_000_000,
      sasl_max_failures: 20,
    }, { users: { alice: PW, mallory: PW } });
    t.after(() => s.stop());
    const { client: alice } = await login(s.c2sPort, 'alice', PW, 'pinger');
    t.after(() => alice.destroy());

    let stop = false;
    let guesses = 0;
    const guess = Buffer.from('\0mallory\0wrong-guess').toString('base64');
    const attacker = async (): Promise<void> => {
      while (!stop) {
        const c = await WireClient.connect(s.c2sPort);
        try {
          await openStream(c);
          c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${guess}</auth>`.repeat(BURST));
          for (let i = 0; i < BURST && !stop; i++) {
            await c.expect(/<failure[^>]*>[\s\S]*?<\/failure>/, 30_000);
            guesses++;
          }
        } catch {
          // the server may close or the run may end mid-burst
        } finally {
          c.destroy();
        }
      }
    };
    const attackers = Array.from({ length: ATTACKERS }, attacker);

    await sleep(300); // let the attack get going
    const started = performance.now();
    const rtts: number[] = [];
    for (let i = 0; i < PINGS; i++) {
      const t0 = performance.now();
      alice.write(`<iq type='get' id='ping${i}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
      const reply = (await alice.expect(new RegExp(`<iq\\b[^>]*\\bid=["']ping${i}["'][^>]*>`), 30_000))[0];
      rtts.push(performance.now() - t0);
      assert.match(reply, /type=["']result["']/);
      await sleep(10);
    }
    const seconds = (performance.now() - started) / 1000;
    stop = true;
    await Promise.all(attackers);

    const sorted = [...rtts].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    console.log(`ping RTT under attack: p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms; `
      + `${guesses} wrong guesses answered (${(guesses / seconds).toFixed(0)}/s)`);
    assert.ok(guesses > 0, 'the attack ran');
    assert.ok(p95 < 100, `ping p95 ${p95.toFixed(1)} ms: the event loop was blocked`);
  });
});
