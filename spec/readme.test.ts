/**
 * The README's proxy section shows the snippets spec/e2e/proxies.test.ts runs: the block between
 * `# >>> xmpp-websocket` and `# <<< xmpp-websocket` of examples/nginx.conf and
 * examples/apache.conf must appear in it verbatim, so the documented config is the tested one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function snippet(file: string): string {
  const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
  const m = /# >>> xmpp-websocket\n([^]*?)\n\s*# <<< xmpp-websocket/.exec(text);
  assert.ok(m, `examples/${file} has a marked snippet`);
  return m[1]!;
}

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.notEqual(start, -1, `README has a "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

describe('README', () => {
  for (const file of ['nginx.conf', 'apache.conf']) {
    it(`shows the tested snippet of examples/${file} verbatim`, () => {
      assert.ok(section('Running behind nginx or Apache').includes(snippet(file)), `the README's snippet differs from examples/${file}`);
    });
  }

  it('has a troubleshooting row for each problem users hit most', () => {
    const table = section('Troubleshooting');
    for (const symptom of ['502 Bad Gateway', 'no stream features', '404', 'Disconnects every 60 s']) assert.ok(table.includes(symptom), symptom);
  });
});
