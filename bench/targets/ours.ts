/**
 * @module bench/targets/ours
 * Our server as a benchmark target: a generated config (SQLite storage, the default modules,
 * HTTP on a free loopback port, consider_websocket_secure, http_openmetrics for the event-loop
 * delay at /metrics on that port), accounts made with setup-ours.js,
 * and `node build/lib/cli/main.js start` as the measured process. A start may override
 * options (the hibernate scenario's short smacks_hibernation_time) in a config of its own.
 */
import { spawn, execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stopChild, waitForOutput } from '../proc.js';
import type { RunningTarget, Target, TargetDirs } from './target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOMAIN = 'localhost';
/** Every start runs it: the bench reads the server's event-loop delay from its /metrics (bench/loop-health.ts). */
const METRICS_MODULE = 'http_openmetrics';

/** The config with http_openmetrics in its global modules_enabled (an override may replace the list). */
export function withMetrics(config: Record<string, unknown>): Record<string, unknown> {
  const modules = config.modules_enabled;
  if (!Array.isArray(modules) || modules.includes(METRICS_MODULE)) return config;
  return { ...config, modules_enabled: [...(modules as unknown[]), METRICS_MODULE] };
}

/** The config our server runs with in the benchmark (the same shape an operator writes). */
export function oursConfig(dataPath: string): Record<string, unknown> {
  return {
    data_path: dataPath,
    storage: 'sqlite',
    log_level: 'warn',
    // the modules Prosody runs in the benchmark too (smacks loaded; plain scenarios' clients just
    // don't enable it); messages-im runs the default set (DEFAULT_MODULES: + mam, carbons, blocklist...)
    modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'smacks', METRICS_MODULE],
    c2s_ports: [],
    http_ports: [0],
    http_interfaces: ['127.0.0.1'],
    https_ports: [],
    // plain ws on loopback stands for a TLS-terminating proxy, as on the Prosody side
    consider_websocket_secure: true,
    // every load-generator connection comes from 127.0.0.1, many at once
    c2s_max_unauthed: 100_000,
    c2s_max_unauthed_per_ip: 100_000,
    VirtualHost: { [DOMAIN]: {} },
    // the muc scenarios: rooms open at once (no XEP-0045 §10.1 lock), as on the Prosody side;
    // Prosody has no occupant limit by default, ours is an option
    Component: { [`conference.${DOMAIN}`]: { module: 'muc', muc_room_locking: false, muc_max_occupants: 100_000 } },
  };
}

/** One `node build/lib/cli/main.js start` of `configFile` (cwd `dir`, output to `logName` there), once it listens. */
export async function spawnOurs(configFile: string, dir: string, nodeFlags: readonly string[], logName: string): Promise<RunningTarget> {
  const child = spawn(process.execPath, [...nodeFlags, join(ROOT, 'build/lib/cli/main.js'), 'start', '--config', configFile], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(join(dir, logName), { flags: 'a' });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  try {
    const m = await waitForOutput(child, /http:\/\/127\.0\.0\.1:(\d+)/, 30_000);
    return {
      info: { name: 'ours', mode: 'xmpp', url: `ws://127.0.0.1:${m[1]}/xmpp-websocket`, domain: DOMAIN },
      pid: child.pid!,
      metricsUrl: `http://127.0.0.1:${m[1]}/metrics`,
      stop: () => stopChild(child),
    };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** Our server, run from build/ with a config in `dirs.dir`. */
export function oursTarget(dirs: TargetDirs): Target {
  mkdirSync(dirs.dir, { recursive: true });
  const configFile = join(dirs.dir, 'config.json');
  const config = withMetrics({ ...oursConfig(join(dirs.dir, 'data')), ...dirs.config });
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  let variants = 0;
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    name: 'ours',
    version: `xmpp-server-core ${version}`,
    streamManagement: true,
    // Accounts.create stores SCRAM-SHA-1 and SCRAM-SHA-256 credentials; saslauth offers both
    scramSha256: true,
    configFile,
    async prepare(count, prefix, password) {
      await promisify(execFile)(process.execPath, [join(ROOT, 'build/bench/setup-ours.js'), configFile, prefix, '1', String(count), password], { maxBuffer: 1 << 20 });
    },
    async start(overrides): Promise<RunningTarget> {
      let file = configFile;
      if (overrides !== undefined && Object.keys(overrides).length > 0) {
        // the same data (accounts, offline storage), other options
        file = join(dirs.dir, `config-${++variants}.json`);
        writeFileSync(file, JSON.stringify(withMetrics({ ...config, ...overrides }), null, 2));
      }
      return spawnOurs(file, dirs.dir, dirs.nodeFlags ?? [], 'server.log');
    },
  };
}
