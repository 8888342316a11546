/**
 * Smoke test of the growth scenario (bench/growth.ts): every row at tiny steps (2 and 4)
 * against our server, through `node build/bench/run.js`. It checks that each row runs both
 * steps with nothing lost, duplicated or misrouted, and that the table and its Markdown twin
 * print every row; the costs themselves are timings and never asserted.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Row labels as the report prints them (bench/report-growth.ts). */
const ROWS = [
  'messages, µs per delivered message',
  'presence change fanned out, µs per recipient',
  'login (setup, roster get, probes, close), ms per login',
  'offline messages delivered at login, µs per message',
  'MAM last page (50) with one contact, ms per query',
  'groupchat message in one room, µs per delivered copy',
];

describe('npm run bench -- --scenarios growth (smoke: steps 2 and 4, no timing checks)', () => {
  let stdout: string;
  let stderr: string;

  before(async () => {
    const args = [
      `${ROOT}build/bench/run.js`, '--scenarios', 'growth', '--targets', 'ours', '--growth-steps', '2,4', '--growth-work', '40', '--growth-rate', '40',
      '--settle', '0', '--concurrency', '5', '--out', '', '--markdown',
    ];
    // a non-zero exit (something lost, a step failed) rejects here
    const r = await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 240_000, maxBuffer: 8 << 20 });
    stdout = r.stdout;
    stderr = r.stderr;
  });

  it('runs every step of every row with nothing lost, duplicated or misrouted', () => {
    const steps = stderr.split('\n').filter((l) => /^\[bench\] {3}[\d.]+ (µs|ms) per /.test(l));
    assert.equal(steps.length, ROWS.length * 2, stderr.slice(-3000));
    for (const l of steps) assert.match(l, /lost 0, dup 0, misrouted 0$/);
    assert.doesNotMatch(stderr, /FAILED/);
  });

  it('prints each row with both steps, two costs and a growth factor, in the table and in Markdown', () => {
    for (const label of ROWS) {
      const text = stdout.split('\n').find((l) => l.startsWith(label));
      assert.ok(text, `no row ${label} in:\n${stdout}`);
      assert.match(text, /\b2 \/ 4 /);
      assert.match(text, /[\d.,]+ \/ [\d.,]+ +(\d+\.\d\d×|-) +0 /);
      const md = stdout.split('\n').find((l) => l.startsWith(`| ${label} |`));
      assert.ok(md, `no Markdown row ${label}`);
      assert.match(md, /\| 0 \| (ok|FASTER THAN LINEAR)[^|]* \|$/);
    }
    assert.match(stdout, /at most 9,000 pairs/);
  });
});
