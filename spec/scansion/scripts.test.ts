/**
 * Every scansion script under spec/scansion/ (any depth), run over WebSocket and over TCP as
 * separate tests, each against its own in-process server (a few at a time).
 */
import { describe, it } from 'node:test';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import assert from 'node:assert/strict';
import { runScansion } from '../../lib/testing/index.js';

// Scripts are not compiled: read them from the source tree (build/spec/scansion -> spec/scansion).
const root = join(import.meta.dirname, '..', '..', '..', 'spec', 'scansion');

function scripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return scripts(p);
    return d.name.endsWith('.scs') ? [p] : [];
  }).sort();
}

const found = scripts(root);

describe('scansion scripts', { concurrency: 4 }, () => {
  it('finds the scripts', () => {
    assert.ok(found.length >= 15, `only ${found.length} scripts under ${root}`);
  });
  for (const file of found) {
    for (const transport of ['websocket', 'tcp'] as const) {
      const name = relative(root, file);
      it(`${name} over ${transport}`, async () => {
        const result = await runScansion(file, { transport, source: `spec/scansion/${name}` });
        assert.equal(result.steps, result.script.steps.length);
      });
    }
  }
});
