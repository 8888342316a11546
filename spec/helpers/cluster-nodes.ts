/**
 * Test helper: nodes of a cluster as real `xmpp-server start` child processes, each from one
 * of examples/cluster/node*.json with the test's engines, free loopback ports, a temp
 * data_path and VirtualHost localhost; and nginx in front of them, running the marked
 * blocks of examples/cluster/nginx.conf. Nodes can be drained (the CLI), killed with SIGKILL
 * and started again on the same ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNginxWith, type ProxyProcess } from './proxies.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'build', 'lib', 'cli', 'main.js');

export interface ClusterNode {
  readonly name: string;
  readonly configFile: string;
  readonly ports: { readonly tcp: number; readonly ws: number };
  /** Everything the process printed (all of its runs). */
  output(): string;
  readonly running: boolean;
  start(): Promise<void>;
  /** `xmpp-server drain --config` (resolves when the process has exited). */
  drain(): Promise<void>;
  /** SIGKILL: no cleanup at all. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

/** Run the CLI with a node's config (register, deluser ...). */
export function cli(args: string[], configFile: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--config', configFile], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A node's config: the example's, pointed at the test's engines, ports and folder. */
export function nodeConfig(i: number, o: { dir: string; sql: unknown; redisUrl: string; tcp: number; ws: number; extra?: Record<string, unknown> }): Record<string, unknown> {
  const example = JSON.parse(readFileSync(join(ROOT, 'examples', 'cluster', `node${i}.json`), 'utf8')) as Record<string, unknown>;
  return {
    ...example,
    data_path: join(o.dir, `node${i}`),
    log_level: 'warn',
    sql: o.sql,
    cluster_redis_url: o.redisUrl,
    cluster_node_timeout: 2,
    c2s_ports: [o.tcp], c2s_interfaces: ['127.0.0.1'],
    http_ports: [o.ws], http_interfaces: ['127.0.0.1'],
    c2s_require_encryption: false, allow_unencrypted_plain_auth: true, consider_websocket_secure: true,
    scram_iterations: 4096,
    VirtualHost: { localhost: {} },
    // the example's components, on the test's domain (conference.example.org -> conference.localhost)
    Component: Object.fromEntries(Object.entries((example.Component ?? {}) as Record<string, unknown>)
      .map(([name, section]) => [name.replace(/example\.org$/, 'localhost'), section])),
    ...o.extra,
  };
}

export async function startNode(i: number, o: { dir: string; sql: unknown; redisUrl: string; extra?: Record<string, unknown> }): Promise<ClusterNode> {
  const ports = { tcp: await freePort(), ws: await freePort() };
  const configFile = join(o.dir, `node${i}.json`);
  mkdirSync(join(o.dir, `node${i}`), { recursive: true });
  writeFileSync(configFile, JSON.stringify(nodeConfig(i, { ...o, ...ports }), null, 2));
  let child: ChildProcess | undefined;
  let text = '';
  const exited = (): Promise<void> => new Promise((resolve) => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => { resolve(); });
  });
  const node: ClusterNode = {
    name: `node${i}`,
    configFile,
    ports,
    output: () => text,
    get running() { return child !== undefined && child.exitCode === null && child.signalCode === null; },
    async start() {
      const c = spawn(process.execPath, [CLI, 'start', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout!.on('data', (d: Buffer) => { text += d.toString(); });
      c.stderr!.on('data', (d: Buffer) => { text += d.toString(); });
      const since = text.length;
      const deadline = Date.now() + 20_000;
      while (!text.slice(since).includes(`:${ports.ws}`)) {
        if (c.exitCode !== null) throw new Error(`node${i} exited at start:\n${text.slice(since)}`);
        if (Date.now() > deadline) throw new Error(`node${i} did not start:\n${text.slice(since)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async drain() {
      const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const d = spawn(process.execPath, [CLI, 'drain', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        d.stderr!.on('data', (x: Buffer) => { err += x.toString(); });
        d.once('exit', (code) => { resolve({ code, err }); });
      });
      if (r.code !== 0) throw new Error(`drain of node${i} failed: ${r.err}`);
      await exited();
    },
    async kill() {
      child?.kill('SIGKILL');
      await exited();
    },
    async stop() {
      child?.kill('SIGTERM');
      await exited();
    },
  };
  await node.start();
  return node;
}

/** nginx with examples/cluster/nginx.conf's blocks, its upstream pointed at the nodes' WebSocket ports. */
export async function startClusterNginx(nodes: readonly ClusterNode[], certificate: string, key: string): Promise<ProxyProcess> {
  const text = readFileSync(join(ROOT, 'examples', 'cluster', 'nginx.conf'), 'utf8');
  const block = (name: string): string => {
    const m = new RegExp(`# >>> ${name}\\n([^]*?)\\n\\s*# <<< ${name}`).exec(text);
    if (!m) throw new Error(`examples/cluster/nginx.conf has no '# >>> ${name}' block`);
    return m[1]!;
  };
  let upstream = block('xmpp-cluster-upstream');
  const examplePorts = [...upstream.matchAll(/localhost:(\d+)/g)].map((m) => m[1]!);
  if (examplePorts.length !== nodes.length) throw new Error(`the example's upstream lists ${examplePorts.length} nodes, the test runs ${nodes.length}`);
  examplePorts.forEach((p, n) => { upstream = upstream.replace(`localhost:${p}`, `127.0.0.1:${nodes[n]!.ports.ws}`); });
  return startNginxWith({ http: upstream, server: block('xmpp-cluster-websocket'), certificate, key });
}
