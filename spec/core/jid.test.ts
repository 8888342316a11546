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

  it('refuses JIDs over 3071 bytes and parts over 1023 bytes (RFC 7622 §3.1-3.4)', () => {
    const part = 'x'.repeat(1023);
    const longest = `${part}@${'d'.repeat(1023)}/${part}`;
    assert.equal(Buffer.byteLength(longest), 3071);
    assert.equal(parseJid(longest)?.full, longest);
    assert.equal(parseJid(`${longest}x`), undefined, '3072 bytes');
    assert.equal(parseJid(`a@example.org/${'é'.repeat(512)}`), undefined, 'a 1024-byte resource (2-byte characters)');
    assert.equal(parseJid(`a@example.org/${'x'.repeat(250_000)}`), undefined, 'a 250 KB to address');
  });

  it('keeps the parse cache bounded in bytes: 2,000 unique 250 KB addresses do not grow the heap', () => {
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const big = 'y'.repeat(250_000);
    for (let i = 0; i < 2000; i++) assert.equal(parseJid(`${i}${big}@example.org`), undefined);
    // A few thousand distinct valid ones of 3 KB each stay under the cache's byte budget too.
    const wide = 'z'.repeat(3000);
    for (let i = 0; i < 2000; i++) parseJid(`${i}@${wide.slice(0, 1000)}/${wide.slice(0, 1000)}${i}`);
    globalThis.gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${Math.round(grown / 1048576)} MiB (500 MB of input went through)`);
  });

  it('applies PRECIS: look-alike localparts map to one account or are refused, bidi controls in resources are refused', () => {
    assert.equal(parseJid('ＡＬＩＣＥ@example.org')?.bare, 'alice@example.org', 'fullwidth letters are width-mapped (RFC 8265 §3.3.1)');
    assert.equal(parseJid('ali\u200Bce@example.org'), undefined, 'zero-width space');
    assert.equal(parseJid('ali\u00ADce@example.org'), undefined, 'soft hyphen');
    assert.equal(parseJid('alice@example.org/\u202Ephone'), undefined, 'right-to-left override');
    assert.equal(parseJid('alice@example.org/pho\u2066ne'), undefined, 'isolate');
    assert.equal(parseJid('alice@example.org/phone ☃')?.resource, 'phone ☃', 'symbols and spaces are fine in a resource');
  });
});
