/**
 * import-prosody's MUC store importer (lib/cli/prosody/stores/muc.ts) on a data folder of a
 * `muc` Component: rooms in Prosody 0.12's new and old record formats become StoredRoom values
 * in `muc_rooms` (config, subject, affiliations with reserved nicks), a room vCard's PHOTO
 * becomes the room avatar, and what is not imported (temporary and destroyed rooms, a listed
 * room without record, room history, bad affiliations, settings we do not have) is reported.
 * The data files are written by hand in Prosody's internal format (util.serialization's
 * output), labelled as such; the real Prosody round trip is import-prosody-muc-roundtrip.test.ts.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Accounts, MemoryDriver } from '../../lib/core/storage/index.js';
import type { StoredRoom } from '../../lib/core/muc-api.js';
import { importData } from '../../lib/cli/prosody/data-import.js';
import { ImportReport } from '../../lib/cli/prosody/report.js';
import { ROOMS_STORE } from '../../lib/cli/prosody/stores/muc.js';

const HOST = 'conference.example.org';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('import-prosody: MUC rooms of a muc Component', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-import-muc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (rel: string, text: string): void => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const h = 'conference%2eexample%2eorg';
  // Hand-written in Prosody's internal storage format (not produced by Prosody).
  // The new record format (Prosody 0.12's default): affiliations as top-level entries.
  file(`${h}/config/lobby.dat`, [
    'return {',
    '\t["_jid"] = "lobby@conference.example.org";',
    '\t["_data"] = {',
    '\t\t["persistent"] = true; ["name"] = "The Lobby"; ["description"] = "Where it starts"; ["language"] = "en";',
    '\t\t["hidden"] = true; ["members_only"] = true; ["moderated"] = true; ["password"] = "s3cret"; ["whois"] = "anyone";',
    '\t\t["history_length"] = 50; ["allow_member_invites"] = true; ["changesubject"] = true; ["archiving"] = true;',
    '\t\t["presence_broadcast"] = {["moderator"] = true; ["participant"] = true;};',
    '\t\t["subject"] = "Welcome, all"; ["subject_from"] = "lobby@conference.example.org/Juliet"; ["subject_time"] = 1700000000;',
    '\t\t["occupant_id_salt"] = "8a1d4d4e"; ["custom_thing"] = 1;',
    '\t};',
    '\t["_affiliation_data"] = {["romeo@example.net"] = {["reserved_nickname"] = "Romeo";}; ["nurse@example.org"] = {["hats"] = {};};};',
    '\t["juliet@example.org"] = "owner";',
    '\t["Romeo@Example.NET"] = "member";',
    '\t["nurse@example.org"] = "admin";',
    '\t["tybalt@example.com"] = "outcast";',
    '\t["friar@example.org"] = "abbot";',
    '};', '',
  ].join('\n'));
  // The old format: jid and _affiliations; _data with only persistent (Prosody's defaults for the rest)
  file(`${h}/config/old.dat`, 'return {\n\t["jid"] = "old@conference.example.org";\n\t["_data"] = {["persistent"] = true;};\n\t["_affiliations"] = {["juliet@example.org"] = "owner";};\n};\n');
  file(`${h}/config/temp.dat`, 'return {\n\t["_jid"] = "temp@conference.example.org";\n\t["_data"] = {["name"] = "swapped out";};\n};\n');
  file(`${h}/config/gone.dat`, 'return {\n\t["_jid"] = "gone@conference.example.org";\n\t["_data"] = {["persistent"] = true; ["destroyed"] = true;};\n};\n');
  file(`${h}/persistent.dat`, 'return {\n\t["lobby@conference.example.org"] = true;\n\t["old@conference.example.org"] = true;\n\t["lost@conference.example.org"] = true;\n};\n');
  // mod_vcard_muc: the room's vCard with a PHOTO
  file(`${h}/vcard_muc/lobby.dat`, `return {\n\t["name"] = "vCard"; ["attr"] = {["xmlns"] = "vcard-temp";};\n\t[1] = {["name"] = "PHOTO"; ["attr"] = {};\n\t\t[1] = {["name"] = "TYPE"; ["attr"] = {}; [1] = "image/png";};\n\t\t[2] = {["name"] = "BINVAL"; ["attr"] = {}; [1] = "${PNG}";};\n\t};\n};\n`);
  // Prosody 13 keeps room vCards in the `vcard` store of the component
  file(`${h}/vcard/old.dat`, `return {\n\t["name"] = "vCard"; ["attr"] = {["xmlns"] = "vcard-temp";};\n\t[1] = {["name"] = "PHOTO"; ["attr"] = {};\n\t\t[1] = {["name"] = "BINVAL"; ["attr"] = {}; [1] = "${PNG}";};\n\t};\n};\n`);
  file(`${h}/vcard_muc/nobody.dat`, 'return {\n\t["name"] = "vCard"; ["attr"] = {["xmlns"] = "vcard-temp";};\n};\n');
  file(`${h}/muc_log/lobby.list`, 'item({["name"] = "message"; ["attr"] = {["type"] = "groupchat";}; ["key"] = "1"; ["when"] = 1700000000;});\n');
  file(`${h}/state/lobby.dat`, 'return {\n};\n');
  // `config` on another kind of component is not a MUC room
  file('pubsub%2eexample%2eorg/config/x.dat', 'return {\n};\n');

  const driver = new MemoryDriver();
  const report = new ImportReport();
  const accounts = new Accounts(driver, { iterations: 4096 });
  driver.set(HOST, ROOMS_STORE, 'taken', { version: 1 }); // a room that exists here already
  file(`${h}/config/taken.dat`, 'return {\n\t["_jid"] = "taken@conference.example.org";\n\t["_data"] = {["persistent"] = true;};\n};\n');
  importData({
    dataDir: dir, hosts: ['example.org'], driver, accounts, report,
    components: new Map([[HOST, 'muc'], ['pubsub.example.org', 'pubsub']]),
    option: (host, name) => (host === HOST && name === 'modules_enabled' ? ['muc_mam'] : undefined),
  });
  const text = report.format();
  const room = (name: string): StoredRoom | undefined => driver.get(HOST, ROOMS_STORE, name) as StoredRoom | undefined;

  it('counts the rooms, affiliations and avatars it imported', () => {
    assert.match(text, /conference\.example\.org: 2 MUC rooms, 5 MUC affiliations, 2 MUC room avatars/);
    assert.deepEqual(driver.users(HOST, ROOMS_STORE).sort(), ['lobby', 'old', 'taken']);
  });

  it('carries every setting of the new format over to the room configuration (history within max_history_messages)', () => {
    const lobby = room('lobby')!;
    assert.equal(lobby.version, 1);
    assert.deepEqual(lobby.config, {
      name: 'The Lobby', description: 'Where it starts', language: 'en', persistent: true, public: false, membersOnly: true,
      moderated: true, password: 's3cret', whois: 'anyone', historyLength: 20, allowInvites: true, allowPrivateMessages: 'anyone',
      changeSubject: true, logging: true, presenceBroadcast: ['moderator', 'participant'],
    });
    assert.deepEqual(lobby.subject, { text: 'Welcome, all', nick: 'Juliet', when: 1700000000000 });
    assert.ok(typeof lobby.created === 'number' && lobby.created > 0);
  });

  it('keeps affiliations by normalised bare JID, with reserved nicknames', () => {
    assert.deepEqual(room('lobby')!.affiliations, {
      'juliet@example.org': { affiliation: 'owner' },
      'romeo@example.net': { affiliation: 'member', nick: 'Romeo' },
      'nurse@example.org': { affiliation: 'admin' },
      'tybalt@example.com': { affiliation: 'outcast' },
    });
  });

  it('reads the old format, with Prosody\'s defaults where _data has nothing (logging: muc_mam was loaded)', () => {
    const old = room('old')!;
    assert.deepEqual(old.affiliations, { 'juliet@example.org': { affiliation: 'owner' } });
    assert.equal(old.config.name, '');
    assert.equal(old.config.public, true);
    assert.equal(old.config.whois, 'moderators');
    assert.equal(old.config.historyLength, 20);
    assert.equal(old.config.logging, true);
    assert.deepEqual(old.config.presenceBroadcast, ['visitor', 'participant', 'moderator']);
    assert.equal(old.subject, undefined);
  });

  it('stores a room vCard\'s PHOTO (mod_vcard_muc, or Prosody 13\'s vcard store) as the room avatar, hashed with SHA-1 (XEP-0486)', () => {
    const hash = createHash('sha1').update(Buffer.from(PNG, 'base64')).digest('hex');
    assert.deepEqual(room('lobby')!.avatar, { hash, type: 'image/png', data: PNG });
    assert.deepEqual(room('old')!.avatar, { hash, type: '', data: PNG }, "Prosody 13's vcard store; no TYPE given");
    assert.match(text, /vcard_muc\/nobody\.dat: MUC room vCard of 'nobody@conference\.example\.org': not imported: the room is not among the rooms here/);
  });

  it('reports every room, entry and store it left out, with why', () => {
    const expected = [
      /config\/temp\.dat: MUC room 'temp@conference\.example\.org': not imported: the room is not persistent/,
      /config\/gone\.dat: MUC room 'gone@conference\.example\.org': not imported: the room was destroyed/,
      /config\/taken\.dat: MUC room 'taken@conference\.example\.org': not imported: a room of that name exists here already/,
      /config\/lobby\.dat: MUC room 'lobby@conference\.example\.org': affiliation of friar@example\.org: not imported: "abbot" is not an affiliation/,
      /config\/lobby\.dat: MUC room 'lobby@conference\.example\.org': hats of nurse@example\.org: not imported/,
      /config\/lobby\.dat: MUC room 'lobby@conference\.example\.org': room setting 'custom_thing': not imported/,
      /config\/lobby\.dat: MUC room 'lobby@conference\.example\.org': history length 50: not imported: max_history_messages is 20 here \(the room keeps 20\)/,
      /persistent\.dat: MUC room 'lost@conference\.example\.org': not imported: it is listed as persistent but has no config record/,
      /muc_log\/lobby\.list: MUC history of 'lobby@conference\.example\.org': not imported/,
      /state\/lobby\.dat: occupants of MUC room 'lobby@conference\.example\.org': not imported/,
      /pubsub%2eexample%2eorg\/config\/x\.dat: store 'config': not imported: no importer for this store on a 'pubsub' component/,
    ];
    for (const re of expected) assert.match(text, re);
    assert.doesNotMatch(text, /'occupant_id_salt'/, 'state that is not configuration is not reported as a setting');
    assert.doesNotMatch(text, /s3cret/, 'the room password is not in the report');
    assert.equal(report.errors.length, 0, text);
    assert.deepEqual(room('taken'), { version: 1 }, 'the existing room is left as it is');
  });
});
