/**
 * @module bench/targets/relay-target
 * The raw `ws` relay (bench/relay.ts) as a target: the ceiling for the same messages with no
 * XMPP. It has no accounts; the load generator connects by id.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild, waitForOutput } from '../proc.js';
import type { RunningTarget, Target } from './target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The relay target. */
export function relayTarget(): Target {
  const wsVersion = (process.env.npm_package_dependencies_ws ?? '').replace(/^\^/, '');
  return {
    name: 'relay',
    version: `ws relay${wsVersion ? ` (ws ${wsVersion})` : ''}`,
    async prepare() {},
    async start(): Promise<RunningTarget> {
      const child = spawn(process.execPath, [join(ROOT, 'build/bench/relay.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const m = await waitForOutput(child, /relay listening (\d+)/, 10_000);
        child.stdout.resume();
        return {
          info: { name: 'relay', mode: 'relay', url: `ws://127.0.0.1:${m[1]}/`, domain: 'localhost' },
          pid: child.pid!,
          stop: () => stopChild(child),
        };
      } catch (err) {
        await stopChild(child);
        throw err;
      }
    },
  };
}
