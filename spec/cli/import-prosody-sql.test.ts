/**
 * `xmpp-server import-prosody` (child process) on a Prosody config with `storage = "sql"`
 * (mod_storage_sql, SQLite3): the database is written here by hand in mod_storage_sql's schema
 * and value encoding (one row per top-level key; string, boolean, number and json values; a
 * table's non-string keys as JSON under the key ''), labelled as such: Debian's Prosody here
 * has no LuaDBI, so a real Prosody cannot write it. An account, its vCard, a persistent room
 * with its affiliations and the persistent list are imported; the archive rows and a broken
 * value are reported; our server then lets the owner into the room as owner.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createServer, type Server } from '../../lib/index.js';
import { Config } from '../../lib/core/config.js';
import { xml } from '../../lib/core/xml.js';
import { NS_MUC, NS_MUC_USER, type StoredRoom } from '../../lib/core/muc-api.js';
import { openStorage } from '../../lib/core/storage/index.js';
import { captureLog } from '../helpers/log.js';
import { reportedListeners } from '../helpers/server.js';
import { login } from './prosody-harness.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');
const ROOM = 'garden@conference.localhost';

describe('import-prosody from Prosody\'s sql storage (SQLite3)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-import-sql-'));
  const out = join(dir, 'ours', 'config.json');
  let report = '';
  let status: number | null = null;
  let server: Server | undefined;

  before(() => {
    mkdirSync(join(dir, 'pdata'));
    // Hand-written in mod_storage_sql's schema (not produced by Prosody)
    const db = new Database(join(dir, 'pdata', 'chat.sqlite'));
    db.exec('CREATE TABLE "prosody" ("host" TEXT, "user" TEXT, "store" TEXT, "key" TEXT, "type" TEXT, "value" TEXT)');
    db.exec('CREATE TABLE "prosodyarchive" ("sort_id" INTEGER PRIMARY KEY AUTOINCREMENT, "host" TEXT, "user" TEXT, "store" TEXT, "key" TEXT, "when" INTEGER, "with" TEXT, "type" TEXT, "value" TEXT)');
    const row = db.prepare('INSERT INTO "prosody" VALUES (?, ?, ?, ?, ?, ?)');
    row.run('localhost', 'juliet', 'accounts', 'password', 'string', 'r0m30 w1th space');
    row.run('localhost', 'juliet', 'vcard', 'name', 'string', 'vCard');
    row.run('localhost', 'juliet', 'vcard', 'attr', 'json', '{"xmlns":"vcard-temp"}');
    row.run('localhost', 'juliet', 'vcard', '', 'json', '[{"name":"FN","attr":[],"1":"Juliet Capulet"}]');
    row.run('conference.localhost', 'garden', 'config', '_jid', 'string', ROOM);
    row.run('conference.localhost', 'garden', 'config', '_data', 'json',
      '{"persistent":true,"name":"The Garden","history_length":10,"subject":"Roses","subject_from":"garden@conference.localhost/Juliet","subject_time":1700000000}');
    row.run('conference.localhost', 'garden', 'config', '_affiliation_data', 'json', '{"romeo@localhost":{"reserved_nickname":"Romeo"}}');
    row.run('conference.localhost', 'garden', 'config', 'juliet@localhost', 'string', 'owner');
    row.run('conference.localhost', 'garden', 'config', 'romeo@localhost', 'string', 'member');
    row.run('conference.localhost', 'garden', 'config', 'tybalt@localhost', 'json', '{not json');
    row.run('conference.localhost', '', 'persistent', ROOM, 'boolean', 'true');
    db.prepare('INSERT INTO "prosodyarchive" ("host", "user", "store", "key", "when", "with", "type", "value") VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run('localhost', 'juliet', 'offline', 'k1', 1700000000, 'romeo@localhost', 'xml', '<message xmlns="jabber:client"><body>hi</body></message>');
    db.close();
    const cfg = join(dir, 'prosody.cfg.lua');
    writeFileSync(cfg, 'data_path = "pdata"\nstorage = "sql"\nsql = { driver = "SQLite3", database = "chat.sqlite" }\nVirtualHost "localhost"\nComponent "conference.localhost" "muc"\n');
    const r = spawnSync(process.execPath, [CLI, 'import-prosody', '--config', cfg, '--out', out], { encoding: 'utf8', timeout: 60_000 });
    report = r.stdout + r.stderr;
    status = r.status;
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the key-value stores and reports the archive rows and the broken value', () => {
    assert.equal(status, 0, report);
    assert.match(report, /^ {2}conference\.localhost: 1 MUC rooms, 2 MUC affiliations$/m);
    assert.match(report, /^ {2}localhost: 1 accounts, 1 accounts from plain passwords, 1 vCards$/m);
    assert.match(report, /chat\.sqlite: conference\.localhost\/config\/garden: key "tybalt@localhost": not imported: it holds invalid JSON/);
    assert.match(report, /chat\.sqlite: localhost\/offline\/juliet: archive store 'offline' \(1 item\): not imported: archives in SQL storage/);
    assert.ok(!report.includes('r0m30'), 'no password in the report');
  });

  it('wrote the room and the vCard where our modules read them', () => {
    const storage = openStorage('sqlite', { dataPath: join(dir, 'ours', 'data') });
    try {
      const room = storage.get('conference.localhost', 'muc_rooms', 'garden') as StoredRoom;
      assert.equal(room.config.name, 'The Garden');
      assert.equal(room.config.historyLength, 10);
      assert.deepEqual(room.subject, { text: 'Roses', nick: 'Juliet', when: 1700000000000 });
      assert.deepEqual(room.affiliations, { 'juliet@localhost': { affiliation: 'owner' }, 'romeo@localhost': { affiliation: 'member', nick: 'Romeo' } });
      const vcard = storage.get('localhost', 'vcard', 'juliet') as { n: string; c: { n: string; c: string[] }[] };
      assert.equal(vcard.n, 'vCard');
      assert.deepEqual(vcard.c.map((c) => [c.n, c.c.join('')]), [['FN', 'Juliet Capulet']]);
    } finally {
      storage.close();
    }
  });

  it('our server lets the owner in as owner, with the old password', async () => {
    const raw = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    const config = new Config({ ...raw, c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], http_ports: [], https_ports: [], scram_iterations: 4096,
      c2s_require_encryption: false, allow_unencrypted_plain_auth: true }, out);
    server = createServer(config, { logger: captureLog('silent').logger });
    await server.start();
    const port = reportedListeners(server).find((l) => l.service === 'c2s')!.port;
    const juliet = await login(port, 'localhost', 'juliet', 'r0m30 w1th space', 'PLAIN');
    try {
      juliet.send(xml('presence', { to: `${ROOM}/Juliet` }, xml('x', { xmlns: NS_MUC })));
      const self = await juliet.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/Juliet`, 'her own presence');
      assert.equal(self.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.affiliation, 'owner', String(self));
    } finally {
      await juliet.close();
    }
  });
});
