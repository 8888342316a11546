/**
 * @module bench/client/pool
 * Open many load-generator connections with a bounded number of setups in flight, and close
 * them all again; shared by the scenarios.
 */
import { BenchConnection, type SetupTimes } from './connection.js';
import { SmClient, type SmSettings } from './sm.js';
import type { CommonParams } from '../protocol.js';

/** What a scenario may choose for a connection besides its account. */
export interface ConnectionChoices {
  /** The resource bound ('bench'). */
  readonly resource?: string;
  /** The SASL mechanism (the connection's default: SCRAM-SHA-1). */
  readonly mechanism?: ConstructorParameters<typeof BenchConnection>[0]['mechanism'];
}

/**
 * The connection for account `local` (1-based) of the scenario (of this worker's share); with `sm`, it enables stream
 * management (or, given an SmClient, resumes that session with resume()).
 */
export function connectionFor(p: CommonParams, local: number, localPeer?: number, sm?: SmSettings | SmClient, choices: ConnectionChoices = {}): BenchConnection {
  // one worker of several (--workers) has its own range of accounts
  const offset = p.worker?.accountOffset ?? 0;
  const index = local + offset;
  const peer = localPeer === undefined ? undefined : localPeer + offset;
  return new BenchConnection({
    url: nodeUrl(p.target, index - 1),
    mode: p.target.mode,
    domain: p.target.domain,
    user: `${p.userPrefix}${index}`,
    password: p.password,
    resource: choices.resource ?? 'bench',
    ...(choices.mechanism === undefined ? {} : { mechanism: choices.mechanism }),
    ...(peer === undefined ? {} : { peer: `${p.userPrefix}${peer}` }),
    localAddress: p.sourceAddresses.length ? p.sourceAddresses[index % p.sourceAddresses.length] : undefined,
    timeoutMs: p.timeoutMs,
    ...(sm === undefined ? {} : { sm: sm instanceof SmClient ? sm : new SmClient(sm) }),
  });
}

/** The URL session `s` (0-based account) connects to: its node's when the target has several (TargetInfo.urls). */
export function nodeUrl(target: CommonParams['target'], s: number): string {
  const urls = target.urls;
  return urls?.length ? urls[(s + Math.floor(s / 2)) % urls.length]! : target.url;
}

/** What opening a batch of connections gave. */
export interface OpenOutcome {
  /** Set-up connections, by position in the batch (undefined where setup failed). */
  readonly connections: (BenchConnection | undefined)[];
  readonly times: SetupTimes[];
  readonly errors: string[];
  readonly failed: number;
  /** Wall time of the whole batch, ms. */
  readonly elapsedMs: number;
}

/**
 * Set up `count` connections made by `make(i)` (i from 0), `concurrency` at a time; with
 * `prime`, only derive their SCRAM keys (see BenchConnection.connect).
 */
export async function openMany(count: number, concurrency: number, make: (i: number) => BenchConnection, prime = false): Promise<OpenOutcome> {
  const connections: (BenchConnection | undefined)[] = new Array<BenchConnection | undefined>(count);
  const times: SetupTimes[] = [];
  const errors: string[] = [];
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const c = make(i);
      try {
        times.push(await c.connect(prime));
        connections[i] = c;
      } catch (err) {
        failed++;
        if (errors.length < 10) errors.push(`setup ${c.options.user}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return { connections, times, errors, failed, elapsedMs: performance.now() - t0 };
}

/** Close every connection gracefully, `concurrency` at a time. */
export async function closeAll(connections: readonly (BenchConnection | undefined)[], concurrency: number): Promise<void> {
  const list = connections.filter((c): c is BenchConnection => c !== undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) await list[next++]!.close();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, list.length)) }, worker));
}

/** Run `task(i)` for i in 0..count-1, `concurrency` at a time. */
export async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}
