/**
 * `xmpp-server import-prosody` as a child process on small data folders: usage errors, a
 * config parse error (exit 1, file:line), --out kept without --force, PEP nodes and items
 * imported within their limits (the rest reported), stores with no importer yet (MUC)
 * reported, a broken data file reported while the rest is imported.
 * The data files here are written by hand in Prosody's format (util.serialization's output),
 * labelled as such; the real Prosody round trip is import-prosody-roundtrip.test.ts.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, 'import-prosody', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('xmpp-server import-prosody (child process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-import-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'prosody');
  const file = (rel: string, text: string): void => {
    mkdirSync(join(data, rel, '..'), { recursive: true });
    writeFileSync(join(data, rel), text);
  };
  // Hand-written in Prosody's internal storage format (not produced by Prosody)
  file('example%2eorg/accounts/juliet.dat', 'return {\n\t["password"] = "r0m30";\n};\n');
  file('example%2eorg/accounts/nopass.dat', 'return {\n};\n');
  file('example%2eorg/roster/juliet.dat', 'return {\n\t[false] = {["version"] = 2; ["pending"] = {["nurse@example.org"] = true;};};\n\t["romeo@example.net"] = {["subscription"] = "to"; ["groups"] = {};};\n};\n');
  file('example%2eorg/roster/ghost.dat', 'return {\n};\n');
  file('example%2eorg/vcard/juliet.dat', 'return {\n\t["name"] = "vCard";\n\t["attr"] = { ["xmlns"] = "vcard-temp" };\n\t[1] = {\n\t\t["name"] = "FN";\n\t\t["attr"] = {};\n\t\t[1] = "Juliet";\n\t};\n};\n');
  file('example%2eorg/private/juliet.dat', 'return {\n\t["x:urn:broken"] = "not an element";\n}\n');
  // PEP as Prosody 0.12's mod_pep stores it: node records in `pep` (only explicitly set config
  // fields), each node's items in the archive `pep_<node>` (payload + key/when/with, stamp attribute)
  file('example%2eorg/pep/juliet.dat', [
    'return {',
    '\t["http://jabber.org/protocol/nick"] = {["name"] = "http://jabber.org/protocol/nick"; ["config"] = {}; ["subscribers"] = {}; ["affiliations"] = {};};',
    '\t["urn:xmpp:avatar:data"] = {["name"] = "urn:xmpp:avatar:data"; ["config"] = {["max_items"] = 1; ["access_model"] = "open"; ["payload_type"] = "urn:xmpp:avatar:data";};',
    '\t\t["subscribers"] = {["romeo@example.net"] = true;}; ["affiliations"] = {};};',
    '\t["urn:xmpp:bookmarks:1"] = {["name"] = "urn:xmpp:bookmarks:1"; ["config"] = {["max_items"] = "max"; ["access_model"] = "whitelist"; ["persist_items"] = true; ["send_last_published_item"] = "never";};',
    '\t\t["subscribers"] = {}; ["affiliations"] = {["nurse@example.org"] = "member";};};',
    '};', '',
  ].join('\n'));
  const avatar = (id: string, when: number, data: string): string =>
    `item({["name"] = "data"; ["attr"] = {["xmlns"] = "urn:xmpp:avatar:data"; ["stamp"] = "2023-11-14T22:13:20Z";}; [1] = "${data}"; ["key"] = "${id}"; ["when"] = ${when}; ["with"] = "juliet@example.org/balcony";});\n`;
  file('example%2eorg/pep_urn%3axmpp%3aavatar%3adata/juliet.list', avatar('old1', 1700000000, 'b2xk') + avatar('new2', 1700000100.5, 'bmV3'));
  file('example%2eorg/pep_urn%3axmpp%3abookmarks%3a1/juliet.list', 'item({["name"] = "conference"; ["attr"] = {["xmlns"] = "urn:xmpp:bookmarks:1"; ["autojoin"] = "true"; ["stamp"] = "2023-11-14T22:13:20Z";}; ["key"] = "lobby@conference.example.org"; ["when"] = 1700000000; ["with"] = "juliet@example.org/balcony";});\n');
  file('example%2eorg/pep_urn%3axmpp%3aorphan/juliet.list', 'item({["name"] = "x"; ["attr"] = {["xmlns"] = "urn:xmpp:orphan";}; ["key"] = "1"; ["when"] = 1700000000;});\n');
  file('example%2eorg/offline/juliet.list', 'item({\n\t["name"] = "message";\n\t["attr"] = {["type"] = "chat" ;\n');
  file('example%2eorg/archive/juliet.list', 'item({["name"] = "message"; ["attr"] = {};});\n');
  file('conference%2eexample%2eorg/config/lobby.dat', 'return {\n\t["_affiliations"] = {["juliet@example.org"] = "owner";};\n};\n');
  file('stale%2eexample/accounts/x.dat', 'return {["password"] = "x";};\n');
  const cfg = join(dir, 'prosody.cfg.lua');
  writeFileSync(cfg, `data_path = "prosody"\nVirtualHost "example.org"\nComponent "conference.example.org" "muc"\n`);

  it('needs --config and --out (usage error 2)', () => {
    assert.equal(run(['--config', cfg]).code, 2);
    assert.equal(run(['--bogus']).code, 2);
    assert.match(run(['--help']).out, /import-prosody --config/);
  });

  it('a config parse error exits 1 with file:line and writes nothing', () => {
    const bad = join(dir, 'bad.cfg.lua');
    writeFileSync(bad, 'VirtualHost "x.example"\nmodules_enabled = { "roster"\n');
    const out = join(dir, 'bad-out.json');
    const r = run(['--config', bad, '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.err, /Parse error: .*bad\.cfg\.lua:3: '}' \(to close '\{' at line 2\) expected/);
    assert.ok(!existsSync(out));
  });

  it('imports what it can, reports the rest, and exits 1 for the file that does not parse', () => {
    const out = join(dir, 'ours', 'config.json');
    const r = run(['--config', cfg, '--out', out]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /example\.org: 1 accounts, 1 accounts from plain passwords, 3 PEP nodes, 2 PEP items, 1 rosters, 1 roster items, 1 pending subscription requests, 1 vCards/);
    assert.match(r.out, /accounts\/nopass\.dat: account 'nopass': not imported: it has no password/);
    assert.match(r.out, /roster\/ghost\.dat: roster: not imported: its account was not imported/);
    assert.match(r.out, /private\/juliet\.dat: private XML "x:urn:broken": not imported: it is not a stored XML element/);
    assert.match(r.out, /pep\/juliet\.dat: PEP node 'urn:xmpp:avatar:data': payload_type "urn:xmpp:avatar:data": not imported: this server has no such node configuration field/);
    assert.match(r.out, /pep_urn%3axmpp%3aavatar%3adata\/juliet\.list: 1 oldest PEP node 'urn:xmpp:avatar:data' items \(old1\): not imported: the node keeps at most 1 items/);
    assert.match(r.out, /pep_urn%3axmpp%3aorphan\/juliet\.list: PEP node 'urn:xmpp:orphan' items: not imported: the node is not among the imported nodes/);
    assert.match(r.out, /archive: store 'archive' \(1 file\): not imported: the message archive/);
    assert.match(r.out, /stale%2eexample: data of host 'stale\.example': not imported/);
    assert.match(r.out, /Errors \(1\):\n {2}example%2eorg\/offline\/juliet\.list:4: '}' expected/);
    assert.ok(!r.out.includes('r0m30'));
    const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    assert.equal(written.data_path, 'data');
    assert.deepEqual(Object.keys(written.VirtualHost as object), ['example.org']);
    assert.ok(existsSync(join(dir, 'ours', 'data', 'xmpp-server.sqlite')));
    if ((written.Component as Record<string, unknown> | undefined)?.['conference.example.org']) {
      assert.match(r.out, /MUC room 'lobby@conference\.example\.org'.*not imported/);
    } else {
      assert.match(r.out, /Component 'conference\.example\.org' \(module 'muc'\): not imported: no module 'muc' here yet/);
    }
  });

  it('keeps an existing --out file unless --force; with --force an existing account is left as it is', () => {
    const out = join(dir, 'ours', 'config.json');
    const before = readFileSync(out, 'utf8');
    const again = run(['--config', cfg, '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.err, /exists already; nothing was imported \(use --force/);
    assert.equal(readFileSync(out, 'utf8'), before);
    const forced = run(['--config', cfg, '--out', out, '--force']);
    assert.match(forced.out, /account 'juliet': not imported: an account of that name exists here already/);
  });
});
