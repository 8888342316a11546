/**
 * Test helper: private PostgreSQL and Redis servers on loopback, started by the tests and
 * stopped by them. PostgreSQL is a cluster made with `initdb` in a temp folder and run as
 * the `postgres` system user (trust authentication on 127.0.0.1 only); Redis runs with
 * `--save ''` (nothing on disk). Both pick a free port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './proxies.js';

/** Where Debian keeps PostgreSQL's server programs (not on PATH): the newest version there. */
function pgBin(program: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) if (existsSync(join(dir, program))) return join(dir, program);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(root, v, 'bin', program))) return join(root, v, 'bin', program);
  }
  throw new Error(`${program} not found: install Debian's postgresql package`);
}

/** Whether a PostgreSQL server and `runuser` are here (tests skip with a reason when not). */
export function postgresAvailable(): string | undefined {
  try {
    pgBin('initdb');
    pgBin('pg_ctl');
  } catch (err) {
    return (err as Error).message;
  }
  if (spawnSync('id', ['postgres']).status !== 0) return 'no postgres system user';
  return undefined;
}

/** Whether redis-server is here. */
export function redisAvailable(): string | undefined {
  return spawnSync('redis-server', ['--version']).status === 0 ? undefined : 'redis-server not found: install Debian\'s redis-server package';
}

export interface PostgresServer {
  readonly port: number;
  readonly host: string;
  /** A connection string for `database` (created on first start: `xmpp`). */
  url(database?: string): string;
  /** The `sql` option for the server's config. */
  sqlOption(database?: string): { driver: 'PostgreSQL'; host: string; port: number; database: string; username: string };
  /** Make another empty database (for a test that needs a clean one). */
  createDatabase(name: string): void;
  /** Stop it (fast; the cluster stays on disk) and start it again on the same port. */
  stop(): void;
  start(): void;
  /** Stop and delete everything. */
  destroy(): void;
}

function asPostgres(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A private PostgreSQL cluster with a database `xmpp`. */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'xs-pg-'));
  chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
  const data = join(dir, 'data');
  const init = asPostgres([pgBin('initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.out}`);
  const port = await freePort();
  const host = '127.0.0.1';
  const start = (): void => {
    const r = asPostgres([pgBin('pg_ctl'), '-D', data, '-l', join(dir, 'log'), '-w', '-o',
      `-p ${port} -k ${dir} -c listen_addresses=${host} -c fsync=off -c max_connections=200`, 'start']);
    if (r.status !== 0) throw new Error(`pg_ctl start failed: ${r.out}`);
  };
  const stop = (): void => {
    asPostgres([pgBin('pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  const psql = (sql: string): void => {
    const r = asPostgres(['psql', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
    if (r.status !== 0) throw new Error(`psql failed: ${r.out}`);
  };
  start();
  psql('CREATE DATABASE xmpp');
  return {
    port,
    host,
    url: (database = 'xmpp') => `postgres://postgres@${host}:${port}/${database}`,
    sqlOption: (database = 'xmpp') => ({ driver: 'PostgreSQL', host, port, database, username: 'postgres' }),
    createDatabase: (name) => { psql(`CREATE DATABASE "${name}"`); },
    stop,
    start,
    destroy: () => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kill it (SIGKILL) and start it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function waitForPort(port: number, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`nothing listens on port ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** A private redis-server (no persistence). */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForPort(port);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => { resolve(); }); c.kill('SIGKILL'); });
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    restart: async () => { await kill(); await launch(); },
    stop: kill,
  };
}
