/**
 * Tests for lib/modules/admin_shell/parse.ts: the space form and Prosody's form of a shell line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand, ParseError } from '../../../lib/modules/admin_shell/parse.js';
import { duration, table } from '../../../lib/modules/admin_shell/format.js';

describe('admin_shell parseCommand', () => {
  it('reads the space form with quotes and escapes', () => {
    assert.deepEqual(parseCommand('c2s show'), ['c2s', 'show']);
    assert.deepEqual(parseCommand('  C2S Show  '), ['c2s', 'show']);
    assert.deepEqual(parseCommand('c2s close juliet@localhost/phone "Go to \\"bed\\"" reset'), ['c2s', 'close', 'juliet@localhost/phone', 'Go to "bed"', 'reset']);
    assert.deepEqual(parseCommand("user password juliet@localhost 'pass word'"), ['user', 'password', 'juliet@localhost', 'pass word']);
    assert.deepEqual(parseCommand('help'), ['help']);
    assert.deepEqual(parseCommand('   '), []);
  });

  it("reads Prosody's form, with or without parentheses", () => {
    assert.deepEqual(parseCommand('c2s:show()'), ['c2s', 'show']);
    assert.deepEqual(parseCommand('c2s:close("juliet@localhost", "bye, now", nil);'), ['c2s', 'close', 'juliet@localhost', 'bye, now']);
    assert.deepEqual(parseCommand("module:reload('mam', 'localhost')"), ['module', 'reload', 'mam', 'localhost']);
    assert.deepEqual(parseCommand('user:list localhost'), ['user', 'list', 'localhost']);
  });

  it('refuses an unterminated quote and stray parentheses', () => {
    assert.throws(() => parseCommand('c2s close "juliet'), ParseError);
    assert.throws(() => parseCommand("c2s:close('juliet)"), /unterminated single quote/);
    assert.throws(() => parseCommand('c2s close (x'), /unexpected '\('/);
  });
});

describe('admin_shell format', () => {
  it('aligns table columns and writes short durations', () => {
    assert.deepEqual(table(['A', 'Bee'], [['long cell', 'x'], ['y', 'z']]), ['A          Bee', 'long cell  x', 'y          z']);
    assert.equal(duration(42_400), '42s');
    assert.equal(duration(185_000), '3m 05s');
    assert.equal(duration(2 * 3600_000 + 7 * 60_000), '2h 07m');
    assert.equal(duration(3 * 86400_000 + 4 * 3600_000), '3d 04h');
    assert.equal(duration(-5), '0s');
  });
});
