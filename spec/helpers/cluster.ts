/**
 * Test helper for the cluster module: a private redis-server, one SQLite file in a temporary
 * folder, and any number of real servers ("nodes") in this process sharing both, each on its
 * own ports, with client helpers bound to each node's c2s port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawConfig, Server } from '../../lib/index.js';
import { rawClient, xmppJsClient, type ImClient, type RawStream } from './im-clients.js';
import { IM_CONFIG, PASSWORD } from './im-server.js';
import { startRedis, type RedisServer } from './engines.js';
import { startTestServer, type TestServer } from './server.js';

export const CLUSTER_MODULES = ['roster', 'saslauth', 'disco', 'ping', 'version', 'carbons', 'cluster'];

export interface ClusterNodeHandle {
  readonly name: string;
  readonly server: Server;
  readonly port: number;
  /** The c2s port and the HTTP port (WebSocket, when the config enables it): for sm-client. */
  readonly ports: { readonly tcp: number; readonly ws: number };
  xmppjs(user: string, resource?: string): Promise<ImClient>;
  raw(user: string, resource?: string): Promise<ImClient & { stream: RawStream }>;
  stop(): Promise<void>;
}

export interface TestCluster {
  readonly redis: RedisServer;
  readonly dataPath: string;
  /** The config every node starts from (add cluster_node_name and anything else). */
  config(name: string, extra?: RawConfig): RawConfig;
  /** Start a node named `name`. */
  node(name: string, extra?: RawConfig): Promise<ClusterNodeHandle>;
  /** Create accounts in the shared storage (through the first node). */
  users(server: Server, names: readonly string[]): void;
  /** Stop every client and node, then Redis, then remove the folder. */
  stop(): Promise<void>;
}

let count = 0;

export async function startCluster(timeout = 1.5): Promise<TestCluster> {
  const redis = await startRedis();
  const dataPath = mkdtempSync(join(tmpdir(), 'xmpp-cluster-'));
  const nodes: { t: TestServer; clients: ImClient[] }[] = [];
  const config = (name: string, extra: RawConfig = {}): RawConfig => ({
    ...IM_CONFIG,
    modules_enabled: CLUSTER_MODULES,
    storage: 'sqlite',
    data_path: dataPath,
    admin_socket: join(tmpdir(), `xs-cluster-${process.pid}-${++count}.sock`),
    cluster_redis_url: redis.url,
    cluster_node_name: name,
    cluster_node_timeout: timeout,
    ...extra,
  });
  return {
    redis,
    dataPath,
    config,
    node: async (name, extra) => {
      const t = await startTestServer(config(name, extra));
      const entry = { t, clients: [] as ImClient[] };
      nodes.push(entry);
      const track = async <C extends ImClient>(p: Promise<C>): Promise<C> => {
        const c = await p;
        entry.clients.push(c);
        return c;
      };
      return {
        name,
        server: t.server,
        port: t.c2sPort,
        ports: { tcp: t.c2sPort, ws: t.listeners.find((l) => l.service === 'http')?.port ?? 0 },
        xmppjs: (user, resource) => track(xmppJsClient(t.c2sPort, user, PASSWORD, resource)),
        raw: (user, resource) => track(rawClient(t.c2sPort, user, PASSWORD, resource)),
        stop: async () => {
          await Promise.all(entry.clients.map((c) => c.stop()));
          await t.stop();
        },
      };
    },
    users: (server, names) => { for (const n of names) server.accounts.create('localhost', n, PASSWORD); },
    stop: async () => {
      for (const { t, clients } of nodes) {
        await Promise.all(clients.map((c) => c.stop()));
        await t.stop();
      }
      await redis.stop();
      rmSync(dataPath, { recursive: true, force: true });
    },
  };
}

/** Wait until `check` holds (polling), or fail naming `what`. */
export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Make two users contacts with a mutual subscription (in the shared storage, before they log in). */
export function befriend(server: Server, a: string, b: string): void {
  server.storage.mapSet('localhost', 'roster_items', a, `${b}@localhost`, { subscription: 'both', groups: [] });
  server.storage.mapSet('localhost', 'roster_items', b, `${a}@localhost`, { subscription: 'both', groups: [] });
}
