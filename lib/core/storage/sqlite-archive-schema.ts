/**
 * @module storage/sqlite-archive-schema
 * The archive's tables in SQLite, and the move from the first layout.
 *
 * - `archive_owner`: each (host, store, user) gets a small integer id.
 * - `archive`: one row per item of a user's archive, clustered by (owner, sort) in a WITHOUT
 *   ROWID table so that an archive is read in order from one B-tree range; an index on
 *   (owner, with_jid, sort) serves queries by contact. Time bounds need no index: a sort number
 *   starts with its time. The row holds no stanza, only the id of its text.
 * - `archive_text`: the stanzas, appended in id order (the cheapest insert SQLite has), each with
 *   the number of archive rows that refer to it. A chat message between two local users is in
 *   both users' archives and its text is stored once: rows stay small, so a commit touches
 *   fewer pages, and the text is written once instead of twice.
 *
 * The first layout kept the stanza in each archive row (`archive.value`); opening such a
 * database moves it to this one in one transaction (a text per row).
 */
import type { Database as Db } from 'better-sqlite3';

export const ARCHIVE_SCHEMA = `
CREATE TABLE IF NOT EXISTS archive_owner (
  id    INTEGER PRIMARY KEY,
  host  TEXT NOT NULL,
  store TEXT NOT NULL,
  user  TEXT NOT NULL,
  UNIQUE (host, store, user)
);
CREATE TABLE IF NOT EXISTS archive (
  owner         INTEGER NOT NULL,
  sort          INTEGER NOT NULL,
  with_jid      TEXT NOT NULL,
  with_resource TEXT,
  text          INTEGER NOT NULL,
  PRIMARY KEY (owner, sort)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS archive_with ON archive (owner, with_jid, sort);
CREATE TABLE IF NOT EXISTS archive_text (
  id    INTEGER PRIMARY KEY,
  refs  INTEGER NOT NULL,
  value TEXT NOT NULL
);
`;

/** Whether `archive` still has the first layout (the stanza in each row). */
function firstLayout(db: Db): boolean {
  return (db.prepare('PRAGMA table_info(archive)').all() as { name: string }[]).some((c) => c.name === 'value');
}

/**
 * Create the archive's tables, or bring those of the first layout to this one (returns how
 * many rows moved; 0 when nothing had to). Every row keeps its owner, position, contact and
 * text; ids made from positions do not change.
 */
export function openArchiveSchema(db: Db): number {
  if (!firstLayout(db)) {
    db.exec(ARCHIVE_SCHEMA);
    return 0;
  }
  return db.transaction(() => {
    if (!firstLayout(db)) return 0; // another connection moved it meanwhile
    db.exec('ALTER TABLE archive RENAME TO archive_v1; DROP INDEX IF EXISTS archive_with;');
    db.exec(ARCHIVE_SCHEMA);
    const moved = db.prepare(
      'INSERT INTO archive_text (id, refs, value) SELECT row_number() OVER (ORDER BY owner, sort), 1, value FROM archive_v1',
    ).run().changes;
    db.exec(`INSERT INTO archive (owner, sort, with_jid, with_resource, text)
      SELECT owner, sort, with_jid, with_resource, row_number() OVER (ORDER BY owner, sort) FROM archive_v1;
      DROP TABLE archive_v1;`);
    return moved;
  }).immediate();
}
