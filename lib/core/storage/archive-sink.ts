/**
 * @module storage/archive-sink
 * Where archived items go on their way to storage. `WorkerSink` hands them to the SQLite worker
 * thread (storage-worker.ts) once per turn of the event loop, so the event loop never holds
 * them long nor waits for their commit; barriers (`stored()`) resolve when the worker has
 * committed everything handed over before them. If the worker fails, what it had not committed
 * is reported lost and later items go to the fallback (written on the event loop).
 */
import type { Worker } from 'node:worker_threads';
import { packRow, ROW_SEP, type FromWorker, type ToWorker, type WorkerRow } from './storage-worker-protocol.js';

export type { WorkerRow as ArchiveRowFor } from './storage-worker-protocol.js';

/** The path of archived items to storage. */
export interface ArchiveSink {
  /** Hand over an archived item; it is written soon, in order. */
  add(row: WorkerRow): void;
  /** Resolves once everything added so far is committed. */
  stored(): Promise<void>;
  /** Delete a user's archives on a host, after everything added so far. */
  purgeUser(host: string, user: string): void;
  /** Write what is left and stop. */
  close(): Promise<void>;
}

/** Rows per string handed to the worker (a few tens of KiB). */
const CHUNK = 64;

export class WorkerSink implements ArchiveSink {
  readonly #worker: Worker;
  readonly #fallback: ArchiveSink;
  readonly #onError: (message: string) => void;
  /** Rows of this turn, each packed into one string (see packRow). */
  #rows: string[] = [];
  /** The same rows, kept as they are only until handed over (for the fallback). */
  #pendingRows: WorkerRow[] = [];
  /** The value of the last row packed into this turn's rows (the next equal one travels as a reference). */
  #lastValue: string | undefined;
  #immediate: NodeJS.Immediate | undefined;
  readonly #barriers = new Map<number, () => void>();
  /** Rows (and purges) handed over so far, and how many of them the worker has confirmed done. */
  #added = 0;
  #committed = 0;
  #nextBarrier = 0;
  #failed = false;
  #stopped: (() => void) | undefined;

  constructor(worker: Worker, fallback: ArchiveSink, onError: (message: string) => void) {
    this.#worker = worker;
    this.#fallback = fallback;
    this.#onError = onError;
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'stored') {
        this.#barriers.get(m.id)?.();
        this.#barriers.delete(m.id);
      } else if (m.t === 'error') {
        onError(m.rows !== undefined ? `${m.rows} archive rows not written: ${m.message}` : m.message);
      } else if (m.t === 'stopped') {
        this.#stopped?.();
      }
    });
    worker.on('error', (err) => { this.#fail(`storage worker failed: ${err.message}`); });
    worker.on('exit', () => { if (this.#stopped === undefined) this.#fail('storage worker exited'); });
  }

  #fail(message: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#onError(`${message}; archive rows are written on the event loop from now on`);
    for (const resolve of this.#barriers.values()) resolve();
    this.#barriers.clear();
    for (const row of this.#pendingRows) this.#fallback.add(row);
    this.#rows = [];
    this.#pendingRows = [];
  }

  #post(): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
    if (this.#rows.length === 0 || this.#failed) return;
    // strings of up to CHUNK rows: each copied at once (an array of objects is cloned field by
    // field), and small enough to stay out of V8's large-object space (only a full GC frees that)
    const rows: string[] = [];
    for (let i = 0; i < this.#rows.length; i += CHUNK) rows.push(this.#rows.slice(i, i + CHUNK).join(ROW_SEP));
    this.#rows = [];
    this.#pendingRows = [];
    this.#lastValue = undefined;
    this.#send({ t: 'rows', rows });
  }

  #send(m: ToWorker): void {
    this.#worker.postMessage(m);
  }

  add(row: WorkerRow): void {
    if (this.#failed) {
      this.#fallback.add(row);
      return;
    }
    this.#added++;
    const value = row.entry.value;
    this.#rows.push(packRow(row, value === this.#lastValue));
    this.#lastValue = value;
    this.#pendingRows.push(row);
    this.#immediate ??= setImmediate(() => { this.#post(); });
  }

  stored(): Promise<void> {
    if (this.#failed) return this.#fallback.stored();
    if (this.#committed === this.#added) return Promise.resolve(); // nothing on its way: no round trip
    this.#post();
    const id = ++this.#nextBarrier;
    const upTo = this.#added;
    return new Promise((resolve) => {
      this.#barriers.set(id, () => {
        if (upTo > this.#committed) this.#committed = upTo;
        resolve();
      });
      this.#send({ t: 'barrier', id });
    });
  }

  purgeUser(host: string, user: string): void {
    if (this.#failed) return this.#fallback.purgeUser(host, user);
    this.#added++; // a barrier after it waits for it, as for a row
    this.#post();
    this.#send({ t: 'purge', host, user });
  }

  /** Stop the worker now, without writing what it holds (the storage is closing under it). */
  abort(): void {
    this.#stopped ??= () => undefined;
    void this.#worker.terminate();
  }

  async close(): Promise<void> {
    if (this.#failed) return this.#fallback.close();
    this.#post();
    this.#worker.ref(); // the worker runs unref'd; until it has stopped, it keeps the process alive
    // done when it says so, or when it is gone (it failed, say because its file was removed)
    const done = new Promise<void>((resolve) => {
      this.#stopped = resolve;
      this.#worker.once('exit', () => { resolve(); });
    });
    this.#send({ t: 'stop' });
    const timeout = new Promise<void>((resolve) => { setTimeout(resolve, 30_000).unref(); });
    await Promise.race([done, timeout]);
    await this.#worker.terminate();
  }
}
