/**
 * Tests for lib/core/storage/sqlite.ts and lib/core/storage/index.ts: the shared StorageDriver
 * behaviour table on real SQLite files, WAL mode, restarts, open errors and openStorage().
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isServerError } from '../../../lib/core/errors.js';
import { SqliteDriver } from '../../../lib/core/storage/sqlite.js';
import { MemoryDriver, openStorage } from '../../../lib/core/storage/index.js';
import { describeStorageContract, JSON_SHAPES } from '../../helpers/storage-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'xs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const freshFile = (): string => join(dir, `db-${++n}.sqlite`);

describeStorageContract('sqlite', () => new SqliteDriver(freshFile()));

describe('SqliteDriver', () => {
  it('creates missing parent directories and turns WAL on (persistent in the file)', () => {
    const file = join(dir, 'nested', 'deeper', 'x.sqlite');
    const d = new SqliteDriver(file);
    assert.equal(d.file, file);
    d.set('h', 's', 'u', 1);
    const probe = new Database(file, { readonly: true });
    try {
      assert.equal(probe.pragma('journal_mode', { simple: true }), 'wal');
      const tables = probe.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name").pluck().all();
      assert.ok(['keyval', 'list', 'list_owner'].every((t) => tables.includes(t)), String(tables));
    } finally {
      probe.close();
      d.close();
    }
  });

  it('keeps everything across close and reopen of the same file (a restart)', () => {
    const file = freshFile();
    const first = new SqliteDriver(file);
    JSON_SHAPES.forEach((v, i) => first.set('h', 'shapes', `u${i}`, v));
    const ids = [first.append('h', 'offline', 'juliet', 'a'), first.append('h', 'offline', 'juliet', 'b')];
    first.remove('h', 'offline', 'juliet', [ids[1]!]);
    first.close();
    assert.equal(first.open, false);

    const second = new SqliteDriver(file);
    try {
      JSON_SHAPES.forEach((v, i) => assert.deepEqual(second.get('h', 'shapes', `u${i}`), v));
      assert.deepEqual(second.items('h', 'offline', 'juliet').map((it) => [it.id, it.value]), [[ids[0], 'a']]);
      assert.equal(second.users('h', 'shapes').length, JSON_SHAPES.length);
      const next = second.append('h', 'offline', 'juliet', 'c');
      assert.ok(next > ids[1]!, 'AUTOINCREMENT never reuses an id, even after a restart');
    } finally {
      second.close();
    }
  });

  it('reports use after close as XS_ERR_STORAGE naming the file', () => {
    const file = freshFile();
    const d = new SqliteDriver(file);
    d.close();
    for (const op of [() => d.get('h', 's', 'u'), () => d.set('h', 's', 'u', 1), () => d.append('h', 's', 'u', 1), () => d.items('h', 's', 'u')]) {
      assert.throws(op, (err) => isServerError(err, 'XS_ERR_STORAGE') && err.message.includes(file) && /closed/.test(err.message));
    }
  });

  it('reports a file it cannot open as XS_ERR_STORAGE naming the file', () => {
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, 'x');
    const file = join(blocker, 'db.sqlite');
    assert.throws(() => new SqliteDriver(file), (err) => isServerError(err, 'XS_ERR_STORAGE') && err.message.includes(file));
    const garbage = join(dir, 'garbage.sqlite');
    writeFileSync(garbage, 'this is not an SQLite database, just some text that is long enough '.repeat(20));
    assert.throws(() => new SqliteDriver(garbage), (err) => isServerError(err, 'XS_ERR_STORAGE') && err.message.includes(garbage));
  });

  it('refuses values JSON cannot represent with XS_ERR_STORAGE', () => {
    const d = new SqliteDriver(freshFile());
    try {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.throws(() => d.set('h', 's', 'u', cyclic), (err) => isServerError(err, 'XS_ERR_STORAGE'));
      assert.throws(() => d.append('h', 's', 'u', 10n), (err) => isServerError(err, 'XS_ERR_STORAGE'));
      assert.equal(d.get('h', 's', 'u'), undefined);
    } finally {
      d.close();
    }
  });
});

describe('SqliteDriver background work', () => {
  it('copies the WAL into the file and writes archive rows in a worker thread, in order, with barriers', async () => {
    const file = freshFile();
    const d = new SqliteDriver(file);
    after(() => d.close());
    const errors: string[] = [];
    d.startBackgroundWork({ checkpointMs: 50, fallback: { add: () => undefined, stored: async () => undefined, purgeUser: () => undefined, close: async () => undefined },
      onError: (m) => errors.push(m) });
    const fileSize = (): number => statSync(file).size;
    const before = fileSize();
    const value = 'v'.repeat(2000);
    d.transaction(() => { for (let i = 0; i < 500; i++) d.append('h', 's', `u${i % 10}`, value); });
    // the commit appended to the WAL only; the worker copies it into the file
    for (let i = 0; i < 100 && fileSize() <= before + 500 * 2000; i++) await sleep(20);
    assert.ok(fileSize() > before + 500 * 2000, `the database file grew from ${before} to ${fileSize()} bytes`);
    assert.equal(d.items('h', 's', 'u3').length, 50);
    // archive rows go through the worker, in order, and a barrier waits for their commit
    const sink = d.archiveSink!;
    for (let i = 1; i <= 300; i++) sink.add({ host: 'h', store: 'archive', user: `u${i % 3}`, entry: { sort: i, with: 'x@h', value: `<m n='${i}'/>` } });
    assert.equal(d.archive.query('h', 'archive', 'u1', {}).length, 0, 'not yet written');
    await sink.stored();
    assert.equal(d.archive.query('h', 'archive', 'u1', {}).length, 100);
    sink.purgeUser('h', 'u2');
    await sink.stored();
    assert.equal(d.archive.query('h', 'archive', 'u2', {}).length, 0);
    sink.add({ host: 'h', store: 'archive', user: 'u1', entry: { sort: 1000, with: 'x@h', value: '<m/>' } });
    await d.stopBackgroundWork();
    assert.equal(d.archive.query('h', 'archive', 'u1', {}).length, 101, 'written before the worker stopped');
    assert.deepEqual(errors, []);
  });
  it('gathers archive rows that keep coming into one commit per commitMs; a barrier waits for that commit', async () => {
    const file = freshFile();
    const d = new SqliteDriver(file);
    after(() => d.close());
    const errors: string[] = [];
    d.startBackgroundWork({ commitMs: 3000, fallback: { add: () => undefined, stored: async () => undefined, purgeUser: () => undefined, close: async () => undefined },
      onError: (m) => errors.push(m) });
    const sink = d.archiveSink!;
    const row = (sort: number): Parameters<typeof sink.add>[0] => ({ host: 'h', store: 'archive', user: 'u', entry: { sort, with: 'x@h', value: `<m n='${sort}'/>` } });
    // an idle worker commits at once
    sink.add(row(1));
    await sink.stored();
    assert.equal(d.archive.query('h', 'archive', 'u', {}).length, 1);
    // the next rows wait for the interval: not committed a few turns later (they were, one turn later, before)
    sink.add(row(2));
    await sleep(100);
    sink.add(row(3));
    await sleep(100);
    assert.equal(d.archive.query('h', 'archive', 'u', {}).length, 1, 'rows 2 and 3 wait for the next commit');
    await sink.stored();
    assert.deepEqual(d.archive.query('h', 'archive', 'u', {}).map((r) => r.sort), [1, 2, 3]);
    // stopping commits what waits
    sink.add(row(4));
    await d.stopBackgroundWork();
    assert.equal(d.archive.query('h', 'archive', 'u', {}).length, 4, 'written before the worker stopped');
    assert.deepEqual(errors, []);
  });
  it('commits at once when maxBatch rows wait, without waiting for commitMs', async () => {
    const file = freshFile();
    const d = new SqliteDriver(file);
    after(() => d.close());
    const fallback = { add: () => undefined, stored: async () => undefined, purgeUser: () => undefined, close: async () => undefined };
    d.startBackgroundWork({ commitMs: 60_000, maxBatch: 50, fallback, onError: () => undefined });
    const sink = d.archiveSink!;
    const add = (from: number, to: number): void => {
      for (let i = from; i <= to; i++) sink.add({ host: 'h', store: 'archive', user: 'u', entry: { sort: i, with: 'x@h', value: '<m/>' } });
    };
    add(1, 1);
    await sink.stored(); // idle: at once; the next commit would wait a minute
    add(2, 60); // 59 rows: past maxBatch
    const count = (): number => d.archive.query('h', 'archive', 'u', {}).length;
    for (let i = 0; i < 250 && count() < 60; i++) await sleep(20);
    assert.equal(count(), 60);
    await d.stopBackgroundWork();
  });
  it('hands a value shared by consecutive rows over once, also across the strings of one hand-over', async () => {
    const file = freshFile();
    const d = new SqliteDriver(file);
    after(() => d.close());
    const fallback = { add: () => undefined, stored: async () => undefined, purgeUser: () => undefined, close: async () => undefined };
    d.startBackgroundWork({ fallback, onError: () => undefined });
    const sink = d.archiveSink!;
    // the same message in the sender's and the recipient's archive, 150 times (more than one string of rows)
    for (let i = 1; i <= 150; i++) {
      const value = `<message id='m${Math.floor(i / 2)}'/>`; // rows 64 and 65 (two strings) share one
      sink.add({ host: 'h', store: 'archive', user: i % 2 ? 'alice' : 'bob', entry: { sort: i, with: i % 2 ? 'bob@h' : 'alice@h', value } });
    }
    sink.add({ host: 'h', store: 'archive', user: 'alice', entry: { sort: 151, with: 'bob@h', value: '<message id=\'m75\'/>' } });
    await sink.stored();
    const alice = d.archive.query('h', 'archive', 'alice', {});
    const bob = d.archive.query('h', 'archive', 'bob', {});
    assert.equal(alice.length, 76);
    assert.equal(bob.length, 75);
    for (const r of [...alice, ...bob].filter((x) => x.sort <= 150)) assert.equal(r.value, `<message id='m${Math.floor(r.sort / 2)}'/>`, `row ${r.sort}`);
    assert.equal(alice.at(-1)!.value, `<message id='m75'/>`);
    await d.stopBackgroundWork();
  });
});

describe('openStorage', () => {
  it('opens <dataPath>/xmpp-server.sqlite by default, or the given file', () => {
    const dataPath = join(dir, 'data');
    const d = openStorage('sqlite', { dataPath });
    try {
      assert.equal(d.kind, 'sqlite');
      assert.ok(existsSync(join(dataPath, 'xmpp-server.sqlite')));
    } finally {
      d.close();
    }
    const file = join(dir, 'custom', 'store.db');
    const c = openStorage('sqlite', { dataPath, file });
    try {
      assert.ok(c instanceof SqliteDriver && c.file === file && existsSync(file));
    } finally {
      c.close();
    }
  });

  it('opens a memory driver, and refuses an unknown kind with XS_ERR_STORAGE', () => {
    assert.ok(openStorage('memory', { dataPath: dir }) instanceof MemoryDriver);
    assert.throws(() => openStorage('redis' as 'memory', { dataPath: dir }), (err) => isServerError(err, 'XS_ERR_STORAGE') && err.message.includes('redis'));
  });
});
