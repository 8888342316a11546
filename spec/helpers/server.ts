/**
 * Test helper: a real server on loopback (port 0 everywhere, memory storage, silent log)
 * whose listening ports are collected from what the modules report (the global
 * `listeners` event), so any module's sockets can be found by service name.
 */
import { createServer, type Server, type RawConfig, type ListenerInfo, type ModuleDefinition, type Logger } from '../../lib/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLog } from './log.js';

export interface TestServer {
  readonly server: Server;
  /** The first plain c2s port (0 when c2s is not listening). */
  readonly c2sPort: number;
  /** Every reported listener. */
  readonly listeners: readonly ListenerInfo[];
  /** The first port of a service ('c2s', 'c2s_direct_tls', 'http', 'https', ...); throws when absent. */
  port(service: string): number;
  /** Stop the server (idempotent). */
  stop(): Promise<void>;
}

export interface TestServerOptions {
  readonly logger?: Logger;
  readonly modules?: readonly ModuleDefinition[];
  /** Accounts to create on `host` (default 'localhost'): username -> password. */
  readonly users?: Readonly<Record<string, string>>;
  readonly host?: string;
}

/** Defaults every test server starts from; the test's config overrides them. */
export const TEST_DEFAULTS: RawConfig = Object.freeze({
  storage: 'memory',
  log_level: 'silent',
  scram_iterations: 4096,
  c2s_ports: [0],
  c2s_interfaces: ['127.0.0.1'],
  http_ports: [0],
  http_interfaces: ['127.0.0.1'],
  https_ports: [0],
  https_interfaces: ['127.0.0.1'],
  modules_enabled: ['saslauth'],
  VirtualHost: { localhost: {} },
});

/** The listeners the modules of `server` report. */
export function reportedListeners(server: Server): ListenerInfo[] {
  const list: ListenerInfo[] = [];
  server.events.fire('listeners', { list });
  return list;
}

/**
 * Start a server with TEST_DEFAULTS + `config`, create `users`, and return it with its ports.
 * @example const t = await startTestServer({ c2s_require_encryption: false }, { users: { juliet: 'pw' } });
 */
let servers = 0;

export async function startTestServer(config: RawConfig = {}, options: TestServerOptions = {}): Promise<TestServer> {
  // Servers of test files running side by side would share <data_path>/xmpp-server.sock: each gets its own
  const adminSocket = config.data_path === undefined && config.admin_socket === undefined
    ? { admin_socket: join(tmpdir(), `xs-test-${process.pid}-${++servers}.sock`) } : {};
  const server = createServer({ ...TEST_DEFAULTS, ...adminSocket, ...config }, {
    logger: options.logger ?? captureLog('silent').logger,
    modules: options.modules,
  });
  await server.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  try {
    for (const [user, password] of Object.entries(options.users ?? {})) server.accounts.create(options.host ?? 'localhost', user, password);
  } catch (err) {
    await stop();
    throw err;
  }
  const listeners = reportedListeners(server);
  const port = (service: string): number => {
    const l = listeners.find((x) => x.service === service);
    if (!l) throw new Error(`no '${service}' listener (have: ${listeners.map((x) => x.service).join(', ') || 'none'})`);
    return l.port;
  };
  return {
    server,
    listeners,
    c2sPort: listeners.find((l) => l.service === 'c2s')?.port ?? 0,
    port,
    stop,
  };
}
