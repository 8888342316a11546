/**
 * Tests for lib/cli/option-reference.ts: the README's option reference is exactly what the
 * option specs generate, and every built-in module option has a description.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOptionReference, updateReadme } from '../../lib/cli/option-reference.js';
import { BUILTIN_MODULES } from '../../lib/modules/index.js';
import { CORE_OPTIONS } from '../../lib/core/config.js';

describe('option reference', () => {
  it('is up to date in README.md (run `npm run docs` after changing an option)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
    assert.equal(updateReadme(readme), readme);
  });

  it('lists every option of the core and of every built-in module, each with a meaning', () => {
    const table = renderOptionReference();
    const specs = [CORE_OPTIONS, ...BUILTIN_MODULES.map((m) => m.options ?? {})];
    for (const set of specs) {
      for (const [name, spec] of Object.entries(set)) {
        assert.ok(table.includes(`| \`${name}\` |`), `${name} is missing`);
        assert.ok(spec.doc && spec.doc.length > 5, `${name} has no doc text`);
      }
    }
  });
});
