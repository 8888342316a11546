/**
 * @module bench/report-cluster
 * The cluster scenario's figures (bench/cluster.ts): for two nodes (target 'cluster') and one
 * node (target 'ours') of the same run, delivered msg/s and p50/p99 latency with the ratio,
 * and what a cross-node message costs over the measured interval: both node processes' CPU,
 * redis-server's CPU and Redis commands, per delivered message. A section of the report,
 * rows of the headline and of the Markdown table.
 */
import type { MessagesResult } from './protocol.js';
import type { Measurement } from './report.js';
import { fmt, med, ratio, sum, table } from './report-util.js';
import { CLUSTER_COUNTERS } from './targets/cluster.js';

const msg = (m: Measurement): MessagesResult => m.result as MessagesResult;
const delivered = (m: Measurement): number => msg(m).deliveredInWindow ?? Number.NaN;
const counter = (m: Measurement, key: string): number => m.interval?.[key] ?? Number.NaN;

/** Server CPU µs per delivered message over the measured interval: both nodes for the cluster, the one process otherwise. */
export function clusterCpuPerMessage(m: Measurement): number {
  if (m.target === 'cluster') return ((counter(m, CLUSTER_COUNTERS.nodeA) + counter(m, CLUSTER_COUNTERS.nodeB)) * 1e6) / delivered(m);
  const c = msg(m).serverCpu;
  return c === undefined ? Number.NaN : ((c.end - c.start) * 1e6) / delivered(m);
}

/** The medians of one run's cluster scenario (NaN where a side did not run). */
export interface ClusterFigures {
  readonly ran: boolean;
  readonly throughput: { cluster: number; single: number };
  readonly p50: { cluster: number; single: number };
  readonly p99: { cluster: number; single: number };
  readonly cpuPerMessage: { cluster: number; single: number };
  /** Each node's share, µs per message. */
  readonly nodeCpu: { a: number; b: number };
  readonly redisCpuPerMessage: number;
  readonly redisOpsPerMessage: number;
  readonly lost: number;
}

export function clusterFigures(ms: readonly Measurement[]): ClusterFigures {
  const both = (pick: (m: Measurement) => number): { cluster: number; single: number } => ({ cluster: med(ms, 'cluster', 'cluster', pick), single: med(ms, 'cluster', 'ours', pick) });
  const perMessage = (key: string) => (m: Measurement): number => (counter(m, key) * 1e6) / delivered(m);
  return {
    ran: ms.some((m) => m.scenario === 'cluster'),
    throughput: both((m) => msg(m).throughput),
    p50: both((m) => msg(m).latency.p50),
    p99: both((m) => msg(m).latency.p99),
    cpuPerMessage: both(clusterCpuPerMessage),
    nodeCpu: { a: med(ms, 'cluster', 'cluster', perMessage(CLUSTER_COUNTERS.nodeA)), b: med(ms, 'cluster', 'cluster', perMessage(CLUSTER_COUNTERS.nodeB)) },
    redisCpuPerMessage: med(ms, 'cluster', 'cluster', perMessage(CLUSTER_COUNTERS.redisCpu)),
    redisOpsPerMessage: med(ms, 'cluster', 'cluster', (m) => counter(m, CLUSTER_COUNTERS.redisOps) / delivered(m)),
    lost: ['cluster', 'ours'].reduce((a, t) => a + sum(ms, 'cluster', t, (m) => msg(m).lost + msg(m).duplicated + msg(m).misrouted), 0),
  };
}

/** The report's section (empty when the scenario did not run). */
export function renderCluster(ms: readonly Measurement[], params: Record<string, unknown>): string[] {
  const f = clusterFigures(ms);
  if (!f.ran) return [];
  const rows = [
    ['delivered msg/s', fmt(f.throughput.cluster), fmt(f.throughput.single), ratio(f.throughput.cluster, f.throughput.single)],
    ['latency p50 ms', fmt(f.p50.cluster, 2), fmt(f.p50.single, 2), ratio(f.p50.cluster, f.p50.single)],
    ['latency p99 ms', fmt(f.p99.cluster, 2), fmt(f.p99.single, 2), ratio(f.p99.cluster, f.p99.single)],
    ['server CPU µs / message (all node processes)', fmt(f.cpuPerMessage.cluster, 1), fmt(f.cpuPerMessage.single, 1), ratio(f.cpuPerMessage.cluster, f.cpuPerMessage.single)],
    ['  of which node A / node B', `${fmt(f.nodeCpu.a, 1)} / ${fmt(f.nodeCpu.b, 1)}`, '-', ''],
    ['redis-server CPU µs / message', fmt(f.redisCpuPerMessage, 1), '-', ''],
    ['Redis commands / message', fmt(f.redisOpsPerMessage, 2), '-', ''],
    ['lost + duplicated + misrouted', '', '', String(f.lost)],
  ];
  return ['', `cluster: ${String(params.pairs)} pairs (window ${String(params.window)}), each split across two nodes, vs one node, same run; `
    + `storage ${String(params.clusterStorage) === 'postgres' ? 'a private PostgreSQL' : 'one SQLite file'}, one private redis-server; measured interval only`,
  table(['', '2 nodes', '1 node', '2 / 1'], rows)];
}

/** Headline rows (cells: name, unit, figure); the cluster's figure stands in the ours column. */
export function clusterHeadlineRows(ms: readonly Measurement[]): [string, string, string][] {
  const f = clusterFigures(ms);
  if (!f.ran) return [];
  return [
    ['cluster, 2 nodes', 'CPU µs / delivered message, both nodes', fmt(f.cpuPerMessage.cluster, 1)],
    ['cluster, 2 nodes', 'redis-server CPU µs / message', fmt(f.redisCpuPerMessage, 1)],
    ['cluster, 2 nodes', 'Redis commands / message', fmt(f.redisOpsPerMessage, 2)],
    ['cluster, 1 node', 'CPU µs / delivered message, same run', fmt(f.cpuPerMessage.single, 1)],
  ];
}

/** Rows of the Markdown table: [name, the ours column's cell] ("2 nodes / 1 node (ratio)"). */
export function clusterMarkdownRows(ms: readonly Measurement[], params: Record<string, unknown>): [string, string][] {
  const f = clusterFigures(ms);
  if (!f.ran) return [];
  const pair = (v: { cluster: number; single: number }, d: number): string => `${fmt(v.cluster, d)} / ${fmt(v.single, d)} (${ratio(v.cluster, v.single)})`;
  return [
    [`**cluster: server CPU µs per message, 2 nodes (both processes) / 1 node**`, pair(f.cpuPerMessage, 1)],
    [`cluster: delivered msg/s, 2 nodes / 1 node (${String(params.pairs)} pairs split across the nodes)`, pair(f.throughput, 0)],
    ['cluster: latency p50 ms, 2 nodes / 1 node', pair(f.p50, 2)],
    ['cluster: latency p99 ms, 2 nodes / 1 node', pair(f.p99, 2)],
    ['cluster: redis-server CPU µs / Redis commands per message', `${fmt(f.redisCpuPerMessage, 1)} / ${fmt(f.redisOpsPerMessage, 2)}`],
  ];
}
