/**
 * Tests for lib/core/storage/accounts.ts on PostgreSQL (lib/core/storage/postgres.ts) on a
 * private cluster: register and log in (SCRAM credentials, not the password, in the row, and
 * verifiable after a reopen), password change, and deletion purging everything the user had
 * on the host (key-value, map, list and archive rows) while other users and hosts keep theirs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { deriveScramCredential } from '../../../lib/core/scram.js';
import { ACCOUNTS_STORE, Accounts, type AccountRecord } from '../../../lib/core/storage/accounts.js';
import { PostgresDriver } from '../../../lib/core/storage/postgres.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../helpers/engines.js';

const missing = postgresAvailable();
let server: PostgresServer | undefined;
let n = 0;
before(async () => { if (missing === undefined) server = await startPostgres(); });
after(() => { server?.destroy(); });

const H = 'example.org';

function open(): { driver: PostgresDriver; accounts: Accounts; url: string } {
  const name = `acc${++n}`;
  server!.createDatabase(name);
  const url = server!.url(name);
  const driver = new PostgresDriver({ connectionString: url });
  return { driver, accounts: new Accounts(driver, { iterations: 4096 }), url };
}

async function rowsOf(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

describe('Accounts on PostgreSQL', { skip: missing }, () => {
  it('registers, stores SCRAM credentials only, and verifies them (also after a reopen)', async () => {
    const password = 'Sup3r-Secret-Pässwörd';
    const { driver, accounts, url } = open();
    try {
      assert.equal(accounts.create(H, 'Juliet', password), 'juliet');
      assert.equal(accounts.exists(H, 'juliet'), true);
      assert.equal(accounts.verifyPassword(H, 'juliet', password), true);
      assert.equal(accounts.verifyPassword(H, 'juliet', 'wrong'), false);
      assert.equal(await accounts.verifyPasswordAsync(H, 'JULIET', password), true);
      for (const hash of ['SHA-1', 'SHA-256'] as const) {
        const cred = accounts.scramCredential(H, 'juliet', hash)!;
        assert.deepEqual(deriveScramCredential(hash, password, Buffer.from(cred.salt, 'base64'), cred.iterations), cred, `${hash} login data`);
      }
      const record = driver.get(H, ACCOUNTS_STORE, 'juliet') as AccountRecord;
      assert.deepEqual(Object.keys(record).sort(), ['created', 'scram']);
      accounts.setPassword(H, 'juliet', 'new-pw');
      assert.equal(accounts.verifyPassword(H, 'juliet', password), false);
      assert.equal(accounts.verifyPassword(H, 'juliet', 'new-pw'), true);
    } finally {
      driver.close();
    }
    const rows = await rowsOf(url, 'SELECT value FROM xs_keyval');
    assert.equal(rows.length, 1);
    assert.ok(!String(rows[0]!.value).includes('Sup3r') && !String(rows[0]!.value).includes('new-pw'), 'no password in the database');
    const again = new PostgresDriver({ connectionString: url });
    try {
      assert.equal(new Accounts(again, { iterations: 4096 }).verifyPassword(H, 'juliet', 'new-pw'), true);
    } finally {
      again.close();
    }
  });

  it('deleting an account purges everything the user stored on that host, and nothing else', async () => {
    const { driver, accounts, url } = open();
    try {
      accounts.create(H, 'juliet', 'pw');
      accounts.create(H, 'romeo', 'pw');
      accounts.create('other.example', 'juliet', 'pw');
      for (const [host, user] of [[H, 'juliet'], [H, 'romeo'], ['other.example', 'juliet']] as const) {
        driver.set(host, 'roster', user, { contact: {} });
        driver.mapSet(host, 'pep', user, 'node', { item: 1 });
        driver.append(host, 'offline', user, { body: 'hi' });
        driver.archive.append(host, 'archive', user, [{ sort: 1024, with: 'x@y', value: '<message/>' }]);
      }
      accounts.delete(H, 'JULIET');
      assert.equal(accounts.exists(H, 'juliet'), false);
      assert.equal(accounts.verifyPassword(H, 'juliet', 'pw'), false);
      assert.equal(driver.get(H, 'roster', 'juliet'), undefined);
      assert.equal(driver.mapCount(H, 'pep', 'juliet'), 0);
      assert.deepEqual(driver.items(H, 'offline', 'juliet'), []);
      assert.deepEqual(driver.archive.query(H, 'archive', 'juliet', {}), []);
      assert.deepEqual(accounts.list(H), ['romeo']);
      assert.equal(accounts.exists('other.example', 'juliet'), true);
      assert.equal(driver.archive.query('other.example', 'archive', 'juliet', {}).length, 1);
      assert.equal(driver.archive.query(H, 'archive', 'romeo', {}).length, 1);
    } finally {
      driver.close();
    }
    const left = await rowsOf(url, `SELECT 'k' AS t, host, username FROM xs_keyval UNION ALL SELECT 'm', host, username FROM xs_map
      UNION ALL SELECT 'l', host, username FROM xs_list ORDER BY 1, 2, 3`);
    assert.ok(!left.some((r) => r.host === H && r.username === 'juliet'), JSON.stringify(left));
  });
});
