/**
 * @module storage/postgres-statements
 * The SQL of each storage operation, run in the PostgreSQL worker thread: one statement (one
 * round trip) per operation, prepared once per connection (named statements). Keys sort with
 * `COLLATE "C"` (byte order, as SQLite's), whatever the database's locale. Answers are plain
 * values (strings, numbers, arrays) so they cross to the main thread cheaply; int8 columns
 * arrive as numbers (the worker sets pg's parser: every id and sort fits in a double).
 */
import type { QueryResult } from 'pg';
import type { ArchiveQuery } from './archive.js';
import { sortAt } from './archive.js';
import type { PgOp } from './postgres-protocol.js';

/** Runs one statement on the pool or on the transaction's connection. */
export type Run = (name: string | undefined, text: string, values: readonly unknown[]) => Promise<QueryResult>;

type Statement = (run: Run, args: readonly unknown[]) => Promise<unknown>;

/** `owner = ...` for (host $1, store $2, user $3): an InitPlan, so the archive index is used with the owner as a constant. */
const OWNER = '(SELECT id FROM xs_archive_owner WHERE host = $1 AND store = $2 AND username = $3)';
const COLS = 'sort, with_jid, with_resource, value';

type ArchiveTuple = [number, string, string | null, string];
const tuple = (r: { sort: number; with_jid: string; with_resource: string | null; value: string }): ArchiveTuple => [r.sort, r.with_jid, r.with_resource, r.value];

const rows = async (p: Promise<QueryResult>): Promise<Record<string, unknown>[]> => (await p).rows as Record<string, unknown>[];
const count = async (p: Promise<QueryResult>): Promise<number> => (await p).rowCount ?? 0;

/** An archive query as SQL: the conditions that are present, numbered after the owner's. */
export function archiveQuerySql(q: ArchiveQuery): { name: string; text: string; values: unknown[] } {
  const where = [`owner = ${OWNER}`];
  const values: unknown[] = [];
  const shape: string[] = [];
  const add = (sql: string, value: unknown, key: string): void => {
    values.push(value);
    where.push(sql.replace('?', `$${values.length + 3}`));
    shape.push(key);
  };
  if (q.with !== undefined) add('with_jid = ?', q.with, 'w');
  if (q.withResource !== undefined) add('with_resource = ?', q.withResource, 'r');
  if (q.start !== undefined) add('sort >= ?', Math.ceil(sortAt(q.start)), 's');
  if (q.end !== undefined) add('sort < ?', Math.ceil(sortAt(q.end + 1)), 'e');
  if (q.after !== undefined) add('sort > ?', Math.floor(q.after), 'a');
  if (q.before !== undefined) add('sort < ?', Math.ceil(q.before), 'b');
  if (q.ids !== undefined) add('sort = ANY(?::bigint[])', q.ids, 'i');
  const limit = q.limit === undefined || !Number.isFinite(q.limit) ? null : Math.max(0, Math.floor(q.limit));
  values.push(limit);
  const dir = q.reverse ? 'DESC' : 'ASC';
  const text = `SELECT ${COLS} FROM xs_archive WHERE ${where.join(' AND ')} ORDER BY sort ${dir} LIMIT $${values.length + 3}`;
  return { name: `xs_aq_${shape.join('')}_${dir}`, text, values };
}

/** Each operation's statement; `args` as the main thread sends them (postgres.ts, postgres-archive.ts). */
export const STATEMENTS: Readonly<Record<Exclude<PgOp, 'begin' | 'commit' | 'rollback' | 'close'>, Statement>> = {
  get: async (run, a) => (await rows(run('xs_get', 'SELECT value FROM xs_keyval WHERE host = $1 AND store = $2 AND username = $3', a)))[0]?.value ?? null,
  set: (run, a) => count(run('xs_set',
    'INSERT INTO xs_keyval (host, store, username, value) VALUES ($1, $2, $3, $4) ON CONFLICT (host, store, username) DO UPDATE SET value = EXCLUDED.value', a)),
  del: (run, a) => count(run('xs_del', 'DELETE FROM xs_keyval WHERE host = $1 AND store = $2 AND username = $3', a)),
  users: async (run, a) => (await rows(run('xs_users', 'SELECT username FROM xs_keyval WHERE host = $1 AND store = $2 ORDER BY username COLLATE "C"', a)))
    .map((r) => r.username),
  mapGet: async (run, a) => (await rows(run('xs_map_get',
    'SELECT value FROM xs_map WHERE host = $1 AND store = $2 AND username = $3 AND key = $4', a)))[0]?.value ?? null,
  mapSet: (run, a) => count(run('xs_map_set',
    'INSERT INTO xs_map (host, store, username, key, value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (host, store, username, key) DO UPDATE SET value = EXCLUDED.value', a)),
  mapDel: (run, a) => count(run('xs_map_del', 'DELETE FROM xs_map WHERE host = $1 AND store = $2 AND username = $3 AND key = $4', a)),
  mapAll: async (run, a) => (await rows(run('xs_map_all',
    'SELECT key, value FROM xs_map WHERE host = $1 AND store = $2 AND username = $3 ORDER BY key COLLATE "C"', a))).map((r) => [r.key, r.value]),
  mapCount: async (run, a) => (await rows(run('xs_map_count', 'SELECT count(*) AS n FROM xs_map WHERE host = $1 AND store = $2 AND username = $3', a)))[0]?.n ?? 0,
  append: async (run, a) => (await rows(run('xs_append',
    'INSERT INTO xs_list (host, store, username, value, created, size) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id', a)))[0]!.id,
  items: async (run, a) => (await rows(run('xs_items',
    'SELECT id, value, created FROM xs_list WHERE host = $1 AND store = $2 AND username = $3 AND id > $4 ORDER BY id LIMIT $5', a)))
    .map((r) => [r.id, r.value, r.created]),
  listStats: async (run, a) => {
    const r = (await rows(run('xs_list_stats',
      'SELECT count(*) AS n, coalesce(sum(size), 0)::bigint AS bytes FROM xs_list WHERE host = $1 AND store = $2 AND username = $3', a)))[0];
    return [r?.n ?? 0, r?.bytes ?? 0];
  },
  removeAll: (run, a) => count(run('xs_remove_all', 'DELETE FROM xs_list WHERE host = $1 AND store = $2 AND username = $3', a)),
  removeIds: (run, a) => count(run('xs_remove_ids', 'DELETE FROM xs_list WHERE host = $1 AND store = $2 AND username = $3 AND id = ANY($4::bigint[])', a)),
  // data-modifying CTEs all run, in one statement (one snapshot, all or nothing)
  purgeUser: (run, a) => count(run('xs_purge_user', `
    WITH k AS (DELETE FROM xs_keyval WHERE host = $1 AND username = $2),
         m AS (DELETE FROM xs_map WHERE host = $1 AND username = $2),
         l AS (DELETE FROM xs_list WHERE host = $1 AND username = $2)
    DELETE FROM xs_archive WHERE owner IN (SELECT id FROM xs_archive_owner WHERE host = $1 AND username = $2)`, a)),
  archiveAppend: (run, a) => count(run('xs_archive_append', `
    WITH o AS MATERIALIZED (SELECT xs_archive_owner_id($1, $2, $3) AS id)
    INSERT INTO xs_archive (owner, sort, with_jid, with_resource, value)
    SELECT o.id, r.sort, r.w, r.res, r.v FROM o, unnest($4::bigint[], $5::text[], $6::text[], $7::text[]) AS r(sort, w, res, v)
    ON CONFLICT DO NOTHING`, a)),
  archiveQuery: async (run, a) => {
    const { name, text, values } = archiveQuerySql(a[3] as ArchiveQuery);
    return (await rows(run(name, text, [a[0], a[1], a[2], ...values]))).map((r) => tuple(r as never));
  },
  archiveHas: async (run, a) => (await count(run('xs_archive_has', `SELECT 1 FROM xs_archive WHERE owner = ${OWNER} AND sort = $4`, a))) > 0,
  archiveBounds: async (run, a) => (await rows(run('xs_archive_bounds',
    `(SELECT ${COLS} FROM xs_archive WHERE owner = ${OWNER} ORDER BY sort ASC LIMIT 1) UNION ALL (SELECT ${COLS} FROM xs_archive WHERE owner = ${OWNER} ORDER BY sort DESC LIMIT 1)`, a)))
    .map((r) => tuple(r as never)),
  archiveClear: (run, a) => count(run('xs_archive_clear', `DELETE FROM xs_archive WHERE owner = ${OWNER}`, a)),
  // oldest first, so each user's archive loses its oldest items
  archiveExpire: (run, a) => count(run('xs_archive_expire', `
    DELETE FROM xs_archive WHERE (owner, sort) IN (
      SELECT a.owner, a.sort FROM xs_archive_owner o JOIN xs_archive a ON a.owner = o.id
      WHERE o.host = $1 AND o.store = $2 AND a.sort < $3 ORDER BY a.sort LIMIT $4)`, a)),
  archiveLastSort: async (run) => (await rows(run('xs_archive_last_sort',
    'SELECT max(x.m) AS m FROM xs_archive_owner o CROSS JOIN LATERAL (SELECT max(sort) AS m FROM xs_archive WHERE owner = o.id) x', [])))[0]?.m ?? 0,
  archivePurgeUser: (run, a) => count(run('xs_archive_purge_user',
    'DELETE FROM xs_archive WHERE owner IN (SELECT id FROM xs_archive_owner WHERE host = $1 AND username = $2)', a)),
};
