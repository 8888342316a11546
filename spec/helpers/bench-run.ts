/**
 * Running the benchmark from a spec: `node build/bench/run.js` with the given flags, its JSON
 * lines written to a temp file and read back, and a finder by scenario and target.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Measurement } from '../../bench/report.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What a run printed and measured. */
export interface BenchRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: Measurement[];
  /** The measurement of `scenario` on `target` (asserts there is one). */
  find(scenario: Measurement['scenario'], target: string): Measurement;
  /** Remove the temp folder. */
  cleanup(): void;
}

/** Run the benchmark with `flags` (--out is added); fails when it exits non-zero or takes 3 minutes. */
export async function runBench(flags: readonly string[]): Promise<BenchRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-spec-'));
  const out = join(dir, 'results.jsonl');
  try {
    const r = await promisify(execFile)(process.execPath, [join(ROOT, 'build/bench/run.js'), ...flags, '--out', out], { cwd: ROOT, timeout: 180_000, maxBuffer: 8 << 20 });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Measurement);
    return {
      stdout: r.stdout,
      stderr: r.stderr,
      lines,
      find(scenario, target) {
        const m = lines.find((l) => l.scenario === scenario && l.target === target);
        assert.ok(m, `no ${scenario} measurement for ${target}`);
        return m;
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
