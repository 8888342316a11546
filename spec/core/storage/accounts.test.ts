/**
 * Tests for lib/core/storage/accounts.ts on real SQLite files: create / verify / passwd /
 * delete, username validation, no plaintext at rest, iterations, and surviving a restart;
 * the asynchronous variants (PBKDF2 off the event loop, races), and equal work for unknown users.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isServerError, type ErrorCode } from '../../../lib/core/errors.js';
import { deriveScramCredential, hi } from '../../../lib/core/scram.js';
import { ACCOUNTS_STORE, Accounts, normalizeUsername, type AccountRecord } from '../../../lib/core/storage/accounts.js';
import { SqliteDriver } from '../../../lib/core/storage/sqlite.js';
import { MemoryDriver } from '../../../lib/core/storage/memory.js';

const dir = mkdtempSync(join(tmpdir(), 'xs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const H = 'example.org';
const ITER = 1000; // low for speed; the iterations test uses a realistic count
let n = 0;

function open(iterations = ITER): { driver: SqliteDriver; accounts: Accounts; file: string } {
  const file = join(dir, `accounts-${++n}.sqlite`);
  const driver = new SqliteDriver(file);
  return { driver, accounts: new Accounts(driver, { iterations }), file };
}

function code(c: ErrorCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isServerError(err), `expected a ServerError, got ${String(err)}`);
    assert.equal(err.code, c);
    return true;
  };
}

describe('Accounts', () => {
  it('creates an account (returning the lower-cased name) and verifies its password', () => {
    const { driver, accounts } = open();
    try {
      assert.equal(accounts.exists(H, 'juliet'), false);
      assert.equal(accounts.create(H, 'Juliet', 'r0m30!'), 'juliet');
      assert.equal(accounts.exists(H, 'juliet'), true);
      assert.equal(accounts.exists(H, 'JULIET'), true);
      assert.equal(accounts.exists('other.example', 'juliet'), false);
      assert.equal(accounts.verifyPassword(H, 'juliet', 'r0m30!'), true);
      assert.equal(accounts.verifyPassword(H, 'JuLiEt', 'r0m30!'), true);
      assert.deepEqual(accounts.list(H), ['juliet']);
      assert.deepEqual(accounts.list('other.example'), []);
    } finally {
      driver.close();
    }
  });

  it('rejects a wrong password, an unknown user and an invalid username with false', () => {
    const { driver, accounts } = open();
    try {
      accounts.create(H, 'juliet', 'r0m30!');
      assert.equal(accounts.verifyPassword(H, 'juliet', 'R0m30!'), false);
      assert.equal(accounts.verifyPassword(H, 'juliet', ''), false);
      assert.equal(accounts.verifyPassword(H, 'juliet', 'r0m30!\u0007'), false, 'SASLprep failure is just false');
      assert.equal(accounts.verifyPassword(H, 'romeo', 'r0m30!'), false);
      assert.equal(accounts.verifyPassword(H, 'bad@name', 'r0m30!'), false);
      assert.equal(accounts.verifyPassword('other.example', 'juliet', 'r0m30!'), false);
    } finally {
      driver.close();
    }
  });

  it('applies SASLprep to passwords, so equivalent forms verify', () => {
    const { driver, accounts } = open();
    try {
      accounts.create(H, 'juliet', 'I\u00ADX');
      assert.equal(accounts.verifyPassword(H, 'juliet', 'IX'), true);
      assert.equal(accounts.verifyPassword(H, 'juliet', '\u2168'), true);
      assert.throws(() => accounts.create(H, 'romeo', 'bad\u0000password'), /prohibited/);
      assert.equal(accounts.exists(H, 'romeo'), false);
    } finally {
      driver.close();
    }
  });

  it('refuses duplicates, including ones differing only in case, with XS_ERR_ACCOUNT_EXISTS', () => {
    const { driver, accounts } = open();
    try {
      accounts.create(H, 'juliet', 'one');
      assert.throws(() => accounts.create(H, 'juliet', 'two'), code('XS_ERR_ACCOUNT_EXISTS'));
      assert.throws(() => accounts.create(H, 'JULIET', 'two'), code('XS_ERR_ACCOUNT_EXISTS'));
      assert.equal(accounts.verifyPassword(H, 'juliet', 'one'), true, 'the first password still holds');
      accounts.create('other.example', 'juliet', 'two');
      assert.equal(accounts.verifyPassword('other.example', 'juliet', 'two'), true);
    } finally {
      driver.close();
    }
  });

  it('changes a password with new salts and the creation time kept; unknown users get XS_ERR_ACCOUNT_NOT_FOUND', () => {
    const { driver, accounts } = open();
    try {
      accounts.create(H, 'juliet', 'old');
      const before = driver.get(H, ACCOUNTS_STORE, 'juliet') as AccountRecord;
      accounts.setPassword(H, 'Juliet', 'new');
      const afterChange = driver.get(H, ACCOUNTS_STORE, 'juliet') as AccountRecord;
      assert.equal(accounts.verifyPassword(H, 'juliet', 'old'), false);
      assert.equal(accounts.verifyPassword(H, 'juliet', 'new'), true);
      assert.equal(afterChange.created, before.created);
      assert.notEqual(afterChange.scram['SHA-256'].salt, before.scram['SHA-256'].salt);
      assert.notEqual(afterChange.scram['SHA-1'].salt, before.scram['SHA-1'].salt);
      assert.throws(() => accounts.setPassword(H, 'romeo', 'x'), code('XS_ERR_ACCOUNT_NOT_FOUND'));
      assert.throws(() => accounts.setPassword(H, 'not valid', 'x'), code('XS_ERR_ACCOUNT_NOT_FOUND'));
      assert.equal(accounts.exists(H, 'romeo'), false);
    } finally {
      driver.close();
    }
  });

  it('deletes an account and everything the user stored on that host', () => {
    const { driver, accounts } = open();
    try {
      accounts.create(H, 'juliet', 'pw');
      accounts.create(H, 'romeo', 'pw');
      accounts.create('other.example', 'juliet', 'pw');
      driver.set(H, 'roster', 'juliet', { romeo: {} });
      driver.append(H, 'offline', 'juliet', { body: 'hi' });
      accounts.delete(H, 'JULIET');
      assert.equal(accounts.exists(H, 'juliet'), false);
      assert.equal(accounts.verifyPassword(H, 'juliet', 'pw'), false);
      assert.equal(driver.get(H, 'roster', 'juliet'), undefined);
      assert.deepEqual(driver.items(H, 'offline', 'juliet'), []);
      assert.deepEqual(accounts.list(H), ['romeo']);
      assert.equal(accounts.exists('other.example', 'juliet'), true);
      assert.throws(() => accounts.delete(H, 'juliet'), code('XS_ERR_ACCOUNT_NOT_FOUND'));
      assert.throws(() => accounts.delete(H, ''), code('XS_ERR_ACCOUNT_NOT_FOUND'));
    } finally {
      driver.close();
    }
  });

  it('refuses invalid usernames with XS_ERR_USERNAME_INVALID and a reason', () => {
    const { driver, accounts } = open();
    try {
      const invalid = ['', 'a@b', 'a b', 'tab\there', 'new\nline', 'a/b', "o'brien", 'a"b', 'a&b', 'a:b', 'a<b', 'a>b', 'nul\u0000', 'del\u007f', 'nbsp\u00a0', 'x'.repeat(1024), '\u00e9'.repeat(512)];
      for (const user of invalid) {
        assert.throws(() => accounts.create(H, user, 'pw'), (err) => {
          code('XS_ERR_USERNAME_INVALID')(err);
          assert.match((err as Error).message, /is invalid: .+/);
          return true;
        }, JSON.stringify(user));
      }
      assert.deepEqual(accounts.list(H), []);
      assert.equal(accounts.create(H, 'x'.repeat(1023), 'pw'), 'x'.repeat(1023));
      assert.equal(accounts.create(H, 'ünïcødé.user-1_2', 'pw'), 'ünïcødé.user-1_2');
    } finally {
      driver.close();
    }
  });

  it('stores only SCRAM credentials: the password is in neither the record nor the file bytes', () => {
    const password = 'Sup3r-Secret-Pässwörd-\u00A7';
    const { driver, accounts, file } = open();
    accounts.create(H, 'juliet', password);
    const record = driver.get(H, ACCOUNTS_STORE, 'juliet') as AccountRecord;
    assert.deepEqual(Object.keys(record).sort(), ['created', 'scram']);
    assert.deepEqual(Object.keys(record.scram).sort(), ['SHA-1', 'SHA-256']);
    for (const [hash, size] of [['SHA-1', 20], ['SHA-256', 32]] as const) {
      const cred = record.scram[hash];
      assert.deepEqual(Object.keys(cred).sort(), ['iterations', 'salt', 'serverKey', 'storedKey']);
      assert.equal(Buffer.from(cred.salt, 'base64').length, 16);
      assert.equal(Buffer.from(cred.storedKey, 'base64').length, size);
      assert.equal(Buffer.from(cred.serverKey, 'base64').length, size);
    }
    assert.notEqual(record.scram['SHA-1'].salt, record.scram['SHA-256'].salt, 'a salt per credential');
    const json = JSON.stringify(record);
    assert.ok(!json.includes(password) && !json.toLowerCase().includes('sup3r'));
    driver.close();
    const files = [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f));
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const needle of [password, 'Sup3r', Buffer.from(password).toString('base64'), Buffer.from(password).toString('hex')]) {
        assert.equal(bytes.includes(Buffer.from(needle, 'utf8')), false, `${needle} in ${f}`);
      }
      assert.equal(bytes.includes(Buffer.from('Sup3r', 'utf16le')), false);
    }
    assert.ok(readFileSync(file).includes(Buffer.from(record.scram['SHA-256'].storedKey)), 'the credential itself is on disk');
  });

  it('uses the iterations option for new credentials and verifies old ones with their own count', () => {
    const { driver, accounts } = open(4096);
    try {
      accounts.create(H, 'juliet', 'pencil');
      for (const hash of ['SHA-1', 'SHA-256'] as const) {
        const cred = accounts.scramCredential(H, 'juliet', hash)!;
        assert.equal(cred.iterations, 4096);
        const again = deriveScramCredential(hash, 'pencil', Buffer.from(cred.salt, 'base64'), 4096);
        assert.deepEqual(again, cred);
      }
      const other = new Accounts(driver, { iterations: 5000 });
      assert.equal(other.verifyPassword(H, 'juliet', 'pencil'), true);
      other.setPassword(H, 'juliet', 'pencil');
      assert.equal(accounts.scramCredential(H, 'juliet', 'SHA-256')!.iterations, 5000);
      assert.equal(accounts.scramCredential(H, 'romeo', 'SHA-256'), undefined);
      const copy = accounts.scramCredential(H, 'juliet', 'SHA-256')!;
      copy.iterations = 1;
      assert.equal(accounts.scramCredential(H, 'juliet', 'SHA-256')!.iterations, 5000);
      assert.throws(() => new Accounts(driver, { iterations: 0 }), RangeError);
      assert.throws(() => new Accounts(driver, { iterations: 1.5 }), RangeError);
    } finally {
      driver.close();
    }
  });

  it('survives a restart: the accounts are there after reopening the file', () => {
    const { driver, accounts, file } = open();
    accounts.create(H, 'juliet', 'r0m30!');
    accounts.create(H, 'romeo', 'jul13t');
    driver.close();
    const reopened = new SqliteDriver(file);
    try {
      const again = new Accounts(reopened, { iterations: ITER });
      assert.deepEqual(again.list(H), ['juliet', 'romeo']);
      assert.equal(again.verifyPassword(H, 'juliet', 'r0m30!'), true);
      assert.equal(again.verifyPassword(H, 'romeo', 'jul13t'), true);
      assert.equal(again.verifyPassword(H, 'romeo', 'r0m30!'), false);
    } finally {
      reopened.close();
    }
  });
});

describe('Accounts: asynchronous variants', () => {
  it('createAsync, verifyPasswordAsync and setPasswordAsync behave like the synchronous methods', async () => {
    const { driver, accounts } = open();
    try {
      assert.equal(await accounts.createAsync(H, 'Juliet', 'r0m30!'), 'juliet');
      assert.equal(accounts.verifyPassword(H, 'juliet', 'r0m30!'), true, 'the sync check accepts what async stored');
      assert.equal(await accounts.verifyPasswordAsync(H, 'JULIET', 'r0m30!'), true);
      assert.equal(await accounts.verifyPasswordAsync(H, 'juliet', 'wrong'), false);
      assert.equal(await accounts.verifyPasswordAsync(H, 'juliet', 'r0m30!\u0007'), false, 'SASLprep failure is just false');
      assert.equal(await accounts.verifyPasswordAsync(H, 'romeo', 'r0m30!'), false);
      assert.equal(await accounts.verifyPasswordAsync(H, 'bad@name', 'r0m30!'), false);
      await assert.rejects(accounts.createAsync(H, 'JULIET', 'x'), code('XS_ERR_ACCOUNT_EXISTS'));
      await assert.rejects(accounts.createAsync(H, 'a@b', 'x'), code('XS_ERR_USERNAME_INVALID'));
      await assert.rejects(accounts.createAsync(H, 'romeo', 'bad\u0000password'), (err: Error) => !isServerError(err) && /prohibited/.test(err.message));
      assert.equal(accounts.exists(H, 'romeo'), false);

      const before = driver.get(H, ACCOUNTS_STORE, 'juliet') as AccountRecord;
      await accounts.setPasswordAsync(H, 'Juliet', 'new');
      const after = driver.get(H, ACCOUNTS_STORE, 'juliet') as AccountRecord;
      assert.equal(await accounts.verifyPasswordAsync(H, 'juliet', 'new'), true);
      assert.equal(accounts.verifyPassword(H, 'juliet', 'r0m30!'), false);
      assert.equal(after.created, before.created);
      assert.notEqual(after.scram['SHA-256'].salt, before.scram['SHA-256'].salt);
      await assert.rejects(accounts.setPasswordAsync(H, 'romeo', 'x'), code('XS_ERR_ACCOUNT_NOT_FOUND'));
      await assert.rejects(accounts.setPasswordAsync(H, 'juliet', 'x\u0007'), /prohibited/);
      assert.equal(await accounts.verifyPasswordAsync(H, 'juliet', 'new'), true, 'a refused change leaves the password');
    } finally {
      driver.close();
    }
  });

  it('two concurrent createAsync of one name: one wins, the other gets XS_ERR_ACCOUNT_EXISTS', async () => {
    const { driver, accounts } = open();
    try {
      const passwords = ['first', 'second'];
      const results = await Promise.allSettled([accounts.createAsync(H, 'juliet', passwords[0]!), accounts.createAsync(H, 'Juliet', passwords[1]!)]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      assert.notEqual(won, -1, 'one creation succeeds');
      const lost = results[1 - won]!;
      assert.equal(lost.status, 'rejected', 'the other one fails');
      assert.ok(code('XS_ERR_ACCOUNT_EXISTS')((lost as PromiseRejectedResult).reason));
      assert.equal(accounts.verifyPassword(H, 'juliet', passwords[won]!), true, 'the winner\'s password holds');
      assert.equal(accounts.verifyPassword(H, 'juliet', passwords[1 - won]!), false, 'the loser did not overwrite it');
    } finally {
      driver.close();
    }
  });

  it('setPasswordAsync does not bring back an account deleted during the derivation', async () => {
    const { driver, accounts } = open();
    try {
      accounts.create(H, 'juliet', 'pw');
      const change = accounts.setPasswordAsync(H, 'juliet', 'new');
      accounts.delete(H, 'juliet');
      await assert.rejects(change, code('XS_ERR_ACCOUNT_NOT_FOUND'));
      assert.equal(accounts.exists(H, 'juliet'), false);
    } finally {
      driver.close();
    }
  });

  it('an account with SCRAM-SHA-1 keys only (imported) gets SCRAM-SHA-256 keys at its first password check', async () => {
    const { driver, accounts } = open();
    try {
      accounts.create(H, 'romeo', 'pw');
      const record = driver.get(H, ACCOUNTS_STORE, 'romeo') as AccountRecord;
      const sha1Only = { ...record, scram: { 'SHA-1': record.scram['SHA-1'] } };
      driver.set(H, ACCOUNTS_STORE, 'romeo', sha1Only);
      assert.equal(accounts.scramCredential(H, 'romeo', 'SHA-256'), undefined);
      assert.equal(await accounts.verifyPasswordAsync(H, 'romeo', 'wrong'), false);
      assert.equal(accounts.scramCredential(H, 'romeo', 'SHA-256'), undefined, 'a wrong password adds nothing');
      assert.equal(await accounts.verifyPasswordAsync(H, 'romeo', 'pw'), true);
      const added = accounts.scramCredential(H, 'romeo', 'SHA-256');
      assert.ok(added, 'SHA-256 keys were added');
      assert.deepEqual(accounts.scramCredential(H, 'romeo', 'SHA-1'), record.scram['SHA-1'], 'the SHA-1 keys are kept');
      assert.deepEqual(added, deriveScramCredential('SHA-256', 'pw', Buffer.from(added.salt, 'base64'), added.iterations), 'the new keys are the password\'s');
      assert.equal(accounts.verifyPassword(H, 'romeo', 'pw'), true);
    } finally {
      driver.close();
    }
  });

  it('stored passwords may not hold unassigned code points, but credentials made before still verify (RFC 4013 §2.5)', async () => {
    const { driver, accounts } = open();
    try {
      const password = 'key-\u{1F511}';
      assert.throws(() => accounts.create(H, 'juliet', password), /unassigned/);
      await assert.rejects(accounts.createAsync(H, 'juliet', password), /unassigned/);
      assert.equal(accounts.exists(H, 'juliet'), false);
      // An account whose credential was derived by the earlier, lenient SASLprep.
      const salt = Buffer.alloc(16, 3);
      const record: AccountRecord = { created: 1, scram: {
        'SHA-1': deriveScramCredential('SHA-1', password, salt, ITER, { allowUnassigned: true }),
        'SHA-256': deriveScramCredential('SHA-256', password, salt, ITER, { allowUnassigned: true }),
      } };
      driver.set(H, ACCOUNTS_STORE, 'romeo', record);
      assert.equal(accounts.verifyPassword(H, 'romeo', password), true);
      assert.equal(await accounts.verifyPasswordAsync(H, 'romeo', password), true);
    } finally {
      driver.close();
    }
  });

  it('verifyPasswordAsync leaves the event loop free during PBKDF2', async () => {
    const { driver, accounts } = open(ITER);
    try {
      accounts.create(H, 'juliet', 'pw');
      // Re-derive juliet's SHA-256 credential with enough iterations for about 300 ms.
      const probe = 50_000;
      const t = performance.now();
      hi('SHA-256', 'pw', Buffer.alloc(16), probe);
      const iterations = Math.max(probe, Math.round(300 / ((performance.now() - t) / probe)));
      const record = driver.get(H, ACCOUNTS_STORE, 'juliet') as AccountRecord;
      const salt = Buffer.from(record.scram['SHA-256'].salt, 'base64');
      driver.set(H, ACCOUNTS_STORE, 'juliet', { ...record, scram: { ...record.scram, 'SHA-256': deriveScramCredential('SHA-256', 'pw', salt, iterations) } });
      let ticks = 0;
      const timer = setInterval(() => { ticks++; }, 5);
      const t0 = performance.now();
      assert.equal(await accounts.verifyPasswordAsync(H, 'juliet', 'pw'), true);
      const elapsed = performance.now() - t0;
      clearInterval(timer);
      console.log(`verifyPasswordAsync: ${iterations} iterations, ${elapsed.toFixed(0)} ms, ${ticks} timer ticks meanwhile`);
      assert.ok(ticks >= 5, `the 5 ms timer ran only ${ticks} times during ${elapsed.toFixed(0)} ms`);
    } finally {
      driver.close();
    }
  });
});

describe('Accounts: the same work for unknown users', () => {
  // High iterations so PBKDF2 dominates; bounds are half of one measured PBKDF2 (generous).
  const ITERATIONS = 200_000;

  function pbkdf2Ms(): number {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      hi('SHA-256', 'pencil', Buffer.alloc(16, i), ITERATIONS);
      best = Math.min(best, performance.now() - t);
    }
    return best;
  }

  async function timed(fn: () => unknown): Promise<number> {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  }

  it('an unknown user, an invalid name and a password SASLprep refuses cost one PBKDF2, like a wrong password', async () => {
    const { driver, accounts } = open(ITERATIONS);
    try {
      accounts.create(H, 'juliet', 'r0m30!');
      const floor = pbkdf2Ms() * 0.5;
      const cases: [string, () => unknown][] = [
        ['wrong password', () => accounts.verifyPassword(H, 'juliet', 'nope')],
        ['unknown user', () => accounts.verifyPassword(H, 'nobody', 'nope')],
        ['invalid name', () => accounts.verifyPassword(H, 'bad@name', 'nope')],
        ['prohibited password', () => accounts.verifyPassword(H, 'juliet', 'no\u0007pe')],
        ['wrong password (async)', () => accounts.verifyPasswordAsync(H, 'juliet', 'nope')],
        ['unknown user (async)', () => accounts.verifyPasswordAsync(H, 'nobody', 'nope')],
        ['invalid name (async)', () => accounts.verifyPasswordAsync(H, 'bad@name', 'nope')],
        ['rejectPassword', () => accounts.rejectPassword(H, 'nobody', 'nope')],
        ['rejectPasswordAsync', () => accounts.rejectPasswordAsync(H, 'nobody', 'nope')],
      ];
      const report: string[] = [];
      for (const [what, fn] of cases) {
        const ms = await timed(fn);
        report.push(`${what} ${ms.toFixed(1)} ms`);
        assert.ok(ms > floor, `${what}: ${ms.toFixed(1)} ms, less than half a PBKDF2 (${(floor * 2).toFixed(1)} ms)`);
      }
      console.log(`one PBKDF2 ${(floor * 2).toFixed(1)} ms; ${report.join(', ')}`);
      assert.equal(await accounts.rejectPasswordAsync(H, 'juliet', 'r0m30!'), false, 'always false, even for real credentials');
    } finally {
      driver.close();
    }
  });
});

describe('normalizeUsername', () => {
  it('lower-cases and NFC-normalises like JID localparts', () => {
    assert.equal(normalizeUsername('JuLiEt'), 'juliet');
    assert.equal(normalizeUsername('E\u0301'), '\u00e9');
  });

  it('throws XS_ERR_USERNAME_INVALID naming the reason', () => {
    assert.throws(() => normalizeUsername('a@b'), (err) => code('XS_ERR_USERNAME_INVALID')(err) && /"@"/.test((err as Error).message));
    assert.throws(() => normalizeUsername(''), (err) => code('XS_ERR_USERNAME_INVALID')(err) && /empty/.test((err as Error).message));
    assert.throws(() => normalizeUsername('a b'), (err) => code('XS_ERR_USERNAME_INVALID')(err) && /whitespace/.test((err as Error).message));
    assert.throws(() => normalizeUsername('x'.repeat(1024)), (err) => code('XS_ERR_USERNAME_INVALID')(err) && /1023/.test((err as Error).message));
  });
});

describe('usernames under PRECIS (RFC 8265 UsernameCaseMapped)', () => {
  it('maps look-alikes to the same account and refuses invisible characters', () => {
    const accounts = new Accounts(new MemoryDriver(), { iterations: 4096 });
    assert.equal(accounts.create('example.org', 'alice', 'pw'), 'alice');
    assert.throws(() => accounts.create('example.org', 'ＡＬＩＣＥ', 'pw'), code('XS_ERR_ACCOUNT_EXISTS'), 'fullwidth letters are the same name');
    assert.equal(accounts.verifyPassword('example.org', 'Ａlice', 'pw'), true, 'and sign in as the same account');
    for (const bad of ['ali\u200Bce', 'ali\u00ADce', 'ali\u2060ce']) {
      assert.throws(() => accounts.create('example.org', bad, 'pw'), code('XS_ERR_USERNAME_INVALID'), JSON.stringify(bad));
    }
    assert.deepEqual(accounts.list('example.org'), ['alice']);
  });
});
