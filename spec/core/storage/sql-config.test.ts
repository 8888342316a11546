/**
 * Tests for lib/core/storage/sql-config.ts and the storage options of lib/core/config.ts:
 * Prosody's `sql` shapes and connection strings parse; each wrong field is refused when the
 * server is created, naming `sql.<field>` and what it expects, never showing a password;
 * sql_pool_size and sql_query_timeout are checked; `"storage": "sql"` with SQLite3 opens a file
 * under data_path.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RawConfig } from '../../../lib/index.js';
import { isServerError } from '../../../lib/core/errors.js';
import { openStorage, SqliteDriver } from '../../../lib/core/storage/index.js';
import { describeConnection, parseSqlOption, redactUrl } from '../../../lib/core/storage/sql-config.js';
import { captureLog } from '../../helpers/log.js';

const dir = mkdtempSync(join(tmpdir(), 'xs-sql-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const create = (config: RawConfig): unknown => createServer({ log_level: 'silent', ...config }, { logger: captureLog('silent').logger });

/** Creating a server with `config` fails naming `option`, mentioning `expected`, and never `secret`. */
function refused(config: RawConfig, option: string, expected: RegExp, secret = 'hunter2'): void {
  assert.throws(() => create(config), (err: unknown) => {
    assert.ok(isServerError(err, 'XS_ERR_OPTION_INVALID'), String(err));
    const message = (err as Error).message;
    assert.ok(message.includes(`Option '${option}' (module 'core', host '*') must be`), message);
    assert.match(message, expected);
    assert.ok(!message.includes(secret), `no password in: ${message}`);
    return true;
  });
}

describe('the sql option', () => {
  it('parses Prosody\'s PostgreSQL object (defaults: localhost:5432) and SQLite3 file', () => {
    assert.deepEqual(parseSqlOption({ driver: 'PostgreSQL', database: 'xmpp', username: 'x', password: 'p' }), {
      driver: 'PostgreSQL', connection: { host: 'localhost', port: 5432, database: 'xmpp', user: 'x', password: 'p' },
    });
    assert.deepEqual(parseSqlOption({ driver: 'PostgreSQL', host: 'db.example', port: 6432, database: 'prosody' }).driver, 'PostgreSQL');
    assert.deepEqual(parseSqlOption({ driver: 'SQLite3', database: 'prosody.sqlite' }), { driver: 'SQLite3', database: 'prosody.sqlite' });
  });

  it('parses a connection string (postgres:// and postgresql://)', () => {
    for (const url of ['postgres://xmpp:pw@db:5432/xmpp', 'postgresql://db/xmpp?sslmode=disable']) {
      assert.deepEqual(parseSqlOption(url), { driver: 'PostgreSQL', connection: { connectionString: url } });
    }
  });

  it('describes where a connection points without its password', () => {
    assert.equal(describeConnection({ connectionString: 'postgres://u:hunter2@db.example:6432/xmpp' }), 'db.example:6432/xmpp');
    assert.equal(describeConnection({ host: 'h', port: 5, database: 'd', password: 'hunter2' }), 'h:5/d');
    assert.equal(redactUrl('postgres://u:hunter2@h/d'), 'postgres://u:***@h/d');
  });

  it('refuses, when the server is created, each wrong shape naming the field and what it expects', () => {
    refused({ storage: 'postgres' }, 'storage', /one of "sqlite", "sql", "memory"/);
    refused({ storage: 'sql', sql: 42 }, 'sql', /connection string/);
    refused({ storage: 'sql', sql: 'mysql://u:hunter2@h/db' }, 'sql', /"postgres:\/\/"/);
    refused({ storage: 'sql', sql: 'postgres://u:hunter2@h:5432' }, 'sql', /names the database/);
    refused({ storage: 'sql', sql: 'not a url hunter2' }, 'sql', /connection string/);
    refused({ storage: 'sql', sql: { driver: 'MySQL', database: 'x' } }, 'sql.driver', /"PostgreSQL" or "SQLite3"/);
    refused({ storage: 'sql', sql: { database: 'x' } }, 'sql.driver', /"PostgreSQL" or "SQLite3" .*, got undefined/);
    refused({ storage: 'sql', sql: { driver: 'PostgreSQL', database: 'x', port: '5432' } }, 'sql.port', /an integer from 1 to 65535, got "5432"/);
    refused({ storage: 'sql', sql: { driver: 'PostgreSQL', database: 'x', port: 70000 } }, 'sql.port', /from 1 to 65535/);
    refused({ storage: 'sql', sql: { driver: 'PostgreSQL', password: 'hunter2' } }, 'sql.database', /a non-empty string, got undefined/);
    refused({ storage: 'sql', sql: { driver: 'PostgreSQL', database: 'x', host: '' } }, 'sql.host', /non-empty string/);
    refused({ storage: 'sql', sql: { driver: 'PostgreSQL', database: 'x', password: ['hunter2'] } }, 'sql.password', /got \(hidden\)/);
    refused({ storage: 'sql', sql: { driver: 'PostgreSQL', database: 'x', pasword: 'hunter2' } }, 'sql.pasword', /the fields are driver, host, port, database, username, password/);
    refused({ storage: 'sql', sql: { driver: 'SQLite3' } }, 'sql.database', /non-empty string/);
    refused({ sql_pool_size: 0 }, 'sql_pool_size', /an integer from 1 to 1000, got 0/);
    refused({ sql_pool_size: 2.5 }, 'sql_pool_size', /an integer/);
    refused({ sql_query_timeout: 0 }, 'sql_query_timeout', /a number from 0.1 to 600, got 0/);
    refused({ sql_query_timeout: '5' }, 'sql_query_timeout', /a number/);
  });

  it('accepts the valid shapes when the server is created (nothing connects until storage is used)', () => {
    for (const config of [
      { storage: 'sql', sql: { driver: 'PostgreSQL', host: 'db', port: 5432, database: 'xmpp', username: 'x', password: 'y' }, sql_pool_size: 20, sql_query_timeout: 2.5 },
      { storage: 'sql', sql: 'postgres://x:y@db/xmpp' },
      { storage: 'sql' },
      { storage: 'sqlite' },
    ] as RawConfig[]) assert.ok(create(config));
  });

  it('"storage": "sql" with SQLite3 opens the file under data_path (Prosody\'s default: prosody.sqlite)', () => {
    const d = openStorage('sql', { dataPath: dir, sql: { driver: 'SQLite3', database: 'sub.sqlite' } });
    try {
      assert.ok(d instanceof SqliteDriver);
      assert.equal(d.file, join(dir, 'sub.sqlite'));
      d.set('h', 's', 'u', 1);
    } finally {
      d.close();
    }
    const byDefault = openStorage('sql', { dataPath: dir });
    byDefault.close();
    assert.ok(existsSync(join(dir, 'prosody.sqlite')));
  });
});
