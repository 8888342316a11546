/**
 * Tests for lib/core/storage/sqlite-archive.ts and sqlite-archive-schema.ts: texts shared by
 * the archives that hold them and released with their last row, positions stored once, and the
 * move from the first layout (the stanza in each row). The behaviour every driver shares is in
 * the storage contract (sqlite.test.ts).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDriver } from '../../../lib/core/storage/sqlite.js';
import { SqliteArchive } from '../../../lib/core/storage/sqlite-archive.js';
import type { WorkerRow } from '../../../lib/core/storage/storage-worker-protocol.js';

const dir = mkdtempSync(join(tmpdir(), 'xs-archive-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => join(dir, `db-${++n}.sqlite`);

/** A chat message from a to b, as the two rows mam hands over (sender's, then recipient's). */
const message = (sort: number, a: string, b: string, value = `<message id='m${sort}'><body>${a} to ${b}</body></message>`): WorkerRow[] => [
  { host: 'h', store: 'archive', user: a, entry: { sort, with: `${b}@h`, value } },
  { host: 'h', store: 'archive', user: b, entry: { sort, with: `${a}@h`, withResource: 'phone', value } },
];

function open(): { db: Database.Database; archive: SqliteArchive; texts(): { id: number; refs: number }[] } {
  const db = new Database(freshFile());
  const archive = new SqliteArchive(db);
  return { db, archive, texts: () => db.prepare('SELECT id, refs FROM archive_text ORDER BY id').all() as { id: number; refs: number }[] };
}

describe('SqliteArchive: texts', () => {
  it('stores a message held by two archives once and drops it with the last row that refers to it', () => {
    const { db, archive, texts } = open();
    archive.appendRows([...message(1, 'a', 'b'), ...message(2, 'b', 'a')]);
    assert.deepEqual(texts(), [{ id: 1, refs: 2 }, { id: 2, refs: 2 }]);
    const ofB = archive.query('h', 'archive', 'b', {});
    assert.deepEqual(ofB.map((r) => [r.sort, r.with, r.withResource ?? null, r.value]), [
      [1, 'a@h', 'phone', "<message id='m1'><body>a to b</body></message>"],
      [2, 'a@h', null, "<message id='m2'><body>b to a</body></message>"],
    ]);
    assert.equal(archive.clear('h', 'archive', 'a'), 2);
    assert.deepEqual(texts(), [{ id: 1, refs: 1 }, { id: 2, refs: 1 }]);
    assert.deepEqual(archive.query('h', 'archive', 'b', {}).map((r) => r.value), ofB.map((r) => r.value), 'b keeps the texts');
    assert.equal(archive.clear('h', 'archive', 'b'), 2);
    assert.deepEqual(texts(), []);
    db.close();
  });

  it('shares only consecutive equal texts; different texts of one batch each get their own', () => {
    const { db, archive, texts } = open();
    const rows = [...message(1, 'a', 'b'), ...message(2, 'a', 'c'), ...message(3, 'c', 'b')];
    rows.splice(1, 0, { host: 'h', store: 'muc', user: 'room', entry: { sort: 4, with: 'room@h', value: 'other' } });
    archive.appendRows(rows);
    assert.deepEqual(texts().map((t) => t.refs), [1, 1, 1, 2, 2], 'a message split by another row is stored twice, not lost');
    assert.equal(archive.query('h', 'archive', 'b', {}).length, 2);
    assert.equal(archive.query('h', 'muc', 'room', {})[0]!.value, 'other');
    db.close();
  });

  it('ignores a position an archive holds already, within a batch or from before, and keeps no text for it', () => {
    const { db, archive, texts } = open();
    archive.appendRows(message(1, 'a', 'b'));
    // 40 rows for a: the first chunk of 32 has one position already there (1), the rest is new
    const rows: WorkerRow[] = [];
    for (let s = 1; s <= 40; s++) rows.push({ host: 'h', store: 'archive', user: 'a', entry: { sort: s, with: 'b@h', value: `<m n='${s}'/>` } });
    rows.push({ host: 'h', store: 'archive', user: 'a', entry: { sort: 40, with: 'b@h', value: 'again' } });
    archive.appendRows(rows);
    const ofA = archive.query('h', 'archive', 'a', {});
    assert.equal(ofA.length, 40);
    assert.equal(ofA[0]!.value, "<message id='m1'><body>a to b</body></message>", 'the first text of position 1 stays');
    assert.equal(ofA[39]!.value, "<m n='40'/>", 'the first of a position twice in a batch is stored');
    assert.deepEqual(texts().map((t) => t.refs), [2, ...Array<number>(39).fill(1)], 'no text without a row');
    archive.append('h', 'archive', 'b', [{ sort: 1, with: 'a@h', value: 'dup' }]);
    assert.equal(texts().length, 40, 'a single row at a known position leaves nothing either');
    db.close();
  });

  it('releases texts when rows expire and when a user is purged', () => {
    const { db, archive, texts } = open();
    const ms = Date.UTC(2026, 0, 1);
    archive.appendRows([...message(ms * 1024, 'a', 'b'), ...message((ms + 10) * 1024, 'a', 'b')]);
    assert.equal(archive.expire('h', 'archive', ms + 5, 100), 2, 'both archives lose the old message');
    assert.deepEqual(texts().map((t) => t.refs), [2]);
    archive.purgeUser('h', 'b');
    assert.deepEqual(texts().map((t) => t.refs), [1]);
    archive.purgeUser('h', 'a');
    assert.deepEqual(texts(), []);
    db.close();
  });

  it('writes a message handed to the storage worker for two archives as one text', async () => {
    const file = freshFile();
    const d = new SqliteDriver(file);
    const errors: string[] = [];
    d.startBackgroundWork({ checkpointMs: 60_000, onError: (m) => errors.push(m),
      fallback: { add: () => undefined, stored: async () => undefined, purgeUser: () => undefined, close: async () => undefined } });
    const sink = d.archiveSink!;
    for (const row of message(7, 'a', 'b')) sink.add(row);
    await sink.stored();
    await d.stopBackgroundWork();
    assert.deepEqual(errors, []);
    const probe = new Database(file, { readonly: true });
    assert.deepEqual(probe.prepare('SELECT refs FROM archive_text').pluck().all(), [2]);
    probe.close();
    assert.equal(d.archive.query('h', 'archive', 'b', {})[0]!.withResource, 'phone');
    d.close();
  });
});

describe('SqliteArchive: the first layout', () => {
  it('moves archives that kept the stanza in each row, keeping positions, contacts and texts', () => {
    const file = freshFile();
    const old = new Database(file);
    old.exec(`
      CREATE TABLE archive_owner (id INTEGER PRIMARY KEY, host TEXT NOT NULL, store TEXT NOT NULL, user TEXT NOT NULL, UNIQUE (host, store, user));
      CREATE TABLE archive (owner INTEGER NOT NULL, sort INTEGER NOT NULL, with_jid TEXT NOT NULL, with_resource TEXT, value TEXT NOT NULL, PRIMARY KEY (owner, sort)) WITHOUT ROWID;
      CREATE INDEX archive_with ON archive (owner, with_jid, sort);
      INSERT INTO archive_owner (id, host, store, user) VALUES (1, 'h', 'archive', 'a'), (2, 'h', 'archive', 'b');
      INSERT INTO archive VALUES (2, 5, 'a@h', 'pc', '<five/>'), (1, 5, 'b@h', NULL, '<five/>'), (1, 9, 'c@h', NULL, '<nine/>');`);
    old.close();
    const d = new SqliteDriver(file);
    assert.deepEqual(d.archive.query('h', 'archive', 'a', {}).map((r) => [r.sort, r.with, r.value]), [[5, 'b@h', '<five/>'], [9, 'c@h', '<nine/>']]);
    assert.deepEqual(d.archive.query('h', 'archive', 'b', { with: 'a@h' }).map((r) => [r.sort, r.withResource, r.value]), [[5, 'pc', '<five/>']]);
    d.archive.append('h', 'archive', 'a', [{ sort: 10, with: 'b@h', value: '<ten/>' }]);
    assert.equal(d.archive.bounds('h', 'archive', 'a')!.last.value, '<ten/>', 'new texts come after the moved ones');
    assert.equal(d.archive.lastSort(), 10);
    d.close();
    const probe = new Database(file, { readonly: true });
    const tables = probe.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'archive%' ORDER BY name").pluck().all();
    assert.deepEqual(tables, ['archive', 'archive_owner', 'archive_text', 'archive_with']);
    assert.deepEqual(probe.prepare('SELECT refs FROM archive_text ORDER BY id').pluck().all(), [1, 1, 1, 1]);
    probe.close();
    const again = new SqliteDriver(file);
    assert.equal(again.archive.query('h', 'archive', 'a', {}).length, 3, 'opening it again moves nothing');
    again.close();
  });
});
