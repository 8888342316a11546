/**
 * Tests for lib/core/errors.ts: every XS_ERR_* code is unique, documented in the README's
 * error table, and asserted by code somewhere in the specs (fastify's registry discipline).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, ServerError, isServerError } from '../../lib/core/errors.js';

const root = join(import.meta.dirname, '..', '..', '..');

function specSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? specSources(path) : name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('XS_ERR_* registry', () => {
  it('has unique codes that all start with XS_ERR_', () => {
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
    for (const code of ERROR_CODES) assert.match(code, /^XS_ERR_[A-Z_]+$/);
  });

  it('documents every code in the README error table, and nothing else', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = [...readme.matchAll(/^\| `(XS_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual([...table].sort(), [...ERROR_CODES].sort());
  });

  it('has at least one spec asserting each code', () => {
    const sources = specSources(join(root, 'spec')).filter((s) => !s.includes('XS_ERR_* registry'));
    const text = sources.join('\n');
    const missing = ERROR_CODES.filter((code) => !text.includes(`'${code}'`));
    assert.deepEqual(missing, []);
  });

  it('renders the code and the message, keeps params and cause', () => {
    const cause = new Error('root');
    const err = new ServerError('XS_ERR_HOST_UNKNOWN', { host: 'x.example' }, { cause });
    assert.equal(err.message, "XS_ERR_HOST_UNKNOWN: Host 'x.example' is not a VirtualHost of this server");
    assert.equal(err.code, 'XS_ERR_HOST_UNKNOWN');
    assert.deepEqual(err.params, { host: 'x.example' });
    assert.equal(err.cause, cause);
    assert.ok(isServerError(err, 'XS_ERR_HOST_UNKNOWN'));
    assert.ok(!isServerError(err, 'XS_ERR_LISTEN'));
    assert.ok(!isServerError(new Error('x')));
  });
});
