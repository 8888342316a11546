/**
 * Test helper (a child process): a real server for load and fuzz tests, kept out of the test
 * process so its memory can be measured alone. Started with `fork()`, configured by the first
 * IPC message; answers 'memory' (after a GC when --expose-gc is given) and 'stop'.
 */
import type { RawConfig } from '../../lib/index.js';
import { captureLog } from './log.js';
import { startTestServer, type TestServer } from './server.js';

/** Messages the parent sends. */
export type LoadServerRequest =
  | { readonly type: 'start'; readonly config: RawConfig; readonly users: number; readonly password: string }
  | { readonly type: 'memory' }
  | { readonly type: 'sessions' }
  | { readonly type: 'errors' }
  | { readonly type: 'stop' };

/** Messages the child answers with. */
export type LoadServerReply =
  | { readonly type: 'started'; readonly httpPort: number; readonly c2sPort: number }
  | { readonly type: 'memory'; readonly rss: number; readonly heapUsed: number; readonly external: number }
  | { readonly type: 'sessions'; readonly count: number }
  | { readonly type: 'errors'; readonly lines: readonly string[] }
  | { readonly type: 'stopped' }
  | { readonly type: 'error'; readonly message: string };

let server: TestServer | undefined;
// Error-level log lines (a handler that threw, an internal-server-error close...).
const log = captureLog('error');

function reply(message: LoadServerReply): void {
  process.send?.(message);
}

async function onMessage(message: LoadServerRequest): Promise<void> {
  try {
    if (message.type === 'start') {
      // Every client of a load test connects from 127.0.0.1 at once.
      const crowd = { c2s_max_unauthed: 100_000, c2s_max_unauthed_per_ip: 100_000 };
      server = await startTestServer({ ...crowd, ...message.config }, { logger: log.logger });
      for (let i = 0; i < message.users; i++) server.server.accounts.create('localhost', `user${i}`, message.password);
      reply({ type: 'started', httpPort: server.port('http'), c2sPort: server.c2sPort });
    } else if (message.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const m = process.memoryUsage();
      reply({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external });
    } else if (message.type === 'errors') {
      reply({ type: 'errors', lines: log.lines.map((l) => JSON.stringify(l)) });
    } else if (message.type === 'sessions') {
      reply({ type: 'sessions', count: server?.server.sessions.count ?? 0 });
    } else {
      await server?.stop();
      reply({ type: 'stopped' });
      process.disconnect?.();
    }
  } catch (err) {
    reply({ type: 'error', message: (err as Error).stack ?? String(err) });
  }
}

if (process.send) process.on('message', (m: LoadServerRequest) => { void onMessage(m); });
