/**
 * @module bench/cluster
 * The cluster scenario (in the default run; alone: `--scenarios cluster`): the closed-loop messages workload on one node
 * (our server, no cluster module: target 'ours') and then on two nodes with the cluster module
 * (target 'cluster', bench/targets/cluster.ts), every pair split across the nodes, in the same
 * run. Both measurements are labelled 'cluster'; the cluster one carries both nodes' and
 * redis-server's CPU and Redis's commands over the measured interval (report-cluster.ts).
 * Skipped with a message when redis-server is not installed.
 */
import { join } from 'node:path';
import type { BenchOptions } from './args.js';
import { PASSWORD, PREFIX, log, measure, type MeasureOptions } from './measure.js';
import { redisMissing } from './redis.js';
import type { Measurement } from './report.js';
import { clusterTarget } from './targets/cluster.js';
import { oursTarget } from './targets/ours.js';
import type { Target } from './targets/target.js';
import type { CommonParams, MessagesRequest } from './protocol.js';

/** The messages workload of the run's flags (closed loop: --rate is not applied here). */
function request(opts: BenchOptions): (c: CommonParams) => MessagesRequest {
  return (c) => ({
    ...c, scenario: 'messages', pairs: opts.pairs, window: opts.window, bodyBytes: opts.body,
    warmupS: opts.warmup, durationS: opts.duration, drainMs: 10_000,
  });
}

/**
 * Run it: `ours` is the run's single-node target with its accounts prepared (made here in
 * `tmp` when the run has none); `accounts` are made in the cluster's storage.
 */
export async function runCluster(opts: BenchOptions, ours: Target | undefined, accounts: number, tmp: string, measureOpts: MeasureOptions): Promise<Measurement[]> {
  const missing = redisMissing();
  if (missing !== undefined) {
    log(`cluster: skipped: ${missing}`);
    return [];
  }
  const nodeFlags = opts.serverFlags;
  let single = ours;
  if (single === undefined) {
    single = oursTarget({ dir: join(tmp, 'ours-single'), nodeFlags, config: opts.serverConfig });
    await single.prepare(accounts, PREFIX, PASSWORD);
  }
  log(`cluster: creating ${accounts} accounts in the cluster's ${opts.clusterStorage === 'sqlite' ? 'SQLite file' : 'PostgreSQL'} (untimed)`);
  const cluster = await clusterTarget({ dir: join(tmp, 'cluster'), nodeFlags, config: opts.serverConfig }, opts.clusterStorage);
  const ms: Measurement[] = [];
  try {
    await cluster.prepare(accounts, PREFIX, PASSWORD);
    for (let repeat = 1; repeat <= opts.repeat; repeat++) {
      for (const target of [single, cluster]) {
        log(`cluster: messages on ${target.name === 'ours' ? 'one node (ours, no cluster module)' : 'two nodes, pairs split across them'} (run ${repeat}/${opts.repeat})`);
        try {
          const m = await measure(target, 'cluster', repeat, request(opts), measureOpts);
          ms.push(m);
          log(`  ${clusterSummary(m)}`);
        } catch (err) {
          log(`  FAILED: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    await cluster.dispose?.();
  }
  return ms;
}

/** One line for the progress log. */
function clusterSummary(m: Measurement): string {
  const r = m.result;
  if (r.scenario !== 'messages') return '';
  const extra = m.interval === undefined ? '' : `; interval: ${Object.entries(m.interval).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`;
  return `${r.throughput.toFixed(0)} msg/s, p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, lost ${r.lost}, dup ${r.duplicated}, misrouted ${r.misrouted}${extra}`
    + (r.errors.length ? `, errors: ${r.errors.slice(0, 3).join('; ')}` : '');
}
