/**
 * Test helper: the StorageDriver behaviour table (key-value, lists, users, purge, isolation,
 * JSON shapes, copy semantics, and the archive shape), run against any driver by the per-driver spec files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isServerError } from '../../lib/core/errors.js';
import type { StorageDriver } from '../../lib/core/storage/store.js';
import { sortAt, type ArchiveEntry, type ArchiveQuery, type ArchiveRow } from '../../lib/core/storage/archive.js';

/** One row of the table: a name and a check run against a fresh, empty driver. */
export interface StorageBehaviour {
  readonly name: string;
  readonly run: (driver: StorageDriver) => void;
}

const H = 'example.org';
const H2 = 'other.example';

/** JSON-serialisable values of several shapes that must round-trip unchanged. */
export const JSON_SHAPES: readonly unknown[] = [
  null,
  0,
  -1.5,
  1e300,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  '',
  'plain',
  'unicode ☃ 😀 \u0000 "quoted" \\ back',
  [],
  [1, 'a', null, true, [2, [3]], { k: 'v' }],
  {},
  { a: 1, b: 'two', c: [3], d: { e: { f: null } }, 'ünï': 'cödé', '': 'empty key' },
  Array.from({ length: 500 }, (_, i) => ({ i, s: `item-${i}` })),
];

/** The behaviour every StorageDriver must show. */
export const STORAGE_BEHAVIOURS: readonly StorageBehaviour[] = [
  {
    name: 'key-value: absent is undefined; set/get round-trips; set overwrites',
    run: (d) => {
      assert.equal(d.get(H, 'roster', 'juliet'), undefined);
      d.set(H, 'roster', 'juliet', { romeo: { subscription: 'both' } });
      assert.deepEqual(d.get(H, 'roster', 'juliet'), { romeo: { subscription: 'both' } });
      d.set(H, 'roster', 'juliet', { nurse: { subscription: 'to' } });
      assert.deepEqual(d.get(H, 'roster', 'juliet'), { nurse: { subscription: 'to' } });
    },
  },
  {
    name: 'key-value: setting undefined deletes (and deleting an absent key is a no-op)',
    run: (d) => {
      d.set(H, 'vcard', 'juliet', { fn: 'Juliet' });
      d.set(H, 'vcard', 'juliet', undefined);
      assert.equal(d.get(H, 'vcard', 'juliet'), undefined);
      assert.deepEqual(d.users(H, 'vcard'), []);
      d.set(H, 'vcard', 'nobody', undefined);
      assert.equal(d.get(H, 'vcard', 'nobody'), undefined);
    },
  },
  {
    name: 'key-value and lists: JSON values of several shapes round-trip',
    run: (d) => {
      JSON_SHAPES.forEach((value, i) => {
        d.set(H, 'shapes', `u${i}`, value);
        assert.deepEqual(d.get(H, 'shapes', `u${i}`), value, `key-value shape #${i}`);
        d.append(H, 'shapes', 'list', value);
      });
      assert.deepEqual(d.items(H, 'shapes', 'list').map((it) => it.value), JSON_SHAPES);
    },
  },
  {
    name: 'key-value: odd but legal keys (empty user, quotes, non-ASCII) are kept apart',
    run: (d) => {
      const users = ['', "o'brien", 'a"b', 'ünï', '😀', 'x'.repeat(1023)];
      users.forEach((u, i) => d.set(H, 'odd', u, i));
      users.forEach((u, i) => assert.equal(d.get(H, 'odd', u), i));
      assert.deepEqual(d.users(H, 'odd').sort(), [...users].sort());
    },
  },
  {
    name: 'users(): those with a key-value entry in that store on that host, sorted',
    run: (d) => {
      d.set(H, 'roster', 'romeo', {});
      d.set(H, 'roster', 'juliet', {});
      d.set(H, 'roster', 'nurse', {});
      d.set(H, 'vcard', 'tybalt', {});
      d.set(H2, 'roster', 'mercutio', {});
      d.append(H, 'roster', 'listonly', 1);
      assert.deepEqual(d.users(H, 'roster'), ['juliet', 'nurse', 'romeo']);
      assert.deepEqual(d.users(H, 'vcard'), ['tybalt']);
      assert.deepEqual(d.users(H2, 'roster'), ['mercutio']);
      assert.deepEqual(d.users(H, 'nothing'), []);
      d.set(H, 'roster', 'nurse', undefined);
      assert.deepEqual(d.users(H, 'roster'), ['juliet', 'romeo']);
    },
  },
  {
    name: 'lists: append returns growing ids; items come back in append order with a timestamp',
    run: (d) => {
      const before = Date.now();
      const ids = ['one', 'two', 'three'].map((v) => d.append(H, 'offline', 'juliet', { body: v }));
      const after = Date.now();
      assert.ok(ids.every((id) => Number.isSafeInteger(id)), 'ids are integers');
      assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, 'ids grow');
      const items = d.items(H, 'offline', 'juliet');
      assert.deepEqual(items.map((it) => it.id), ids);
      assert.deepEqual(items.map((it) => it.value), [{ body: 'one' }, { body: 'two' }, { body: 'three' }]);
      for (const it of items) assert.ok(it.when >= before && it.when <= after, `when ${it.when} in [${before}, ${after}]`);
      assert.deepEqual(d.items(H, 'offline', 'romeo'), []);
    },
  },
  {
    name: 'lists: limit returns the first items; 0 returns none; a large limit returns all',
    run: (d) => {
      for (let i = 0; i < 5; i++) d.append(H, 'log', 'u', i);
      assert.deepEqual(d.items(H, 'log', 'u', 2).map((it) => it.value), [0, 1]);
      assert.deepEqual(d.items(H, 'log', 'u', 0), []);
      assert.deepEqual(d.items(H, 'log', 'u', 100).map((it) => it.value), [0, 1, 2, 3, 4]);
    },
  },
  {
    name: 'lists: remove by ids (count returned), only the owner\'s, or all; absent ids count 0',
    run: (d) => {
      const ids = [0, 1, 2, 3].map((i) => d.append(H, 'offline', 'juliet', i));
      const other = d.append(H, 'offline', 'romeo', 'r');
      assert.equal(d.remove(H, 'offline', 'juliet', [ids[1]!, ids[3]!]), 2);
      assert.deepEqual(d.items(H, 'offline', 'juliet').map((it) => it.value), [0, 2]);
      assert.equal(d.remove(H, 'offline', 'juliet', [other, 999999]), 0, 'another user\'s id is not removed');
      assert.deepEqual(d.items(H, 'offline', 'romeo').map((it) => it.value), ['r']);
      assert.equal(d.remove(H, 'offline', 'juliet', []), 0);
      assert.equal(d.remove(H, 'offline', 'juliet'), 2);
      assert.deepEqual(d.items(H, 'offline', 'juliet'), []);
      assert.equal(d.remove(H, 'offline', 'juliet'), 0);
      assert.equal(d.remove(H, 'offline', 'nobody'), 0);
      assert.deepEqual(d.items(H, 'offline', 'romeo').map((it) => it.value), ['r']);
    },
  },
  {
    name: 'lists: ids keep growing after removals (never reused)',
    run: (d) => {
      const a = d.append(H, 'l', 'u', 'a');
      d.remove(H, 'l', 'u');
      const b = d.append(H, 'l', 'u', 'b');
      assert.ok(b > a, `${b} > ${a}`);
    },
  },
  {
    name: 'purgeUser: removes the user\'s key-value and list data in every store on that host only',
    run: (d) => {
      for (const host of [H, H2]) {
        for (const user of ['juliet', 'romeo']) {
          d.set(host, 'roster', user, { host, user });
          d.set(host, 'accounts', user, { host, user });
          d.append(host, 'offline', user, { host, user });
          d.append(host, 'archive', user, { host, user });
        }
      }
      d.purgeUser(H, 'juliet');
      for (const store of ['roster', 'accounts']) assert.equal(d.get(H, store, 'juliet'), undefined, store);
      for (const store of ['offline', 'archive']) assert.deepEqual(d.items(H, store, 'juliet'), [], store);
      assert.deepEqual(d.users(H, 'roster'), ['romeo']);
      assert.deepEqual(d.get(H, 'roster', 'romeo'), { host: H, user: 'romeo' });
      assert.equal(d.items(H, 'offline', 'romeo').length, 1);
      assert.deepEqual(d.get(H2, 'accounts', 'juliet'), { host: H2, user: 'juliet' });
      assert.equal(d.items(H2, 'archive', 'juliet').length, 1);
      d.purgeUser(H, 'nobody');
    },
  },
  {
    name: 'isolation: the same user in another store or on another host is separate data',
    run: (d) => {
      d.set(H, 'a', 'u', 'H/a/u');
      d.set(H, 'b', 'u', 'H/b/u');
      d.set(H2, 'a', 'u', 'H2/a/u');
      d.set(H, 'a', 'v', 'H/a/v');
      assert.equal(d.get(H, 'a', 'u'), 'H/a/u');
      assert.equal(d.get(H, 'b', 'u'), 'H/b/u');
      assert.equal(d.get(H2, 'a', 'u'), 'H2/a/u');
      assert.equal(d.get(H, 'a', 'v'), 'H/a/v');
      d.append(H, 'a', 'u', 1);
      d.append(H, 'b', 'u', 2);
      d.append(H2, 'a', 'u', 3);
      d.append(H, 'a', 'v', 4);
      assert.deepEqual(d.items(H, 'a', 'u').map((it) => it.value), [1]);
      assert.deepEqual(d.items(H, 'b', 'u').map((it) => it.value), [2]);
      assert.deepEqual(d.items(H2, 'a', 'u').map((it) => it.value), [3]);
      assert.deepEqual(d.items(H, 'a', 'v').map((it) => it.value), [4]);
      // A key-value entry and a list under the same (host, store, user) do not see each other.
      d.set(H, 'b', 'u', undefined);
      assert.equal(d.items(H, 'b', 'u').length, 1);
      assert.equal(d.remove(H, 'a', 'u'), 1);
      assert.equal(d.get(H, 'a', 'u'), 'H/a/u');
    },
  },
  {
    name: 'copies: mutating a value after set, or one returned by get/items, leaves the store unchanged',
    run: (d) => {
      const value = { list: [1, 2], nested: { x: 'y' } };
      d.set(H, 's', 'u', value);
      d.append(H, 's', 'u', value);
      value.list.push(3);
      value.nested.x = 'changed';
      const got = d.get(H, 's', 'u') as typeof value;
      assert.deepEqual(got, { list: [1, 2], nested: { x: 'y' } });
      got.list.push(4);
      got.nested.x = 'changed again';
      assert.deepEqual(d.get(H, 's', 'u'), { list: [1, 2], nested: { x: 'y' } });
      const item = d.items(H, 's', 'u')[0]!.value as typeof value;
      assert.deepEqual(item, { list: [1, 2], nested: { x: 'y' } });
      item.list.length = 0;
      assert.deepEqual(d.items(H, 's', 'u')[0]!.value, { list: [1, 2], nested: { x: 'y' } });
    },
  },
  {
    name: 'maps: one value per key; absent is undefined; undefined deletes; all() sorted by key; count',
    run: (d) => {
      assert.equal(d.mapGet(H, 'roster', 'juliet', 'romeo@h'), undefined);
      d.mapSet(H, 'roster', 'juliet', 'romeo@h', { subscription: 'both' });
      d.mapSet(H, 'roster', 'juliet', 'nurse@h', { subscription: 'to' });
      d.mapSet(H, 'roster', 'romeo', 'juliet@h', { subscription: 'both' });
      d.mapSet(H2, 'roster', 'juliet', 'x@h', 1);
      assert.deepEqual(d.mapGet(H, 'roster', 'juliet', 'romeo@h'), { subscription: 'both' });
      assert.deepEqual(d.mapAll(H, 'roster', 'juliet'), { 'nurse@h': { subscription: 'to' }, 'romeo@h': { subscription: 'both' } });
      assert.deepEqual(Object.keys(d.mapAll(H, 'roster', 'juliet')), ['nurse@h', 'romeo@h']);
      assert.equal(d.mapCount(H, 'roster', 'juliet'), 2);
      d.mapSet(H, 'roster', 'juliet', 'romeo@h', { subscription: 'none' });
      assert.deepEqual(d.mapGet(H, 'roster', 'juliet', 'romeo@h'), { subscription: 'none' });
      d.mapSet(H, 'roster', 'juliet', 'romeo@h', undefined);
      d.mapSet(H, 'roster', 'juliet', 'absent', undefined);
      assert.deepEqual(d.mapAll(H, 'roster', 'juliet'), { 'nurse@h': { subscription: 'to' } });
      assert.equal(d.mapCount(H, 'roster', 'juliet'), 1);
      assert.deepEqual(d.mapAll(H, 'roster', 'nobody'), {});
      assert.equal(d.mapCount(H, 'roster', 'nobody'), 0);
      // maps are apart from key-value entries of the same store, and purged with the user
      assert.equal(d.get(H, 'roster', 'juliet'), undefined);
      d.purgeUser(H, 'juliet');
      assert.deepEqual(d.mapAll(H, 'roster', 'juliet'), {});
      assert.deepEqual(d.mapAll(H, 'roster', 'romeo'), { 'juliet@h': { subscription: 'both' } });
      assert.deepEqual(d.mapAll(H2, 'roster', 'juliet'), { 'x@h': 1 });
    },
  },
  {
    name: 'lists: paging after an id, and stats (count, bytes of JSON text) without reading items',
    run: (d) => {
      const ids = ['a', 'bb', 'ccc', 'dddd'].map((v) => d.append(H, 'offline', 'juliet', v));
      d.append(H, 'offline', 'romeo', 'x'.repeat(100));
      assert.deepEqual(d.items(H, 'offline', 'juliet', 2, ids[0]).map((it) => it.value), ['bb', 'ccc']);
      assert.deepEqual(d.items(H, 'offline', 'juliet', undefined, ids[2]).map((it) => it.value), ['dddd']);
      assert.deepEqual(d.items(H, 'offline', 'juliet', 5, ids[3]), []);
      // JSON text: '"a"' is 3 bytes, ... '"dddd"' is 6: 3 + 4 + 5 + 6
      assert.deepEqual(d.listStats(H, 'offline', 'juliet'), { count: 4, bytes: 18 });
      assert.deepEqual(d.listStats(H, 'offline', 'nobody'), { count: 0, bytes: 0 });
      d.remove(H, 'offline', 'juliet', [ids[3]!]);
      assert.deepEqual(d.listStats(H, 'offline', 'juliet'), { count: 3, bytes: 12 });
      assert.equal(d.listStats(H, 'offline', 'romeo').bytes, 102);
      // bytes, not characters
      d.append(H, 'utf', 'u', '☃');
      assert.equal(d.listStats(H, 'utf', 'u').bytes, 5);
    },
  },
  {
    name: 'transaction: writes inside commit together; a throw undoes every kind of write',
    run: (d) => {
      d.set(H, 'kv', 'u', 'before');
      d.mapSet(H, 'm', 'u', 'k', 'before');
      const kept = d.append(H, 'l', 'u', 'kept');
      assert.equal(d.transaction(() => {
        d.set(H, 'kv', 'u', 'after');
        d.mapSet(H, 'm', 'u', 'k2', 'new');
        return 42;
      }), 42);
      assert.equal(d.get(H, 'kv', 'u'), 'after');
      assert.equal(d.mapGet(H, 'm', 'u', 'k2'), 'new');
      assert.throws(() => d.transaction(() => {
        d.set(H, 'kv', 'u', 'lost');
        d.set(H, 'kv', 'fresh', 'lost');
        d.mapSet(H, 'm', 'u', 'k', 'lost');
        d.mapSet(H, 'm', 'u', 'k2', undefined);
        d.append(H, 'l', 'u', 'lost');
        d.remove(H, 'l', 'u', [kept]);
        d.purgeUser(H2, 'nobody');
        throw new Error('boom');
      }), /boom/);
      assert.equal(d.get(H, 'kv', 'u'), 'after');
      assert.equal(d.get(H, 'kv', 'fresh'), undefined);
      assert.deepEqual(d.users(H, 'kv'), ['u']);
      assert.deepEqual(d.mapAll(H, 'm', 'u'), { k: 'before', k2: 'new' });
      assert.deepEqual(d.items(H, 'l', 'u').map((it) => it.value), ['kept']);
    },
  },
  {
    name: 'appending undefined is refused with XS_ERR_STORAGE',
    run: (d) => {
      assert.throws(() => d.append(H, 'l', 'u', undefined), (err) => isServerError(err, 'XS_ERR_STORAGE'));
      assert.deepEqual(d.items(H, 'l', 'u'), []);
    },
  },
  {
    name: 'close() can be called twice',
    run: (d) => {
      d.close();
      d.close();
    },
  },
];

// ---- The archive shape (storage/archive.ts) ----

/** A sort number at `ms` (plus `n` within the millisecond), as SortClock makes them. */
const at = (ms: number, n = 0): number => sortAt(ms) + n;
const T = 1_700_000_000_000; // a fixed time (ms), so that bounds are exact
const entry = (sort: number, withJid: string, value: string, withResource?: string): ArchiveEntry =>
  withResource === undefined ? { sort, with: withJid, value } : { sort, with: withJid, withResource, value };
const values = (rows: readonly ArchiveRow[]): string[] => rows.map((r) => r.value);

/** Five items in juliet's 'archive' on H: with romeo (two resources), nurse, then romeo again. */
function seed(d: StorageDriver, user = 'juliet', host = H, store = 'archive'): void {
  d.archive.append(host, store, user, [
    entry(at(T), 'romeo@example.org', 'm1', 'garden'),
    entry(at(T, 1), 'nurse@example.org', 'm2'),
    entry(at(T + 1000), 'romeo@example.org', 'm3', 'orchard'),
  ]);
  d.archive.append(host, store, user, [
    entry(at(T + 2000), 'nurse@example.org', 'm4', 'kitchen'),
    entry(at(T + 3000), 'romeo@example.org', 'm5', 'garden'),
  ]);
}

/** The archive part of the behaviour every StorageDriver must show. */
export const ARCHIVE_BEHAVIOURS: readonly StorageBehaviour[] = [
  {
    name: 'archive: an empty archive answers nothing (query, has, bounds, clear)',
    run: (d) => {
      assert.deepEqual(d.archive.query(H, 'archive', 'juliet', {}), []);
      assert.equal(d.archive.has(H, 'archive', 'juliet', at(T)), false);
      assert.equal(d.archive.bounds(H, 'archive', 'juliet'), undefined);
      assert.equal(d.archive.clear(H, 'archive', 'juliet'), 0);
      assert.equal(d.archive.lastSort(), 0);
    },
  },
  {
    name: 'archive: appended items come back oldest first, with sort, when, with, withResource and value',
    run: (d) => {
      seed(d);
      const rows = d.archive.query(H, 'archive', 'juliet', {});
      assert.deepEqual(values(rows), ['m1', 'm2', 'm3', 'm4', 'm5']);
      assert.deepEqual(rows[0], { sort: at(T), when: T, with: 'romeo@example.org', withResource: 'garden', value: 'm1' });
      assert.deepEqual(rows[1], { sort: at(T, 1), when: T, with: 'nurse@example.org', value: 'm2' });
      assert.equal(rows[1]!.withResource, undefined, 'no resource: the property is absent');
      assert.deepEqual(rows.map((r) => r.when), [T, T, T + 1000, T + 2000, T + 3000]);
    },
  },
  {
    name: 'archive: values (stanzas with quotes, non-ASCII, large) round-trip unchanged',
    run: (d) => {
      const odd = [`<message to='a"b' xml:lang="en"><body>ünï 😀 &amp; \u2028</body></message>`, '', 'x'.repeat(200_000)];
      d.archive.append(H, 'archive', 'juliet', odd.map((v, i) => entry(at(T, i), 'romeo@example.org', v)));
      assert.deepEqual(values(d.archive.query(H, 'archive', 'juliet', {})), odd);
    },
  },
  {
    name: 'archive: an item appended again at a stored sort is ignored; an older sort is placed in order',
    run: (d) => {
      seed(d);
      d.archive.append(H, 'archive', 'juliet', [entry(at(T + 1000), 'romeo@example.org', 'again')]);
      d.archive.append(H, 'archive', 'juliet', [entry(at(T + 500), 'nurse@example.org', 'late')]);
      assert.deepEqual(values(d.archive.query(H, 'archive', 'juliet', {})), ['m1', 'm2', 'late', 'm3', 'm4', 'm5']);
    },
  },
  {
    name: 'archive: with filters by bare JID, withResource by resource too',
    run: (d) => {
      seed(d);
      const q = (query: ArchiveQuery): string[] => values(d.archive.query(H, 'archive', 'juliet', query));
      assert.deepEqual(q({ with: 'romeo@example.org' }), ['m1', 'm3', 'm5']);
      assert.deepEqual(q({ with: 'nurse@example.org' }), ['m2', 'm4']);
      assert.deepEqual(q({ with: 'romeo@example.org', withResource: 'garden' }), ['m1', 'm5']);
      assert.deepEqual(q({ with: 'nurse@example.org', withResource: 'kitchen' }), ['m4']);
      assert.deepEqual(q({ with: 'romeo@example.org', withResource: 'kitchen' }), []);
      assert.deepEqual(q({ withResource: 'garden' }), ['m1', 'm5'], 'a resource alone filters too');
      assert.deepEqual(q({ with: 'tybalt@example.org' }), []);
      assert.deepEqual(q({ with: 'ROMEO@example.org' }), [], 'JIDs are compared as stored (callers normalise)');
    },
  },
  {
    name: 'archive: start and end (ms) are inclusive time bounds',
    run: (d) => {
      seed(d);
      const q = (query: ArchiveQuery): string[] => values(d.archive.query(H, 'archive', 'juliet', query));
      assert.deepEqual(q({ start: T }), ['m1', 'm2', 'm3', 'm4', 'm5']);
      assert.deepEqual(q({ start: T + 1 }), ['m3', 'm4', 'm5']);
      assert.deepEqual(q({ start: T + 1000 }), ['m3', 'm4', 'm5']);
      assert.deepEqual(q({ end: T }), ['m1', 'm2'], 'end takes every item of its millisecond');
      assert.deepEqual(q({ end: T + 999 }), ['m1', 'm2']);
      assert.deepEqual(q({ start: T + 1000, end: T + 2000 }), ['m3', 'm4']);
      assert.deepEqual(q({ start: T + 2001, end: T + 2999 }), []);
      assert.deepEqual(q({ start: T + 3000, end: T + 1000 }), [], 'an empty range');
      assert.deepEqual(q({ with: 'romeo@example.org', start: T + 1, end: T + 2000 }), ['m3']);
    },
  },
  {
    name: 'archive: after and before are exclusive position bounds',
    run: (d) => {
      seed(d);
      const sorts = d.archive.query(H, 'archive', 'juliet', {}).map((r) => r.sort);
      const q = (query: ArchiveQuery): string[] => values(d.archive.query(H, 'archive', 'juliet', query));
      assert.deepEqual(q({ after: sorts[0] }), ['m2', 'm3', 'm4', 'm5']);
      assert.deepEqual(q({ after: sorts[1] }), ['m3', 'm4', 'm5'], 'two items in one millisecond are told apart');
      assert.deepEqual(q({ before: sorts[2] }), ['m1', 'm2']);
      assert.deepEqual(q({ after: sorts[0], before: sorts[3] }), ['m2', 'm3']);
      assert.deepEqual(q({ after: sorts[2], before: sorts[3] }), []);
      assert.deepEqual(q({ after: sorts[4] }), []);
      assert.deepEqual(q({ after: at(T + 500) }), ['m3', 'm4', 'm5'], 'a position between items');
      assert.deepEqual(q({ with: 'nurse@example.org', after: sorts[0], before: sorts[4] }), ['m2', 'm4']);
      assert.deepEqual(q({ start: T + 1000, after: sorts[2] }), ['m4', 'm5'], 'time and position bounds combine');
    },
  },
  {
    name: 'archive: ids selects those positions (in archive order); unknown and empty ids select nothing',
    run: (d) => {
      seed(d);
      const sorts = d.archive.query(H, 'archive', 'juliet', {}).map((r) => r.sort);
      const q = (query: ArchiveQuery): string[] => values(d.archive.query(H, 'archive', 'juliet', query));
      assert.deepEqual(q({ ids: [sorts[3]!, sorts[0]!] }), ['m1', 'm4']);
      assert.deepEqual(q({ ids: [sorts[3]!, sorts[0]!], reverse: true }), ['m4', 'm1']);
      assert.deepEqual(q({ ids: [at(T + 1)] }), []);
      assert.deepEqual(q({ ids: [] }), []);
      assert.deepEqual(q({ ids: [sorts[0]!, sorts[1]!], with: 'nurse@example.org' }), ['m2']);
    },
  },
  {
    name: 'archive: limit and reverse (newest first) give the first or last page of a range',
    run: (d) => {
      seed(d);
      const sorts = d.archive.query(H, 'archive', 'juliet', {}).map((r) => r.sort);
      const q = (query: ArchiveQuery): string[] => values(d.archive.query(H, 'archive', 'juliet', query));
      assert.deepEqual(q({ limit: 2 }), ['m1', 'm2']);
      assert.deepEqual(q({ reverse: true }), ['m5', 'm4', 'm3', 'm2', 'm1']);
      assert.deepEqual(q({ limit: 2, reverse: true }), ['m5', 'm4']);
      assert.deepEqual(q({ limit: 0 }), []);
      assert.deepEqual(q({ limit: 99 }), ['m1', 'm2', 'm3', 'm4', 'm5']);
      assert.deepEqual(q({ limit: 2, before: sorts[4], reverse: true }), ['m4', 'm3']);
      assert.deepEqual(q({ limit: 1, after: sorts[1] }), ['m3']);
      assert.deepEqual(q({ limit: 1, with: 'nurse@example.org', reverse: true }), ['m4'], 'the limit counts matching items');
    },
  },
  {
    name: 'archive: has answers for the user\'s own positions only',
    run: (d) => {
      seed(d);
      seed(d, 'romeo');
      const sorts = d.archive.query(H, 'archive', 'juliet', {}).map((r) => r.sort);
      for (const s of sorts) assert.equal(d.archive.has(H, 'archive', 'juliet', s), true);
      assert.equal(d.archive.has(H, 'archive', 'juliet', at(T + 1)), false);
      assert.equal(d.archive.has(H, 'archive', 'nurse', sorts[0]!), false);
      assert.equal(d.archive.has(H, 'other', 'juliet', sorts[0]!), false);
      assert.equal(d.archive.has(H2, 'archive', 'juliet', sorts[0]!), false);
    },
  },
  {
    name: 'archive: bounds are the first and last items',
    run: (d) => {
      seed(d);
      const b = d.archive.bounds(H, 'archive', 'juliet');
      assert.deepEqual(b, {
        first: { sort: at(T), when: T, with: 'romeo@example.org', withResource: 'garden', value: 'm1' },
        last: { sort: at(T + 3000), when: T + 3000, with: 'romeo@example.org', withResource: 'garden', value: 'm5' },
      });
      d.archive.append(H, 'archive', 'nurse', [entry(at(T), 'juliet@example.org', 'only')]);
      const one = d.archive.bounds(H, 'archive', 'nurse')!;
      assert.equal(one.first.value, 'only');
      assert.deepEqual(one.first, one.last);
    },
  },
  {
    name: 'archive: clear empties one user\'s archive in one store and counts what went',
    run: (d) => {
      seed(d);
      seed(d, 'romeo');
      seed(d, 'juliet', H, 'other');
      assert.equal(d.archive.clear(H, 'archive', 'juliet'), 5);
      assert.deepEqual(d.archive.query(H, 'archive', 'juliet', {}), []);
      assert.equal(d.archive.bounds(H, 'archive', 'juliet'), undefined);
      assert.equal(d.archive.clear(H, 'archive', 'juliet'), 0);
      assert.equal(d.archive.query(H, 'archive', 'romeo', {}).length, 5);
      assert.equal(d.archive.query(H, 'other', 'juliet', {}).length, 5);
      d.archive.append(H, 'archive', 'juliet', [entry(at(T + 9000), 'romeo@example.org', 'new')]);
      assert.deepEqual(values(d.archive.query(H, 'archive', 'juliet', {})), ['new'], 'the archive takes items again');
    },
  },
  {
    name: 'archive: expire deletes items older than the time, at most max, oldest first, in one store and host',
    run: (d) => {
      seed(d);
      seed(d, 'romeo');
      seed(d, 'juliet', H, 'other');
      seed(d, 'juliet', H2);
      assert.equal(d.archive.expire(H, 'archive', T, 10), 0, 'nothing is older than the first item');
      assert.equal(d.archive.expire(H, 'archive', T + 2000, 0), 0, 'max 0 deletes nothing');
      // older than T + 2000: m1, m2, m3 of juliet and of romeo; at most 4 of those 6 go
      assert.equal(d.archive.expire(H, 'archive', T + 2000, 4), 4);
      const left = [...values(d.archive.query(H, 'archive', 'juliet', {})), ...values(d.archive.query(H, 'archive', 'romeo', {}))];
      assert.equal(left.length, 6);
      for (const user of ['juliet', 'romeo']) {
        const v = values(d.archive.query(H, 'archive', user, {}));
        assert.deepEqual(v, ['m1', 'm2', 'm3', 'm4', 'm5'].slice(5 - v.length), `${user}'s archive loses its oldest items, not a middle one`);
      }
      assert.equal(d.archive.expire(H, 'archive', T + 2000, 10), 2, 'the rest');
      assert.deepEqual(values(d.archive.query(H, 'archive', 'juliet', {})), ['m4', 'm5']);
      assert.deepEqual(values(d.archive.query(H, 'archive', 'romeo', {})), ['m4', 'm5']);
      assert.equal(d.archive.expire(H, 'archive', T + 2000, 10), 0);
      assert.equal(d.archive.expire(H, 'archive', T + 10_000, 10), 4, 'everything, when all is older');
      assert.equal(d.archive.bounds(H, 'archive', 'juliet'), undefined);
      assert.equal(d.archive.query(H, 'other', 'juliet', {}).length, 5, 'another store is untouched');
      assert.equal(d.archive.query(H2, 'archive', 'juliet', {}).length, 5, 'another host is untouched');
    },
  },
  {
    name: 'archive: lastSort is the largest sort appended, in any store and host',
    run: (d) => {
      assert.equal(d.archive.lastSort(), 0);
      d.archive.append(H, 'archive', 'juliet', [entry(at(T), 'romeo@example.org', 'a')]);
      assert.equal(d.archive.lastSort(), at(T));
      d.archive.append(H2, 'muc', 'room', [entry(at(T + 5000, 3), 'romeo@example.org', 'b')]);
      assert.equal(d.archive.lastSort(), at(T + 5000, 3));
      d.archive.append(H, 'archive', 'romeo', [entry(at(T + 1000), 'juliet@example.org', 'older')]);
      assert.equal(d.archive.lastSort(), at(T + 5000, 3), 'an older item does not lower it');
    },
  },
  {
    name: 'archive: purgeUser removes the user\'s archives in every store of the host, and nothing else',
    run: (d) => {
      seed(d);
      seed(d, 'juliet', H, 'other');
      seed(d, 'juliet', H2);
      seed(d, 'romeo');
      d.archive.purgeUser(H, 'juliet');
      assert.deepEqual(d.archive.query(H, 'archive', 'juliet', {}), []);
      assert.deepEqual(d.archive.query(H, 'other', 'juliet', {}), []);
      assert.equal(d.archive.query(H2, 'archive', 'juliet', {}).length, 5, 'the same user on another host');
      assert.equal(d.archive.query(H, 'archive', 'romeo', {}).length, 5, 'another user');
      d.archive.purgeUser(H, 'nobody');
      // the driver's purgeUser (account deletion) takes the archives too
      d.purgeUser(H, 'romeo');
      assert.deepEqual(d.archive.query(H, 'archive', 'romeo', {}), []);
      assert.equal(d.archive.query(H2, 'archive', 'juliet', {}).length, 5);
    },
  },
  {
    name: 'archive: hosts, stores and users are kept apart, even with the same sort numbers',
    run: (d) => {
      const owners: Array<[string, string, string]> = [[H, 'archive', 'juliet'], [H2, 'archive', 'juliet'], [H, 'muc', 'juliet'], [H, 'archive', 'romeo'], [H, 'archive', '']];
      owners.forEach(([h, s, u], i) => d.archive.append(h, s, u, [entry(at(T), 'x@example.org', `first-${i}`), entry(at(T + 1), 'y@example.org', `second-${i}`)]));
      owners.forEach(([h, s, u], i) => {
        assert.deepEqual(values(d.archive.query(h, s, u, {})), [`first-${i}`, `second-${i}`], `${h}/${s}/${u}`);
        assert.equal(d.archive.bounds(h, s, u)!.last.value, `second-${i}`);
      });
      assert.equal(d.archive.clear(H, 'muc', 'juliet'), 2);
      assert.equal(d.archive.query(H, 'archive', 'juliet', {}).length, 2);
      assert.deepEqual(d.archive.query(H2, 'muc', 'juliet', {}), []);
    },
  },
];

/**
 * Register the behaviour table as node:test cases. `open` gives a fresh, empty driver per case;
 * it is closed afterwards.
 */
export function describeStorageContract(kind: string, open: () => StorageDriver): void {
  describe(`StorageDriver contract: ${kind}`, () => {
    it('reports its kind', () => {
      const d = open();
      try {
        assert.equal(d.kind, kind);
      } finally {
        d.close();
      }
    });
    for (const behaviour of [...STORAGE_BEHAVIOURS, ...ARCHIVE_BEHAVIOURS]) {
      it(behaviour.name, () => {
        const d = open();
        try {
          behaviour.run(d);
        } finally {
          d.close();
        }
      });
    }
  });
}
