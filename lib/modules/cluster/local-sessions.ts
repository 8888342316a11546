/**
 * @module cluster/local-sessions
 * This node's bound sessions as the cluster publishes them. A session's record goes out when
 * it binds, after any stanza of its client that changed what other nodes see (presence,
 * priority, roster interest, the shared session data: compared after the stanza was
 * processed, in one batch per turn of the event loop), at each heartbeat (state changes the
 * client did not cause, such as hibernation), and its removal when it unbinds.
 */
import type { Element, ReceiveObserver, Session } from '../../core/api.js';
import { recordOf, type SessionRecord } from './records.js';

/** What a session looked like when its record was last published (compared by identity). */
interface Snapshot {
  presence: Element | undefined;
  priority: number;
  interested: boolean;
  hibernating: boolean;
  data: unknown[];
}

export interface Publisher {
  set(record: SessionRecord): void;
  del(full: string): void;
}

export class LocalSessions {
  readonly #shared: readonly string[];
  readonly #sharedSet: ReadonlySet<string>;
  readonly #publisher: Publisher;
  readonly #tracked = new Map<Session, { full: string; snapshot: Snapshot }>();
  readonly #dirty = new Set<Session>();
  #flushScheduled = false;
  readonly #observer: ReceiveObserver = (_el, session) => { this.#markDirty(session); };

  constructor(shared: ReadonlySet<string>, publisher: Publisher) {
    this.#sharedSet = shared;
    this.#shared = [...shared];
    this.#publisher = publisher;
  }

  /** A local session bound its resource. */
  bound(session: Session): void {
    const record = recordOf(session, this.#sharedSet);
    if (record === undefined) return;
    this.#tracked.set(session, { full: record.full, snapshot: this.#snapshot(session) });
    session.addReceiveObserver(this.#observer);
    this.#publisher.set(record);
  }

  /** A local session released its resource. */
  unbound(session: Session): void {
    const entry = this.#tracked.get(session);
    if (entry === undefined) return;
    this.#tracked.delete(session);
    this.#dirty.delete(session);
    session.removeReceiveObserver(this.#observer);
    this.#publisher.del(entry.full);
  }

  /** Compare every session now (the heartbeat's sweep). */
  sweep(): void {
    for (const session of this.#tracked.keys()) this.#check(session);
  }

  /** Every tracked session's record (a full republication). */
  records(): SessionRecord[] {
    const out: SessionRecord[] = [];
    for (const session of this.#tracked.keys()) {
      const record = recordOf(session, this.#sharedSet);
      if (record !== undefined) out.push(record);
      this.#tracked.get(session)!.snapshot = this.#snapshot(session);
    }
    return out;
  }

  /** How many local sessions are published. */
  get size(): number {
    return this.#tracked.size;
  }

  /** Stop observing every session (the module unloads). */
  clear(): void {
    for (const session of this.#tracked.keys()) session.removeReceiveObserver(this.#observer);
    this.#tracked.clear();
    this.#dirty.clear();
  }

  #markDirty(session: Session): void {
    this.#dirty.add(session);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const batch = [...this.#dirty];
      this.#dirty.clear();
      for (const s of batch) this.#check(s);
    });
  }

  #check(session: Session): void {
    const entry = this.#tracked.get(session);
    if (entry === undefined || !session.bound) return;
    const now = this.#snapshot(session);
    if (sameSnapshot(entry.snapshot, now)) return;
    entry.snapshot = now;
    const record = recordOf(session, this.#sharedSet);
    if (record !== undefined) this.#publisher.set(record);
  }

  #snapshot(session: Session): Snapshot {
    return {
      presence: session.presence,
      priority: session.priority,
      interested: session.interested,
      hibernating: session.hibernating,
      data: this.#shared.map((k) => session.data[k]),
    };
  }
}

function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  if (a.presence !== b.presence || a.priority !== b.priority || a.interested !== b.interested || a.hibernating !== b.hibernating) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}
