/**
 * Test helper: one cluster node in a child process, so a test can kill it (SIGKILL) the way a
 * node dies in production: no unbind, no goodbye to Redis. The child reads its config as JSON
 * from argv, starts the server and prints `{"port": <c2s port>}` on one stdout line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createServer, type RawConfig } from '../../lib/index.js';
import { reportedListeners } from './server.js';

export interface NodeProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
}

/** Start a node in a child process with `config`. */
export async function startNodeProcess(config: RawConfig): Promise<NodeProcess> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve(); }); });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => { resolve((JSON.parse(line) as { port: number }).port); });
    child.once('exit', (code) => { reject(new Error(`the node process exited (${code})`)); });
  });
  return {
    port,
    child,
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

// The child's side.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = createServer(JSON.parse(process.argv[2]!) as RawConfig);
  await server.start();
  const port = reportedListeners(server).find((l) => l.service === 'c2s')?.port ?? 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}
