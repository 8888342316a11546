/**
 * @module storage/postgres-sync
 * Synchronous calls into the PostgreSQL worker thread (postgres-worker.ts), so that the
 * synchronous StorageDriver interface holds for a database reached over the network: post the
 * request on a MessagePort, block in `Atomics.wait` until the worker has stored the request's
 * id in a shared Int32 (or the query timeout has passed), then take the answer off the port
 * with `receiveMessageOnPort`. The event loop is held for one round trip to the database per
 * call; nothing else runs meanwhile, so the calls of one transaction never interleave with
 * others. Answers to requests given up on (timed out) are recognised by their id and dropped.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { PgAnswer, PgOp, PgRequest, PgWorkerData } from './postgres-protocol.js';
import type { PostgresConnection } from './sql-config.js';

/** Slots of the shared Int32Array (postgres-protocol.ts). */
const WAITING = 1;

/** A failed call: `message` from PostgreSQL or the worker, or the timeout. */
export class SyncCallError extends Error {}

export interface SyncChannelOptions {
  readonly connection: PostgresConnection;
  readonly poolSize: number;
  /** How long one call may block the event loop, ms. */
  readonly queryTimeoutMs: number;
  /** How long the worker may take to connect and migrate the schema, ms. */
  readonly startTimeoutMs: number;
}

export class SyncChannel {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #answered: Int32Array;
  readonly #timeoutMs: number;
  #nextId = 1;
  #closed = false;
  /** Why the worker is gone, when it went without close(). */
  #dead: string | undefined;

  /**
   * Start the worker and wait (blocking) until it has connected and migrated the schema.
   * @throws SyncCallError when it cannot within `startTimeoutMs`.
   */
  constructor(opts: SyncChannelOptions) {
    const signal = new SharedArrayBuffer(8);
    this.#answered = new Int32Array(signal);
    Atomics.store(this.#answered, 0, -1);
    this.#timeoutMs = opts.queryTimeoutMs;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const data: PgWorkerData = { connection: opts.connection, poolSize: opts.poolSize, queryTimeoutMs: opts.queryTimeoutMs, signal, port: port2 };
    this.#worker = new Worker(new URL('./postgres-worker.js', import.meta.url), { workerData: data, transferList: [port2] });
    this.#worker.unref(); // close() ends it; until then it must not keep the process alive
    // a worker that dies (a bug) must not take the process with it, nor leave every call to time out
    this.#worker.on('error', (err) => { this.#dead ??= `the storage worker failed: ${err.message}`; });
    this.#worker.on('exit', (code) => { this.#dead ??= `the storage worker exited (code ${code})`; });
    try {
      this.#wait(0, opts.startTimeoutMs, 'start');
    } catch (err) {
      this.#closed = true;
      void this.#worker.terminate();
      this.#port.close();
      throw err;
    }
  }

  /** Whether close() has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Run one operation in the worker and return its answer.
   * @throws SyncCallError with PostgreSQL's message, the breaker's, or the timeout's.
   */
  call(op: PgOp, args: readonly unknown[] = [], timeoutMs = this.#timeoutMs): unknown {
    if (this.#closed) throw new SyncCallError('the database is closed');
    if (this.#dead !== undefined) throw new SyncCallError(`${this.#dead}; restart the server`);
    const id = this.#nextId++;
    const req: PgRequest = { id, op, args };
    Atomics.store(this.#answered, WAITING, id);
    this.#port.postMessage(req);
    return this.#wait(id, timeoutMs, op);
  }

  /** Block until answer `id` is in, or throw after `timeoutMs`. */
  #wait(id: number, timeoutMs: number, op: string): unknown {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.#answered, 0);
      if (seen >= id) break;
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.#answered, 0, seen, left) === 'timed-out') {
        if (Atomics.load(this.#answered, 0) >= id) break;
        // give up, unless the worker has just claimed the call (then its answer is on its way)
        if (Atomics.compareExchange(this.#answered, WAITING, id, 0) === id) {
          throw new SyncCallError(`no answer from the database within ${timeoutMs / 1000} s (sql_query_timeout) for ${op}`);
        }
      }
    }
    Atomics.store(this.#answered, WAITING, 0);
    for (;;) {
      const got = receiveMessageOnPort(this.#port);
      if (got === undefined) throw new SyncCallError(`the answer to ${op} was lost`);
      const a = got.message as PgAnswer;
      if (a.id !== id) continue; // the late answer of a call that timed out
      if (!a.ok) throw new SyncCallError(a.message);
      return a.value;
    }
  }

  /** Close the pool (waiting at most the query timeout) and end the worker. Idempotent. */
  close(): void {
    if (this.#closed) return;
    try {
      if (this.#dead === undefined) this.call('close');
    } catch {
      // the worker is ended below in any case
    } finally {
      this.#closed = true;
      this.#port.close();
      void this.#worker.terminate();
    }
  }
}
