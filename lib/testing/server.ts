/**
 * The in-process server a script runs against: loopback only, port 0 everywhere, memory
 * storage, a silent log, the default modules plus what the caller and the script ask for,
 * and an account for each [Client].
 */
import { createServer } from '../index.js';
import { DEFAULT_MODULES, type RawConfig } from '../core/config.js';
import { createLogger } from '../core/log.js';
import type { ListenerInfo, ModuleDefinition } from '../core/api.js';
import type { Server } from '../core/server.js';

/** What the runner starts from; `config` (then the script's `# config:`) override it. */
export const SCANSION_DEFAULTS: RawConfig = Object.freeze({
  storage: 'memory',
  log_level: 'silent',
  scram_iterations: 4096,
  c2s_ports: [0],
  c2s_interfaces: ['127.0.0.1'],
  http_ports: [0],
  http_interfaces: ['127.0.0.1'],
  https_ports: [],
  c2s_require_encryption: false,
  allow_unencrypted_plain_auth: true,
});

export interface ScansionServerOptions {
  /** Caller's config (over SCANSION_DEFAULTS). */
  readonly config?: RawConfig;
  /** The script's `# config:` (over `config`). */
  readonly scriptConfig?: Record<string, unknown>;
  /** Module definitions to register; each is also enabled. */
  readonly modules?: readonly ModuleDefinition[];
  /** Module names to enable on top of the defaults (the script's `# modules:`). */
  readonly enable?: readonly string[];
  /** Accounts to create: bare JIDs (user@host) and passwords; their hosts become VirtualHosts. */
  readonly accounts: ReadonlyArray<{ readonly jid: string; readonly password: string }>;
}

export interface ScansionServer {
  readonly server: Server;
  readonly c2sPort: number;
  /** The plain HTTP port (0 when the http module is not listening). */
  readonly httpPort: number;
  stop(): Promise<void>;
}

type Hosts = Record<string, Record<string, unknown>>;

/** Start the server for one script run. */
export async function startScansionServer(options: ScansionServerOptions): Promise<ScansionServer> {
  const domains = [...new Set(options.accounts.map((a) => a.jid.slice(a.jid.indexOf('@') + 1)))];
  const layers = [SCANSION_DEFAULTS, options.config ?? {}, options.scriptConfig ?? {}] as Record<string, unknown>[];
  const config: Record<string, unknown> = Object.assign({}, ...layers);
  // VirtualHost: the accounts' domains, then each layer's hosts merged per host.
  const hosts: Hosts = Object.fromEntries((domains.length ? domains : ['localhost']).map((d) => [d, {}]));
  for (const layer of layers) {
    for (const [h, o] of Object.entries((layer.VirtualHost ?? {}) as Hosts)) hosts[h] = { ...hosts[h], ...o };
  }
  config.VirtualHost = hosts;
  // No admin socket for a throwaway server (scripts run in parallel, all with the same data_path).
  const enabled = (config.modules_enabled as string[] | undefined) ?? DEFAULT_MODULES.filter((m) => m !== 'admin_shell');
  config.modules_enabled = [...new Set([...enabled, ...(options.enable ?? []), ...(options.modules ?? []).map((m) => m.name)])];

  const server = createServer(config as RawConfig, { logger: createLogger({ level: 'silent' }), modules: options.modules });
  await server.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  try {
    const created = new Map<string, string>();
    for (const { jid, password } of options.accounts) {
      // Several [Client]s may be resources of one account.
      if (created.has(jid)) {
        if (created.get(jid) !== password) throw new Error(`two [Client]s use ${jid} with different passwords`);
        continue;
      }
      created.set(jid, password);
      const at = jid.indexOf('@');
      server.accounts.create(jid.slice(at + 1), jid.slice(0, at), password);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const list: ListenerInfo[] = [];
  server.events.fire('listeners', { list });
  const port = (service: string): number => list.find((l) => l.service === service)?.port ?? 0;
  return { server, c2sPort: port('c2s'), httpPort: port('http'), stop };
}
