/**
 * Unit tests of the Lua readers behind import-prosody: the config parser on a realistic
 * prosody.cfg.lua with every construct it supports (and errors with file:line), the data file
 * parser on files in util.serialization's format, and the config conversion's report.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProsodyConfig, readProsodyConfig } from '../../lib/cli/prosody/lua-config.js';
import { parseDataFile, parseListFile } from '../../lib/cli/prosody/lua-data.js';
import { LuaSyntaxError } from '../../lib/cli/prosody/lua-lexer.js';
import { LuaTable, Unsupported } from '../../lib/cli/prosody/lua-value.js';
import { convertConfig, toJson } from '../../lib/cli/prosody/config-convert.js';
import { ImportReport } from '../../lib/cli/prosody/report.js';
import { decodeName } from '../../lib/cli/prosody/data-import.js';
import { BUILTIN_MODULES } from '../../lib/modules/index.js';

const REALISTIC = `-- Prosody Example Configuration File
--[[ a block comment
     over lines = "not an option" ]]
--[==[ another, with ]] inside ]==]
admins = { "admin@example.org" }
local base = "/var/lib"
data_path = base .. "/prosody"
modules_enabled = {
	-- Generally required
		"disco"; -- Service discovery
		"roster", "saslauth";
		"tls"; "bosh";
}
modules_disabled = { }
c2s_ports = { 5222 }
http_ports = { 5280 } ; https_ports = { 5281 }
max_roster_items = 0x100
c2s_stanza_size_limit = 256*1024
motd_text = [[
Welcome, "friend".]]
quoted = 'it\\'s \\"q\\" \\65\\x42\\u{e9}\\z
      end'
limits = { c2s = { rate = "10kb/s"; burst = "2s" }; }
archive_expires_after = "1w"
pidfile = os.getenv("HOME") .. "/prosody.pid"
ssl = { certificate = "/etc/prosody/certs/example.org.crt"; key = "/etc/prosody/certs/example.org.key"; protocol = "tlsv1_2+" }
print("hello")

VirtualHost "example.org"
	enabled = true
	c2s_require_encryption = false
Host("other.example")
	enabled = false
Component "conference.example.org" "muc"
	modules_enabled = { "muc_mam" }
Component "gateway.example.org"
	component_secret = "s3cret"
`;

describe('Lua config parser', () => {
  const parsed = parseProsodyConfig(REALISTIC, 'prosody.cfg.lua');
  const global = parsed.sections[0]!;
  const get = (name: string, section = global) => section.entries.find((e) => e.name === name);

  it('reads sections in order: global, VirtualHost, Host(...), Component with and without a module', () => {
    assert.deepEqual(parsed.sections.map((s) => [s.kind, s.name, s.module]), [
      ['global', '*', undefined], ['VirtualHost', 'example.org', undefined], ['VirtualHost', 'other.example', undefined],
      ['Component', 'conference.example.org', 'muc'], ['Component', 'gateway.example.org', undefined],
    ]);
    assert.equal(get('c2s_require_encryption', parsed.sections[1])?.value, false);
    assert.equal(get('c2s_require_encryption', parsed.sections[1])?.line, 31);
  });

  it('reads tables with , and ; separators and comments, numbers, expressions, locals and long strings', () => {
    assert.deepEqual(toJson(get('modules_enabled')!.value), ['disco', 'roster', 'saslauth', 'tls', 'bosh']);
    assert.equal(get('data_path')?.value, '/var/lib/prosody');
    assert.equal(get('max_roster_items')?.value, 256);
    assert.equal(get('c2s_stanza_size_limit')?.value, 262144);
    assert.equal(get('motd_text')?.value, 'Welcome, "friend".');
    assert.equal(get('quoted')?.value, 'it\'s "q" ABéend');
    assert.deepEqual(toJson(get('limits')!.value), { c2s: { rate: '10kb/s', burst: '2s' } });
    assert.equal(get('https_ports')?.line, 16);
    assert.equal(parsed.sections[0]!.entries.some((e) => e.name === 'over'), false, 'nothing read from comments');
  });

  it('keeps what needs Lua to run as Unsupported, and a call statement as a note, with lines', () => {
    const pid = get('pidfile')!.value;
    assert.ok(pid instanceof Unsupported);
    assert.match(pid.what, /os\.getenv/);
    assert.deepEqual(parsed.notes.map((n) => [n.line, n.message]), [[27, 'statement not carried over: the function call print(...)']]);
  });

  it('reports syntax errors and unsupported statements with file:line', () => {
    const cases: [string, RegExp][] = [
      ['a = "unfinished\n', /^x\.lua:1: unfinished string/],
      ['a = {\n 1,\n', /^x\.lua:3: '}' expected \(to close '\{' at line 1\)/],
      ['\n\nif x then y = 1 end', /^x\.lua:3: the Lua statement 'if' is not supported/],
      ['a = "\\q"', /^x\.lua:1: invalid escape sequence/],
      ['--[[ never closed', /^x\.lua:1: unfinished long string or comment/],
      ['a = 1 2', /^x\.lua:1: a statement was expected, found '2'/],
      ['VirtualHost = = 3', /^x\.lua:1: unexpected '='/],
      ['a = 12abc', /^x\.lua:1: malformed number/],
    ];
    for (const [src, re] of cases) assert.throws(() => parseProsodyConfig(src, 'x.lua'), (e: unknown) => e instanceof LuaSyntaxError && re.test(e.message), src);
  });

  it('follows Include with globs, relative to the including file, into the current section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xs-lua-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'a.cfg.lua'), 'VirtualHost "a.example"\nallow_registration = true\n');
    writeFileSync(join(dir, 'conf.d', 'b.cfg.lua'), 'VirtualHost "b.example"\n');
    writeFileSync(join(dir, 'conf.d', 'skip.txt'), 'this = is not lua {');
    writeFileSync(join(dir, 'main.cfg.lua'), 'c2s_ports = { 5222 }\nInclude "conf.d/*.cfg.lua"\nInclude "missing.cfg.lua"\n');
    const cfg = readProsodyConfig(join(dir, 'main.cfg.lua'));
    assert.deepEqual(cfg.sections.map((s) => s.name), ['*', 'a.example', 'b.example']);
    assert.equal(cfg.sections[1]!.entries[0]!.name, 'allow_registration');
    assert.equal(cfg.files.length, 3);
    assert.match(cfg.notes[0]!.message, /Include "missing\.cfg\.lua": .* cannot be read/);
    assert.equal(cfg.notes[0]!.line, 3);
  });
});

describe('Prosody data file parser', () => {
  it('reads a roster as util.serialization writes it: [false] metadata, groups as a set, decimal escapes', () => {
    const v = parseDataFile(`return {
	[false] = {
		["version"] = 4;
		["pending"] = {
			["carol@example.org"] = true;
		};
	};
	["bob@example.org"] = {
		["groups"] = {
			["Fr\\195\\168res"] = true;
		};
		["subscription"] = "both";
		["name"] = "Bob \\"B\\"";
	};
};
`, 'roster/alice.dat');
    assert.ok(v instanceof LuaTable);
    const meta = v.get(false) as LuaTable;
    assert.equal(meta.get('version'), 4);
    assert.equal((meta.get('pending') as LuaTable).get('carol@example.org'), true);
    const bob = v.get('bob@example.org') as LuaTable;
    assert.equal(bob.get('name'), 'Bob "B"');
    assert.deepEqual((bob.get('groups') as LuaTable).entries.map((e) => e.key), ['Frères']);
  });

  it('reads list files of item(...) with stanzas, floats and special numbers', () => {
    const items = parseListFile(`item({
	["attr"] = {["type"] = "chat";["to"] = "carol@example.org";["stamp"] = "2024-01-02T03:04:05Z";};
	["key"] = "abc";
	["when"] = 1704164645.123;
	[1] = {["name"] = "body";["attr"] = {};[1] = "hi";};
	["name"] = "message";
});
item({["name"] = "message";["attr"] = {};["when"] = (1/0);});
`, 'offline/carol.list');
    assert.equal(items.length, 2);
    const first = items[0] as LuaTable;
    assert.equal(first.get('when'), 1704164645.123);
    assert.equal(((first.ipairs()[0] as LuaTable).ipairs()[0]), 'hi');
    assert.equal((items[1] as LuaTable).get('when'), Infinity);
  });

  it('refuses anything that is not a plain value, with file:line', () => {
    assert.throws(() => parseDataFile('return {\n x = os.exit(1) }', 'accounts/x.dat'), /^LuaSyntaxError: accounts\/x\.dat:2: the function call os\.exit\(\.\.\.\) in a data file/);
    assert.throws(() => parseDataFile('os.execute("rm -rf /")', 'a.dat'), /a\.dat:1: 'return' expected/);
    assert.throws(() => parseDataFile('return {}; return {}', 'a.dat'), /a\.dat:1: end of file expected/);
    assert.throws(() => parseListFile('item({});\nboom({})', 'a.list'), /a\.list:2: 'item\(' expected/);
    assert.throws(() => parseDataFile(`return ${'{'.repeat(500)}${'}'.repeat(500)}`, 'deep.dat'), /deep\.dat:1: nesting too deep/);
  });

  it('decodes Prosody file names', () => {
    assert.equal(decodeName('conference%2eexample%2eorg'), 'conference.example.org');
    assert.equal(decodeName('j%c3%bcrgen'), 'jürgen');
    assert.equal(decodeName('pep_urn%3axmpp%3aavatar%3adata'), 'pep_urn:xmpp:avatar:data');
  });
});

describe('config conversion', () => {
  const report = new ImportReport();
  const converted = convertConfig(parseProsodyConfig(REALISTIC, '/etc/prosody/prosody.cfg.lua'), { dataPath: 'data', modules: BUILTIN_MODULES, baseDir: '/etc/prosody' }, report);
  const skipped = (what: string): string | undefined => report.skipped.find((s) => s.what === what)?.why;

  it('carries the shared options, the hosts and the modules we have', () => {
    const c = converted.config;
    assert.equal(c.data_path, 'data');
    assert.deepEqual(c.modules_enabled, ['disco', 'roster', 'saslauth']);
    assert.deepEqual(c.c2s_ports, [5222]);
    assert.deepEqual(c.admins, ['admin@example.org']);
    assert.equal(c.certificate, '/etc/prosody/certs/example.org.crt');
    assert.equal(c.c2s_stanza_size_limit, 262144);
    assert.deepEqual(c.VirtualHost, { 'example.org': { c2s_require_encryption: false } });
    assert.equal(converted.prosodyDataPath, '/var/lib/prosody');
  });

  it('lists every option and module it could not carry over, with where and why', () => {
    assert.match(skipped("module 'tls'")!, /built in here/);
    assert.match(skipped("module 'bosh'")!, /BOSH/);
    assert.match(skipped("option 'pidfile'")!, /os\.getenv.*never runs Lua/);
    assert.match(skipped("option 'ssl.protocol'")!, /certificate and key/);
    assert.match(skipped("option 'motd_text'")!, /no option of that name/);
    assert.match(skipped("VirtualHost 'other.example'")!, /disabled/);
    assert.match(skipped("Component 'gateway.example.org'")!, /external components/);
    assert.ok(skipped("Component 'conference.example.org' (module 'muc')") ?? converted.components.has('conference.example.org'));
    assert.equal(report.skipped.find((s) => s.what === "option 'pidfile'")?.where, 'prosody.cfg.lua:25');
    assert.match(report.skipped.find((s) => s.what === 'Lua statement')!.why, /print/);
  });

  it('refuses values our option specs do not accept', () => {
    const r = new ImportReport();
    const c = convertConfig(parseProsodyConfig('c2s_stanza_size_limit = "big"\nVirtualHost "a.example"\nscram_iterations = 5000', 'p.lua'), { dataPath: 'd', modules: BUILTIN_MODULES, baseDir: '.' }, r);
    assert.equal(c.config.c2s_stanza_size_limit, undefined);
    assert.match(r.skipped[0]!.why, /its value "big" is not an integer/);
    assert.match(r.skipped[1]!.why, /a global option here/);
  });
});
