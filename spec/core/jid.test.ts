/**
 * Tests for lib/core/jid.ts: parsing, normalisation and rejection of invalid JIDs (RFC 7622).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJid, bareJid, makeJid } from '../../lib/core/jid.js';

describe('parseJid()', () => {
  it('splits and normalises local, domain and resource', () => {
    const j = parseJid('Alice@Example.ORG/Phone');
    assert.deepEqual({ ...j }, { local: 'alice', domain: 'example.org', resource: 'Phone', bare: 'alice@example.org', full: 'alice@example.org/Phone' });
    assert.equal(parseJid('example.org')?.full, 'example.org');
    assert.equal(parseJid('example.org/res')?.resource, 'res');
    assert.equal(parseJid('a@b/c/d')?.resource, 'c/d', 'the resource may contain /');
    assert.equal(parseJid('a@example.org.')?.domain, 'example.org', 'a trailing dot is stripped');
  });

  it('rejects invalid JIDs', () => {
    for (const bad of ['', '@example.org', 'a@', 'a@b/', 'a b@example.org', 'a"b@example.org', `${'x'.repeat(1024)}@example.org`, undefined, null]) {
      assert.equal(parseJid(bad as string), undefined, `should reject ${String(bad)}`);
    }
  });

  it('bareJid() and makeJid() agree with parseJid()', () => {
    assert.equal(bareJid('Bob@Example.org/x'), 'bob@example.org');
    assert.equal(bareJid('not valid@x'), undefined);
    assert.deepEqual({ ...makeJid('bob', 'example.org', 'r') }, { ...parseJid('bob@example.org/r') });
  });

  it('answers repeated look-ups from its cache with the same frozen result', () => {
    const a = parseJid('Carol@Example.org/x');
    assert.equal(parseJid('Carol@Example.org/x'), a);
    assert.ok(Object.isFrozen(a));
    assert.equal(parseJid('bad jid@x'), undefined);
    assert.equal(parseJid('bad jid@x'), undefined, 'invalid JIDs are cached as invalid');
    for (let i = 0; i < 5000; i++) parseJid(`u${i}@example.org`);
    assert.equal(parseJid('u4999@example.org')?.bare, 'u4999@example.org', 'still correct after the cache was reset');
  });
});
