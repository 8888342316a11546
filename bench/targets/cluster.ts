/**
 * @module bench/targets/cluster
 * Two of our servers as one service (the cluster scenario): two `main.js start` processes on
 * this machine with the `cluster` module, one private redis-server (bench/redis.ts, fresh for
 * every start) and shared storage: one SQLite file under the target's directory (the default;
 * both processes open it), or a private PostgreSQL (`--cluster-storage postgres`, started once
 * for the run with the tests' helper, spec/helpers/engines.ts). The load generator spreads
 * sessions over both nodes (TargetInfo.urls); the counters are both nodes' and redis-server's
 * CPU seconds and Redis commands processed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cpuSeconds } from '../proc.js';
import { startRedis } from '../redis.js';
import { oursConfig, spawnOurs, withMetrics } from './ours.js';
import type { RunningTarget, Target, TargetDirs } from './target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the two nodes keep their data. */
export type ClusterStorage = 'sqlite' | 'postgres';

/** The counters' names (RunningTarget.counters). */
export const CLUSTER_COUNTERS = { nodeA: 'node-a-cpu-s', nodeB: 'node-b-cpu-s', redisCpu: 'redis-cpu-s', redisOps: 'redis-ops' } as const;

/** The shared-storage part of the config: SQLite under the target's folder, or the private PostgreSQL. */
async function storageOptions(kind: ClusterStorage, dir: string): Promise<{ options: Record<string, unknown>; dispose: () => Promise<void> }> {
  if (kind === 'sqlite') return { options: { data_path: join(dir, 'data'), storage: 'sqlite' }, dispose: () => Promise.resolve() };
  const { postgresAvailable, startPostgres } = await import('../../spec/helpers/engines.js');
  const missing = postgresAvailable();
  if (missing !== undefined) throw new Error(`--cluster-storage postgres: ${missing}`);
  const pg = await startPostgres();
  return { options: { data_path: join(dir, 'data'), storage: 'sql', sql: pg.sqlOption() }, dispose: () => Promise.resolve(pg.destroy()) };
}

/** The cluster target: name 'cluster', two nodes, `storage` shared. */
export async function clusterTarget(dirs: TargetDirs, storage: ClusterStorage): Promise<Target> {
  mkdirSync(dirs.dir, { recursive: true });
  const shared = await storageOptions(storage, dirs.dir);
  const base = { ...oursConfig(join(dirs.dir, 'data')), ...dirs.config, ...shared.options };
  // accounts are made without the cluster module (no Redis needed), in the same storage
  const prepareFile = join(dirs.dir, 'config-prepare.json');
  writeFileSync(prepareFile, JSON.stringify(base, null, 2));
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    name: 'cluster',
    version: `xmpp-server-core ${version}, 2 nodes, redis-server, ${storage === 'sqlite' ? 'one SQLite file' : 'PostgreSQL'}`,
    streamManagement: true,
    scramSha256: true,
    async prepare(count, prefix, password) {
      await promisify(execFile)(process.execPath, [join(ROOT, 'build/bench/setup-ours.js'), prepareFile, prefix, '1', String(count), password], { maxBuffer: 1 << 20 });
    },
    async start(overrides): Promise<RunningTarget> {
      const redis = await startRedis();
      const nodes: RunningTarget[] = [];
      const stop = async (): Promise<void> => {
        for (const n of nodes.reverse()) await n.stop();
        await redis.stop();
      };
      try {
        for (const name of ['a', 'b']) {
          const modules = [...(base.modules_enabled as string[]), 'cluster'];
          const config = withMetrics({ ...base, ...overrides, modules_enabled: modules, cluster_redis_url: redis.url, cluster_node_name: `bench-${name}` });
          const file = join(dirs.dir, `config-${name}.json`);
          writeFileSync(file, JSON.stringify(config, null, 2));
          nodes.push(await spawnOurs(file, dirs.dir, dirs.nodeFlags ?? [], `server-${name}.log`));
        }
      } catch (err) {
        await stop();
        throw err;
      }
      const [a, b] = nodes as [RunningTarget, RunningTarget];
      return {
        info: { ...a.info, name: 'cluster', urls: [a.info.url, b.info.url] },
        pid: a.pid,
        ...(a.metricsUrl === undefined ? {} : { metricsUrl: a.metricsUrl }),
        counters: async () => ({
          [CLUSTER_COUNTERS.nodeA]: cpuSeconds(a.pid),
          [CLUSTER_COUNTERS.nodeB]: cpuSeconds(b.pid),
          [CLUSTER_COUNTERS.redisCpu]: cpuSeconds(redis.pid),
          [CLUSTER_COUNTERS.redisOps]: await redis.commandsProcessed(),
        }),
        stop,
      };
    },
    dispose: shared.dispose,
  };
}
