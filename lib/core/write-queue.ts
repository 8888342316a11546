/**
 * @module write-queue
 * Batched storage writes. A write deferred here runs with every other write of the same turn
 * of the event loop in one storage transaction (one commit instead of one per message), at
 * `setImmediate`, or earlier when someone calls `flush()`: before a stream management ack
 * (so an acknowledged stanza is stored before the client learns it was received), before a
 * read that must see it, and at stop. A batch that fails is retried write by write, so one bad
 * write never takes the others with it; each failure is logged.
 */
import type { Logger } from './log.js';
import type { StorageDriver } from './storage/store.js';

export class WriteQueue {
  readonly #storage: () => StorageDriver;
  readonly #log: Logger;
  #pending: (() => void)[] = [];
  #immediate: NodeJS.Immediate | undefined;

  constructor(storage: () => StorageDriver, log: Logger) {
    this.#storage = storage;
    this.#log = log;
  }

  /** Run `write` with the next batch. */
  defer(write: () => void): void {
    this.#pending.push(write);
    this.#immediate ??= setImmediate(() => { this.flush(); });
  }

  /** Writes waiting for the next batch. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Run every waiting write now, in one transaction. */
  flush(): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
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
