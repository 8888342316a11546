/**
 * @module storage/postgres-schema
 * The PostgreSQL schema as numbered migrations. `xs_schema_version` records each one applied;
 * at start every missing one runs once, each in its own transaction, under an advisory lock
 * (two servers starting on one database do not race). Migrations only add: nothing here drops
 * or rewrites data. Tables carry an `xs_` prefix so they can share a database (with Prosody's
 * `prosody` table, say).
 *
 * Values are JSON text in `text` columns, not `jsonb`: jsonb rejects `\u0000` and reorders
 * keys, and nothing queries inside a value. The archive mirrors sqlite-archive.ts: a small
 * owner id per (host, store, user), rows keyed by (owner, sort) and an index on
 * (owner, with_jid, sort), so "the last 50 messages with one contact" is one backward index
 * range scan whatever the archive's size.
 */
import type { ClientBase } from 'pg';

/** Migration N is `MIGRATIONS[N - 1]`. Append only; never edit one that has shipped. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE xs_keyval (
    host     text NOT NULL,
    store    text NOT NULL,
    username text NOT NULL,
    value    text NOT NULL,
    PRIMARY KEY (host, store, username)
  );
  CREATE INDEX xs_keyval_user ON xs_keyval (host, username);
  CREATE TABLE xs_map (
    host     text NOT NULL,
    store    text NOT NULL,
    username text NOT NULL,
    key      text NOT NULL,
    value    text NOT NULL,
    PRIMARY KEY (host, store, username, key)
  );
  CREATE INDEX xs_map_user ON xs_map (host, username);
  CREATE TABLE xs_list (
    id       bigserial PRIMARY KEY,
    host     text NOT NULL,
    store    text NOT NULL,
    username text NOT NULL,
    value    text NOT NULL,
    created  bigint NOT NULL,
    size     integer NOT NULL
  );
  CREATE INDEX xs_list_owner ON xs_list (host, store, username, id) INCLUDE (size);
  CREATE INDEX xs_list_user ON xs_list (host, username);
  CREATE TABLE xs_archive_owner (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host     text NOT NULL,
    store    text NOT NULL,
    username text NOT NULL,
    UNIQUE (host, store, username)
  );
  CREATE INDEX xs_archive_owner_user ON xs_archive_owner (host, username);
  CREATE TABLE xs_archive (
    owner         bigint NOT NULL,
    sort          bigint NOT NULL,
    with_jid      text NOT NULL,
    with_resource text,
    value         text NOT NULL,
    PRIMARY KEY (owner, sort)
  );
  CREATE INDEX xs_archive_with ON xs_archive (owner, with_jid, sort);
  `,
  // The owner id of (host, store, user), created when absent: one call instead of a round trip
  // to look up and another to insert.
  `
  CREATE FUNCTION xs_archive_owner_id(h text, s text, u text) RETURNS bigint
  LANGUAGE plpgsql AS $$
  DECLARE found bigint;
  BEGIN
    SELECT id INTO found FROM xs_archive_owner WHERE host = h AND store = s AND username = u;
    IF found IS NULL THEN
      INSERT INTO xs_archive_owner (host, store, username) VALUES (h, s, u) ON CONFLICT DO NOTHING;
      SELECT id INTO found FROM xs_archive_owner WHERE host = h AND store = s AND username = u;
    END IF;
    RETURN found;
  END $$;
  `,
];

/** An arbitrary constant: the advisory lock held while migrating. */
const LOCK = 0x78735f6d; // "xs_m"

/**
 * Bring the schema up to date on `client`; returns the migrations applied now.
 * @throws whatever PostgreSQL reports (the caller wraps it as XS_ERR_STORAGE).
 */
export async function migrate(client: ClientBase): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS xs_schema_version (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())');
    const applied: number[] = [];
    for (let version = 1; version <= MIGRATIONS.length; version++) {
      const done = await client.query('SELECT 1 FROM xs_schema_version WHERE version = $1', [version]);
      if (done.rowCount !== 0) continue;
      await client.query('BEGIN');
      try {
        await client.query(MIGRATIONS[version - 1]!);
        await client.query('INSERT INTO xs_schema_version (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      applied.push(version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK]).catch(() => undefined);
  }
}
