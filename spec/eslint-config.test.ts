/**
 * Tests for eslint.config.js: the module boundary is enforced by the lint. The core never
 * imports a module; a module imports core only through its public API files and never another
 * module. Each case lints a snippet as if it were a file at that path.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const ROOT = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

async function restricted(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the module boundary in the lint', () => {
  it('refuses a core file importing from lib/modules, even a type', async () => {
    const got = await restricted("import type { HttpApp } from '../modules/http/index.js';\nexport type X = HttpApp;\n", 'lib/core/fake.ts');
    assert.equal(got.length, 1);
    assert.match(got[0]!, /never imports from lib\/modules/);
  });

  it('refuses a module importing core internals, and accepts the public API files', async () => {
    assert.equal((await restricted("import { ClientSession } from '../../core/session.js';\nexport const x = ClientSession;\n", 'lib/modules/ping/fake.ts')).length, 1);
    for (const file of ['api', 'transport-api', 'sasl-api', 'http-api', 'websocket-api', 'pubsub-api', 'invites-api', 'muc-api', 'mam-api']) {
      assert.deepEqual(await restricted(`import * as x from '../../core/${file}.js';\nexport { x };\n`, 'lib/modules/ping/fake.ts'), [], file);
    }
  });

  it('refuses a module importing another module, and accepts its own files', async () => {
    const got = await restricted("import { RosterManager } from '../presence/roster-manager.js';\nexport const x = RosterManager;\n", 'lib/modules/roster/fake.ts');
    assert.equal(got.length, 1);
    assert.match(got[0]!, /never imports another module/);
    assert.deepEqual(await restricted("import { x } from './helper.js';\nexport { x };\n", 'lib/modules/roster/fake.ts'), []);
  });

  it('refuses lib/testing importing from spec/ or a module, and the core importing lib/testing', async () => {
    const spec = await restricted("import { startTestServer } from '../../spec/helpers/server.js';\nexport { startTestServer };\n", 'lib/testing/fake.ts');
    assert.equal(spec.length, 1);
    assert.match(spec[0]!, /never imports from spec\//);
    assert.equal((await restricted("import ping from '../modules/ping/index.js';\nexport { ping };\n", 'lib/testing/fake.ts')).length, 1);
    assert.deepEqual(await restricted("import { createServer } from '../index.js';\nexport { createServer };\n", 'lib/testing/fake.ts'), []);
    assert.equal((await restricted("import { runScansion } from '../testing/index.js';\nexport { runScansion };\n", 'lib/core/fake.ts')).length, 1);
  });

  it('finds no violation in the tree as it is', async () => {
    const results = await eslint.lintFiles(['lib/**/*.ts']);
    const found = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}: ${m.message}`));
    assert.deepEqual(found, []);
  });
});
