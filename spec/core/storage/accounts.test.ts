/**
 * Tests for lib/core/storage/accounts.ts on real SQLite files: create / verify / passwd /
 * delete, username validation, no plaintext at rest, iterations, and surviving a restart.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isServerError, type ErrorCode } from '../../../lib/core/errors.js';
import { deriveScramCredential } from '../../../lib/core/scram.js';
import { ACCOUNTS_STORE, Accounts, normalizeUsername, type AccountRecord } from '../../../lib/core/storage/accounts.js';
import { SqliteDriver } from '../../../lib/core/storage/sqlite.js';

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
    const password = 'Sup3r-Secret-Pässwörd-\u{1F511}';
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
