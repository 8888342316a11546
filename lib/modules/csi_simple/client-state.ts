/**
 * @module csi_simple/client-state
 * One session's client state (XEP-0352) and what it holds while inactive. Holding is a send
 * filter at priority 100, ahead of stream management's (0), so that what is held was never
 * counted as sent. A flush releases each held element past this filter (`session.release`),
 * in the order they arrived; anything sent to the session during a flush joins the end of it,
 * so nothing overtakes.
 *
 * Presence updates coalesce: the latest from a full JID replaces the one held and moves to the
 * end of the queue (where a fresh one would be), so what the client gets stays in the order
 * its senders sent it (RFC 6120 §10.1). Held stanzas get a XEP-0203 delay stamp on release, as
 * Prosody does, unless they carry one.
 */
import { serialize, withDelay, type Element, type ReceiveObserver, type SendFilter, type Session } from '../../core/api.js';
import { assess, type HeldKind, type Payload, type Verdict } from './importance.js';

/** Above stream management's filter (0): it must only count what reaches the client. */
export const FILTER_PRIORITY = 100;

/** What bounds the held queue (csi_queue_size, csi_queue_max_bytes) and what is important. */
export interface HoldPolicy {
  readonly maxStanzas: number;
  readonly maxBytes: number;
  readonly payloads: readonly Payload[];
  /** The domain named in the delay stamp (XEP-0203 §3: the entity that delayed delivery). */
  readonly host: string;
}

/** What the module hears about: a flush while the client stays inactive (Prosody's csi-flushing). */
export interface StateListener {
  flushed(session: Session, count: number, reason: string): void;
}

interface Held {
  readonly el: Element;
  readonly kind: HeldKind;
  /** When it was held (ms); undefined for an element only passing through during a flush. */
  readonly at: number | undefined;
  readonly bytes: number;
}

/** What end() did with what was held. */
export interface EndSummary {
  readonly dropped: number;
  readonly rerouted: number;
}

export class ClientState {
  readonly #session: Session;
  readonly #policy: HoldPolicy;
  readonly #listener: StateListener;
  #inactive = false;
  /** Insertion order is delivery order; a replaced presence is deleted and set again (moves last). */
  readonly #held = new Map<string, Held>();
  #bytes = 0;
  #seq = 0;
  #draining = false;
  readonly #filter: SendFilter = (el) => this.#outgoing(el);
  readonly #observer: ReceiveObserver = () => this.#clientActivity();

  constructor(session: Session, policy: HoldPolicy, listener: StateListener) {
    this.#session = session;
    this.#policy = policy;
    this.#listener = listener;
  }

  get inactive(): boolean { return this.#inactive; }

  /** `<inactive/>` (XEP-0352 §4.2). Returns whether the state changed. */
  setInactive(): boolean {
    if (this.#inactive) return false;
    this.#inactive = true;
    this.#session.addSendFilter(this.#filter, FILTER_PRIORITY);
    this.#session.addReceiveObserver(this.#observer);
    return true;
  }

  /** `<active/>` (XEP-0352 §4.2): everything held goes out first (§5.1). Returns whether the state changed. */
  setActive(reason: string): boolean {
    if (!this.#inactive) return false;
    this.#inactive = false;
    this.#flush(reason);
    if (!this.#inactive) this.#detach();
    return true;
  }

  /**
   * The session ends (its resource is unbound, so session.send re-routes). Presence is dropped
   * (RFC 6121 §8.5.3.2.2: presence for a resource that is gone is ignored) and so are standalone
   * chat states (XEP-0085 §5.8: not stored offline); anything else goes back through
   * session.send, which re-routes it (another resource, offline storage, or its sender).
   */
  end(): EndSummary {
    this.#detach();
    this.#inactive = false;
    const items = [...this.#held.values()];
    this.#held.clear();
    this.#bytes = 0;
    let dropped = 0;
    let rerouted = 0;
    for (const item of items) {
      if (item.kind === 'presence' || item.kind === 'chatstate') {
        dropped++;
      } else {
        this.#session.send(item.el);
        rerouted++;
      }
    }
    return { dropped, rerouted };
  }

  // ---- the filter and the observer ---------------------------------------------------------

  #outgoing(el: Element): Element | undefined {
    if (this.#draining) {
      // Sent while a flush runs (from a handler it triggered): after what is being flushed.
      this.#queue(el, 'other', undefined, 0);
      return undefined;
    }
    if (!this.#inactive) return el;
    const verdict = this.#assess(el);
    if (!verdict.hold) {
      if (this.#held.size === 0) return el;
      this.#queue(el, 'other', undefined, 0);
      this.#flush(verdict.reason);
      return undefined;
    }
    const key = verdict.kind === 'presence' && typeof el.attrs.from === 'string' ? `p ${el.attrs.from}` : `#${this.#seq++}`;
    const old = this.#held.get(key);
    if (old !== undefined) {
      this.#held.delete(key);
      this.#bytes -= old.bytes;
    }
    const bytes = Buffer.byteLength(serialize(el));
    if (this.#held.size + 1 > this.#policy.maxStanzas || this.#bytes + bytes > this.#policy.maxBytes) {
      // Prosody's csi_queue_size: a full queue is flushed, and this one goes with it.
      this.#queue(el, verdict.kind, undefined, 0);
      this.#flush('queue full');
      return undefined;
    }
    this.#queue(el, verdict.kind, Date.now(), bytes, key);
    return undefined;
  }

  /** Input from the client: its radio is on, so what is held goes now (Prosody 0.12+ flushes on client traffic too). */
  #clientActivity(): void {
    if (this.#inactive && this.#held.size > 0) this.#flush('client activity');
  }

  /** The rules of importance.ts; an element they cannot judge is important (nothing waits on a bug). */
  #assess(el: Element): Verdict {
    try {
      return assess(el, this.#session.fullJid, this.#policy.payloads);
    } catch (err) {
      this.#session.log.error({ err, name: el.name }, 'csi: could not judge a stanza; sent at once');
      return { hold: false, reason: 'unjudged' };
    }
  }

  // ---- the queue ---------------------------------------------------------------------------

  #queue(el: Element, kind: HeldKind, at: number | undefined, bytes: number, key = `#${this.#seq++}`): void {
    this.#held.set(key, { el, kind, at, bytes });
    this.#bytes += bytes;
  }

  /** Hand everything held to session.send, in order (what is added meanwhile goes last). */
  #flush(reason: string): void {
    if (this.#draining || this.#held.size === 0) return;
    this.#draining = true;
    let count = 0;
    try {
      for (const [key, item] of this.#held) {
        this.#held.delete(key);
        this.#bytes -= item.bytes;
        const out = item.at === undefined ? item.el : this.#stamped(item.el, item.at);
        this.#session.release(out, this.#filter);
        if (item.at !== undefined) count++;
      }
    } finally {
      this.#draining = false;
    }
    this.#session.log.debug({ count, reason }, 'csi: flushed held stanzas');
    if (this.#inactive && count > 0) this.#listener.flushed(this.#session, count, reason);
  }

  /** A copy with a XEP-0203 delay stamp (the original may be shared with other recipients). */
  #stamped(el: Element, at: number): Element {
    return withDelay(el, this.#policy.host, at);
  }

  #detach(): void {
    this.#session.removeSendFilter(this.#filter);
    this.#session.removeReceiveObserver(this.#observer);
  }
}
