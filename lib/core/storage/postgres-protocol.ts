/**
 * @module storage/postgres-protocol
 * What the main thread and the PostgreSQL worker thread (postgres-worker.ts) say to each other
 * for synchronous storage calls. The main thread posts a request on a MessagePort and blocks
 * in `Atomics.wait` on a shared Int32 until the worker has stored the request's id there; the
 * answer is then already queued on the port and is taken with `receiveMessageOnPort`.
 */
import type { MessagePort } from 'node:worker_threads';
import type { PostgresConnection } from './sql-config.js';

/** The storage operations the worker runs (one SQL round trip each; see postgres-statements.ts). */
export type PgOp =
  | 'get' | 'set' | 'del' | 'users'
  | 'mapGet' | 'mapSet' | 'mapDel' | 'mapAll' | 'mapCount'
  | 'append' | 'items' | 'listStats' | 'removeAll' | 'removeIds' | 'purgeUser'
  | 'archiveAppend' | 'archiveQuery' | 'archiveHas' | 'archiveBounds' | 'archiveClear'
  | 'archiveExpire' | 'archiveLastSort' | 'archivePurgeUser'
  | 'begin' | 'commit' | 'rollback' | 'close';

/** A request: `args` are the operation's parameters (strings, numbers, arrays of them, null). */
export interface PgRequest {
  readonly id: number;
  readonly op: PgOp;
  readonly args: readonly unknown[];
}

/** The answer to request `id`. */
export type PgAnswer =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** The worker's first message on the port: the schema is ready, or why not. */
export type PgReady = { readonly id: 0; readonly ok: true; readonly value: 'ready' } | { readonly id: 0; readonly ok: false; readonly message: string };

/** What the sync worker is started with. */
export interface PgWorkerData {
  readonly connection: PostgresConnection;
  readonly poolSize: number;
  readonly queryTimeoutMs: number;
  /**
   * Int32Array over it: [0] = the highest request id answered; [1] = the id the main thread
   * waits for (0 once it gave up). A worker that must not act on a call the main thread gave up
   * on (`begin`) claims it first: compareExchange [1] from id to -id; the main thread gives up
   * only by compareExchange [1] from id to 0, so exactly one of the two wins.
   */
  readonly signal: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** What the archive writer worker (postgres-archive-worker.ts) is started with. */
export interface PgArchiveWorkerData {
  readonly connection: PostgresConnection;
  readonly queryTimeoutMs: number;
  readonly commitMs: number;
  readonly maxBatch: number;
}
