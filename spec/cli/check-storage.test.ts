/**
 * Tests for lib/cli/check-storage.ts through `xmpp-server check` (runCheck) on a private
 * PostgreSQL cluster: a database that answers (before and after the server made its schema),
 * and one that cannot be reached, reported as a problem naming host:port/database and `sql`
 * but never the password.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCheck } from '../../lib/cli/check.js';
import { PostgresDriver } from '../../lib/core/storage/postgres.js';
import { MIGRATIONS } from '../../lib/core/storage/postgres-schema.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/engines.js';

const missing = postgresAvailable();
let db: PostgresServer | undefined;
const dir = mkdtempSync(join(tmpdir(), 'xs-check-'));
before(async () => { if (missing === undefined) db = await startPostgres(); });
after(() => {
  db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function check(sql: unknown): Promise<{ code: number; out: string }> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({
    data_path: dir, storage: 'sql', sql, sql_query_timeout: 2,
    c2s_ports: [0], http_ports: [0], https_ports: [0], modules_enabled: ['saslauth'], VirtualHost: { localhost: {} },
  }));
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const code = await runCheck(file, out);
  return { code, out: text };
}

describe('xmpp-server check: PostgreSQL storage', { skip: missing }, () => {
  it('says the database answers, and which schema version it holds', async () => {
    const before = await check(db!.sqlOption());
    assert.equal(before.code, 0, before.out);
    assert.match(before.out, new RegExp(`ok {7}storage: PostgreSQL at 127\\.0\\.0\\.1:${db!.port}/xmpp answers; no schema yet \\(created at start\\)`));
    new PostgresDriver({ connectionString: db!.url() }).close(); // what a start does to the schema
    const afterStart = await check(db!.url());
    assert.match(afterStart.out, new RegExp(`storage: PostgreSQL at 127\\.0\\.0\\.1:${db!.port}/xmpp answers; schema version ${MIGRATIONS.length}\\n`));
  });

  it('reports a database it cannot reach as a problem, without the password', async () => {
    const r = await check({ driver: 'PostgreSQL', host: '127.0.0.1', port: 1, database: 'xmpp', username: 'x', password: 'hunter2' });
    assert.equal(r.code, 1);
    assert.match(r.out, /PROBLEM {2}storage: cannot use PostgreSQL at 127\.0\.0\.1:1\/xmpp \(sql\): .*ECONNREFUSED/);
    assert.ok(!r.out.includes('hunter2'), r.out);
  });
});
