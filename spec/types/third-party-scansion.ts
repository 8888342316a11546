/**
 * Compile-only test: a module author's test imports `xmpp-server-core/testing` as a third
 * party does, and the runner's options and results are typed.
 */
import { runScansion, ScansionFailure, type ScansionOptions } from 'xmpp-server-core/testing';
import { defineModule } from 'xmpp-server-core/api';

const mine = defineModule({ name: 'mine', load() { /* nothing */ } });
const options: ScansionOptions = { transport: 'websocket', modules: [mine], config: { storage: 'memory' }, timeoutMs: 2000 };

export async function check(path: string): Promise<number> {
  try {
    return (await runScansion(path, options)).steps;
  } catch (err) {
    if (err instanceof ScansionFailure) return -err.line;
    throw err;
  }
}

// @ts-expect-error: only 'tcp' and 'websocket' are transports
export const wrong: ScansionOptions = { transport: 'bosh' };
