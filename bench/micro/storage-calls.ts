/**
 * @module bench/micro/storage-calls
 * Wall time of one synchronous storage call (get, set, append, mapGet) on PostgreSQL over
 * loopback (the worker-thread round trip of storage/postgres-sync.ts) next to SQLite's, and a
 * plain asynchronous `pg` query for reference. Starts a private PostgreSQL cluster
 * (spec/helpers/engines.ts), so it needs Debian's postgresql package and the rights to run as
 * the `postgres` user. Prints µs per call; run with `node build/bench/micro/storage-calls.js [N]`
 * after `npm run build`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresDriver } from '../../lib/core/storage/postgres.js';
import { SqliteDriver } from '../../lib/core/storage/sqlite.js';
import type { StorageDriver } from '../../lib/core/storage/store.js';
import { startPostgres } from '../../spec/helpers/engines.js';

const N = Number(process.argv[2] ?? 5000);

function measure(label: string, d: StorageDriver): void {
  const ops: [string, (i: number) => unknown][] = [
    ['get', () => d.get('h', 's', 'u')],
    ['set', (i) => { d.set('h', 's', 'u', { i }); }],
    ['append', (i) => d.append('h', 'l', 'u', { i })],
    ['mapGet', () => d.mapGet('h', 'm', 'u', 'k')],
  ];
  const out: string[] = [];
  for (const [name, fn] of ops) {
    for (let i = 0; i < 500; i++) fn(i); // warm up (prepared statements, JIT)
    const t = performance.now();
    for (let i = 0; i < N; i++) fn(i);
    out.push(`${name} ${((performance.now() - t) * 1000 / N).toFixed(1)}`);
  }
  console.log(`${label}: µs per call: ${out.join(', ')}`);
}

const db = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'xs-bench-'));
try {
  const postgres = new PostgresDriver({ connectionString: db.url() });
  measure('postgresql (sync facade)', postgres);
  measure('postgresql (sync facade), again', postgres);
  postgres.close();
  const sqlite = new SqliteDriver(join(dir, 'bench.sqlite'));
  measure('sqlite', sqlite);
  sqlite.close();
  const c = new pg.Client({ connectionString: db.url() });
  await c.connect();
  const text = 'SELECT value FROM xs_keyval WHERE host = $1 AND store = $2 AND username = $3';
  for (let i = 0; i < 500; i++) await c.query({ name: 'g', text, values: ['h', 's', 'u'] });
  const t = performance.now();
  for (let i = 0; i < N; i++) await c.query({ name: 'g', text, values: ['h', 's', 'u'] });
  console.log(`plain async pg on the event loop, awaited one by one: get ${((performance.now() - t) * 1000 / N).toFixed(1)} µs`);
  await c.end();
} finally {
  db.destroy();
  rmSync(dir, { recursive: true, force: true });
}
