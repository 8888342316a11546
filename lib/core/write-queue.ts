/**
 * @module write-queue
 * Batched storage writes. A write deferred here runs with the others deferred in the next
 * 50 ms (at most 5,000) in one storage transaction, one commit instead of one per message, or
 * earlier when someone calls `flush()`: before a stream management ack
 * (so an acknowledged stanza is stored before the client learns it was received), before a
 * read that must see it, and at stop. A batch that fails is retried write by write, so one bad
 * write never takes the others with it; each failure is logged.
 */
import type { Logger } from './log.js';
import type { StorageDriver } from './storage/store.js';

/** A batch is written this long after its first write at the latest... */
const BATCH_MS = 50;
/** ...or as soon as it holds this many writes (so one commit never holds up the event loop for long). */
const MAX_BATCH = 5000;

export class WriteQueue {
  readonly #storage: () => StorageDriver;
  readonly #log: Logger;
  #pending: (() => void)[] = [];
  #immediate: NodeJS.Timeout | undefined;

  constructor(storage: () => StorageDriver, log: Logger) {
    this.#storage = storage;
    this.#log = log;
  }

  /** Run `write` with the next batch. */
  defer(write: () => void): void {
    this.#pending.push(write);
    if (this.#pending.length >= MAX_BATCH) this.flush();
    else this.#immediate ??= setTimeout(() => { this.flush(); }, BATCH_MS);
  }

  /** Writes waiting for the next batch. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Run every waiting write now, in one transaction. */
  flush(): void {
    if (this.#immediate !== undefined) {
      clearTimeout(this.#immediate);
      this.#immediate = undefined;
    }
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const storage = this.#storage();
    try {
      storage.transaction(() => { for (const write of batch) write(); });
    } catch (err) {
      this.#log.warn({ err, writes: batch.length }, 'a batch of storage writes failed; retrying one by one');
      for (const write of batch) {
        try {
          write();
        } catch (e) {
          this.#log.error({ err: e }, 'a storage write failed');
        }
      }
    }
  }
}
