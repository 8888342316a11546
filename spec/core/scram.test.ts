/**
 * Tests for lib/core/scram.ts: the RFC 5802 (SCRAM-SHA-1) and RFC 7677 (SCRAM-SHA-256) test
 * exchanges checked against derived credentials (synchronously and on the thread pool), the
 * byte helpers, and SASLprep (RFC 4013) by @mongodb-js/saslprep.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import {
  deriveScramCredential, deriveScramCredentialAsync, digest, hashLength, hi, hiAsync, hmac, saslprep, serverSignature,
  timingSafeEqualB64, verifyClientProof, xorBuffers, type ScramHash,
} from '../../lib/core/scram.js';

interface Vector {
  readonly hash: ScramHash;
  readonly clientFirstBare: string;
  readonly serverFirst: string;
  readonly clientFinalWithoutProof: string;
  readonly proof: string;
  readonly signature: string;
}

/** The example exchanges: user "user", password "pencil". */
const VECTORS: readonly Vector[] = [
  {
    hash: 'SHA-1', // RFC 5802 §5
    clientFirstBare: 'n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinalWithoutProof: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j',
    proof: 'v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    signature: 'rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    hash: 'SHA-256', // RFC 7677 §3
    clientFirstBare: 'n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinalWithoutProof: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    proof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    signature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

function attr(message: string, name: string): string {
  const found = message.split(',').find((a) => a.startsWith(`${name}=`));
  assert.ok(found, `${name}= in ${message}`);
  return found.slice(name.length + 1);
}

describe('SCRAM test vectors', () => {
  for (const v of VECTORS) {
    describe(`SCRAM-${v.hash}`, () => {
      const salt = Buffer.from(attr(v.serverFirst, 's'), 'base64');
      const iterations = Number(attr(v.serverFirst, 'i'));
      const cred = deriveScramCredential(v.hash, 'pencil', salt, iterations);
      const authMessage = `${v.clientFirstBare},${v.serverFirst},${v.clientFinalWithoutProof}`;

      it('keeps the salt and iteration count', () => {
        assert.equal(cred.salt, attr(v.serverFirst, 's'));
        assert.equal(cred.iterations, 4096);
        assert.equal(Buffer.from(cred.storedKey, 'base64').length, hashLength(v.hash));
        assert.equal(Buffer.from(cred.serverKey, 'base64').length, hashLength(v.hash));
      });

      it('accepts the RFC ClientProof with the derived StoredKey, and rejects altered proofs', () => {
        assert.equal(verifyClientProof(v.hash, cred, authMessage, v.proof), true);
        const altered = Buffer.from(v.proof, 'base64');
        altered[0]! ^= 1;
        assert.equal(verifyClientProof(v.hash, cred, authMessage, altered.toString('base64')), false);
        assert.equal(verifyClientProof(v.hash, cred, `${authMessage}x`, v.proof), false);
        assert.equal(verifyClientProof(v.hash, cred, authMessage, 'c2hvcnQ='), false);
        const other = deriveScramCredential(v.hash, 'pencil2', salt, iterations);
        assert.equal(verifyClientProof(v.hash, other, authMessage, v.proof), false);
      });

      it('recovers ClientKey from the proof by hand: H(ClientProof XOR ClientSignature) = StoredKey', () => {
        const storedKey = Buffer.from(cred.storedKey, 'base64');
        const clientSignature = hmac(v.hash, storedKey, authMessage);
        const clientKey = xorBuffers(Buffer.from(v.proof, 'base64'), clientSignature);
        assert.ok(digest(v.hash, clientKey).equals(storedKey));
      });

      it('produces the RFC ServerSignature from the derived ServerKey', () => {
        assert.equal(serverSignature(v.hash, cred, authMessage), v.signature);
        const serverKey = Buffer.from(cred.serverKey, 'base64');
        assert.equal(hmac(v.hash, serverKey, authMessage).toString('base64'), v.signature);
      });

      it('matches the client side of the exchange computed independently', () => {
        const alg = v.hash === 'SHA-1' ? 'sha1' : 'sha256';
        const salted = pbkdf2Sync('pencil', salt, iterations, hashLength(v.hash), alg);
        const clientKey = hmac(v.hash, salted, 'Client Key');
        const proof = xorBuffers(clientKey, hmac(v.hash, digest(v.hash, clientKey), authMessage));
        assert.equal(proof.toString('base64'), v.proof);
      });
    });
  }

  it('rejects an iteration count below 1', async () => {
    assert.throws(() => deriveScramCredential('SHA-256', 'pencil', Buffer.alloc(16), 0), /iteration/);
    assert.throws(() => deriveScramCredential('SHA-256', 'pencil', Buffer.alloc(16), 1.5), /iteration/);
    await assert.rejects(deriveScramCredentialAsync('SHA-256', 'pencil', Buffer.alloc(16), 0), /iteration/);
    await assert.rejects(hiAsync('SHA-1', 'pencil', Buffer.alloc(16), -1), /iteration/);
  });
});

describe('asynchronous derivation (thread pool)', () => {
  it('hiAsync and deriveScramCredentialAsync give what the synchronous ones give (RFC 7677 §3 credential)', async () => {
    for (const hash of ['SHA-1', 'SHA-256'] as const) {
      const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
      assert.ok((await hiAsync(hash, 'pencil', salt, 4096)).equals(hi(hash, 'pencil', salt, 4096)));
      assert.deepEqual(await deriveScramCredentialAsync(hash, 'pencil', salt, 4096), deriveScramCredential(hash, 'pencil', salt, 4096));
    }
    // SASLprep applies: "I<U+00AD>X" derives like "IX"
    const salt = Buffer.alloc(16, 1);
    assert.deepEqual(await deriveScramCredentialAsync('SHA-256', 'I\u00ADX', salt, 4096), deriveScramCredential('SHA-256', 'IX', salt, 4096));
    await assert.rejects(deriveScramCredentialAsync('SHA-256', 'bell\u0007', salt, 4096), /SASLprep: prohibited/);
  });

  it('leaves the event loop free while PBKDF2 runs', async () => {
    // Calibrate: iterations that take about 300 ms here, so the timer below gets many chances.
    const probe = 100_000;
    const start = performance.now();
    hi('SHA-256', 'pencil', Buffer.alloc(16), probe);
    const perIteration = (performance.now() - start) / probe;
    const iterations = Math.max(probe, Math.round(300 / perIteration));
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 5);
    const t0 = performance.now();
    await hiAsync('SHA-256', 'pencil', Buffer.alloc(16), iterations);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    console.log(`hiAsync: ${iterations} iterations in ${elapsed.toFixed(0)} ms, ${ticks} timer ticks meanwhile`);
    // A blocked loop gets 0 or 1 tick; a free one about elapsed / 5.
    assert.ok(ticks >= 5, `the 5 ms timer ran only ${ticks} times during ${elapsed.toFixed(0)} ms of PBKDF2`);
  });
});

describe('byte helpers', () => {
  it('hmac and digest agree with known values', () => {
    // RFC 4231 test case 2 (HMAC-SHA-256) and FIPS 180 "abc".
    assert.equal(hmac('SHA-256', 'Jefe', 'what do ya want for nothing?').toString('hex'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    assert.equal(digest('SHA-1', 'abc').toString('hex'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(digest('SHA-256', Buffer.from('abc')).toString('hex'),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('xorBuffers XORs equal-length buffers and refuses others', () => {
    assert.deepEqual([...xorBuffers(Buffer.from([0xff, 0x0f, 0]), Buffer.from([0x0f, 0x0f, 1]))], [0xf0, 0, 1]);
    assert.throws(() => xorBuffers(Buffer.alloc(2), Buffer.alloc(3)), /length/);
  });

  it('timingSafeEqualB64 compares decoded bytes', () => {
    assert.equal(timingSafeEqualB64('AAEC', 'AAEC'), true);
    assert.equal(timingSafeEqualB64('AAEC', 'AAED'), false);
    assert.equal(timingSafeEqualB64('AAEC', 'AAECAw=='), false);
    assert.equal(timingSafeEqualB64('', ''), true);
  });
});

describe('saslprep', () => {
  it('passes the RFC 4013 §3 examples', () => {
    assert.equal(saslprep('I\u00ADX'), 'IX'); // 1. SOFT HYPHEN mapped to nothing
    assert.equal(saslprep('user'), 'user'); // 2. no transformation
    assert.equal(saslprep('USER'), 'USER'); // 3. case preserved, will not match #2
    assert.equal(saslprep('\u00AA'), 'a'); // 4. output is NFKC, input in ISO 8859-1
    assert.equal(saslprep('\u2168'), 'IX'); // 5. output is NFKC, will match #1
    assert.throws(() => saslprep('\u0007'), /^Error: SASLprep: prohibited character/); // 6. Error - prohibited character
    assert.throws(() => saslprep('\u0627\u0031'), /^Error: SASLprep: right-to-left/); // 7. Error - bidirectional check
  });

  it('maps non-ASCII spaces (C.1.2) to SPACE and B.1 characters to nothing', () => {
    assert.equal(saslprep('a\u00A0b\u3000c'), 'a b c');
    assert.equal(saslprep('a\u200Bb'), 'a b', 'ZERO WIDTH SPACE is in C.1.2, mapped to SPACE first');
    assert.equal(saslprep('a\u034Fb\uFEFFc\u200Dd\uFE0F'), 'abcd');
    assert.equal(saslprep('pencil'), 'pencil');
    assert.equal(saslprep(''), '');
  });

  it('rejects controls, private use, non-characters, lone surrogates and tags', () => {
    for (const s of ['a\u0000', 'a\u007F', '\u0085', 'a\uE000', 'a\uFFFE', 'a\uD800', 'a\u{E0041}', 'a\u202Eb', 'a\u{10FFFF}']) {
      assert.throws(() => saslprep(s), (err: Error) => err.constructor === Error && /prohibited/.test(err.message), JSON.stringify(s));
    }
  });

  it('refuses code points unassigned in Unicode 3.2 in stored strings, allows them in queries (RFC 4013 §2.5)', () => {
    for (const s of ['key-\u{1F511}', 'a\u0221']) {
      assert.throws(() => saslprep(s), /^Error: SASLprep: unassigned code point/, JSON.stringify(s));
      assert.throws(() => saslprep(s, { allowUnassigned: false }), /unassigned/);
      assert.equal(saslprep(s, { allowUnassigned: true }), s);
    }
    assert.throws(() => saslprep('\u0007', { allowUnassigned: true }), /prohibited/, 'queries still refuse prohibited characters');
  });

  it('applies the bidi rule of RFC 3454 §6: right-to-left strings start and end right-to-left, never mix with LCat', () => {
    assert.equal(saslprep('\u05D0\u05D1'), '\u05D0\u05D1');
    assert.equal(saslprep('\u0627\u0031\u0628'), '\u0627\u0031\u0628');
    assert.throws(() => saslprep('\u05D0a\u05D1'), /right-to-left/);
  });
});
