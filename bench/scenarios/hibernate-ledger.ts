/**
 * @module bench/scenarios/hibernate-ledger
 * The exactly-once bookkeeping of the hibernate scenario: every message queued for a
 * hibernating session has an id naming the session and its number, and is counted where it
 * arrived: on the resumed connection, or at a later login (offline storage).
 */
import { randomBytes } from 'node:crypto';
import { attribute } from '../client/stanza-text.js';
import type { Delivery } from '../protocol.js';

/** Where a queued message arrived. */
export type Channel = 'resume' | 'login';

export class Ledger {
  /** Starts every id of this run (so messages of an earlier run are told apart). */
  readonly prefix = `hib${randomBytes(4).toString('hex')}-`;
  readonly perSession: number;
  /** Arrivals by (session index * perSession + message number), per channel. */
  readonly #counts: Record<Channel, Uint16Array>;
  readonly #arrived: Record<Channel, number> = { resume: 0, login: 0 };
  /** Ours, but at the wrong session. */
  misrouted = 0;
  /** Messages of an earlier run (left in offline storage by it). */
  stale = 0;
  /** performance.now() of the last arrival. */
  lastArrival = 0;

  constructor(sessions: number, perSession: number) {
    this.perSession = perSession;
    this.#counts = { resume: new Uint16Array(sessions * perSession), login: new Uint16Array(sessions * perSession) };
  }

  /** The id of message `k` for session `index`. */
  id(index: number, k: number): string {
    return `${this.prefix}${index}-${k}`;
  }

  /** Total arrivals (duplicates included) on a channel. */
  arrived(channel: Channel): number {
    return this.#arrived[channel];
  }

  /** Count a stanza that arrived at session `index` on `channel` (anything but our messages is ignored). */
  record(index: number, channel: Channel, text: string): void {
    if (!text.startsWith('<message')) return;
    const id = attribute(text, 'id');
    if (id === undefined || attribute(text, 'type') === 'error') return;
    if (!id.startsWith(this.prefix)) {
      if (id.startsWith('hib')) this.stale++;
      return;
    }
    const [to, k] = id.slice(this.prefix.length).split('-').map(Number);
    if (to !== index || k === undefined || !(k >= 0 && k < this.perSession)) {
      this.misrouted++;
      return;
    }
    this.#counts[channel][index * this.perSession + k]!++;
    this.#arrived[channel]++;
    this.lastArrival = performance.now();
  }

  /** Exactly once over some sessions, counting arrivals on the given channels together. */
  delivery(indices: readonly number[], channels: readonly Channel[]): Delivery {
    let delivered = 0;
    let duplicated = 0;
    for (const i of indices) {
      for (let k = 0; k < this.perSession; k++) {
        let n = 0;
        for (const ch of channels) n += this.#counts[ch][i * this.perSession + k]!;
        if (n > 0) delivered++;
        if (n > 1) duplicated += n - 1;
      }
    }
    const expected = indices.length * this.perSession;
    return { sessions: indices.length, expected, delivered, lost: expected - delivered, duplicated };
  }

  /** Arrivals on `channel` for some sessions (e.g. late copies of messages already resumed). */
  count(indices: readonly number[], channel: Channel): number {
    let n = 0;
    for (const i of indices) for (let k = 0; k < this.perSession; k++) n += this.#counts[channel][i * this.perSession + k]!;
    return n;
  }
}
