/**
 * @module bench/redis
 * The cluster scenario's private redis-server: started on a free loopback port with nothing
 * on disk, its pid for CPU from /proc, and its count of commands processed (`INFO stats`
 * total_commands_processed) read with ioredis at the edges of the measured interval.
 */
import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, stopChild, waitForPort } from './proc.js';

/** Whether redis-server is installed (undefined) or why not. */
export function redisMissing(): string | undefined {
  return spawnSync('redis-server', ['--version']).status === 0 ? undefined : 'redis-server is not installed (apt-get install redis-server)';
}

/** A running private redis-server. */
export interface BenchRedis {
  readonly url: string;
  readonly pid: number;
  /** Commands processed since it started (a client's INFO call counts one more). */
  commandsProcessed(): Promise<number>;
  stop(): Promise<void>;
}

/** Start one; it is stopped by stop() (the caller's finally). */
export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    await waitForPort(port, 10_000, child);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  const url = `redis://127.0.0.1:${port}`;
  let client: Redis | undefined;
  return {
    url,
    pid: child.pid!,
    async commandsProcessed() {
      client ??= new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
      const info = await client.info('stats');
      const m = /^total_commands_processed:(\d+)/m.exec(info);
      return m ? Number(m[1]) : Number.NaN;
    },
    async stop() {
      client?.disconnect();
      client = undefined;
      await stopChild(child, 3000);
    },
  };
}
