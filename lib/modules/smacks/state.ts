/**
 * @module smacks/state
 * One session's stream management state (XEP-0198): the count of stanzas handled from the
 * client, the stanzas sent to it and not yet acknowledged (in order), and the arithmetic on
 * `h`, which is an unsigned 32-bit counter that wraps (XEP-0198 §4).
 */
import { serialize, withDelay, type Element, type SendFilter } from '../../core/api.js';

export const NS_SM2 = 'urn:xmpp:sm:2';
export const NS_SM3 = 'urn:xmpp:sm:3';
export const SM_NAMESPACES: readonly string[] = [NS_SM3, NS_SM2];

const MOD = 2 ** 32;

/** `n` as an unsigned 32-bit counter value (n is an integer within ±2^53). */
export function uint32(n: number): number {
  return n >>> 0;
}

/** An `h` attribute (XEP-0198 §4: an unsigned integer below 2^32), or undefined. */
export function parseH(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n < MOD ? n : undefined;
}

/**
 * Whether an element is a stanza (what XEP-0198 counts), not a nonza. By name only: a
 * message, presence or iq outside jabber:client never gets this far (the core closes the
 * stream with invalid-namespace, and the server sends none).
 */
export function isStanza(el: Element): boolean {
  const name = el.name;
  return name === 'message' || name === 'presence' || name === 'iq';
}

/** One unacknowledged stanza: the element and when it was first sent. */
export interface Unacked {
  readonly el: Element;
  readonly at: number;
}

export class StreamState {
  readonly xmlns: string;
  /** The resumption id (`<enabled id>`), when the client asked for resumption. */
  token: string | undefined;
  /** Seconds this session stays resumable after a cut (`<enabled max>`). */
  maxSeconds = 0;
  /** Stanzas handled from the client (its `h` for our acks). */
  handled = 0;
  /** Stanzas the client acknowledged (our last received `h`). */
  acked = 0;
  /** The client said it is inactive (XEP-0352): fewer ack requests. */
  inactive = false;
  /** While hibernating: the serialised bytes of what is held (smacks_max_hibernation_bytes). */
  heldBytes = 0;
  /** An `<r/>` is out and not answered yet. */
  awaitingAck = false;
  /** This session's send filter (what it releases goes past it). */
  filter: SendFilter | undefined;
  /** Persisted for a resumption after a restart: the close does not re-route the queue. */
  persisted = false;
  hibernationTimer: NodeJS.Timeout | undefined;
  /** Answers smacks-ack-delayed when an `<r/>` stays unanswered. */
  ackTimer: NodeJS.Timeout | undefined;
  /** Asks for an ack when stanzas wait unacknowledged below the threshold. */
  delayTimer: NodeJS.Timeout | undefined;
  ackScheduled = false;
  // The unacknowledged stanzas, oldest first, from #head on: two flat arrays and an index,
  // so queueing allocates nothing per stanza and an ack only moves #head (XEP-0198 §4).
  #els: (Element | undefined)[] = [];
  #times: number[] = [];
  #head = 0;

  constructor(xmlns: string) {
    this.xmlns = xmlns;
  }

  /** Stanzas sent and not acknowledged. */
  get unacked(): number {
    return this.#els.length - this.#head;
  }

  /** The count of stanzas sent (modulo 2^32). */
  get sent(): number {
    return uint32(this.acked + this.unacked);
  }

  /** A stanza from the client was handled. */
  received(): void {
    this.handled = (this.handled + 1) >>> 0;
  }

  /** A stanza was sent to the client (or queued while it is away). */
  queue(el: Element, at: number): void {
    this.#els.push(el);
    this.#times.push(at);
  }

  /**
   * The client acknowledged everything up to `h`. False (nothing changed) when `h` counts
   * more than was sent: XEP-0198 §4 handled-count-too-high.
   */
  ack(h: number): boolean {
    const n = uint32(h - this.acked);
    if (n > this.unacked) return false;
    const els = this.#els;
    const end = this.#head + n;
    for (let i = this.#head; i < end; i++) els[i] = undefined;
    this.#head = end;
    if (end === els.length) {
      els.length = 0;
      this.#times.length = 0;
      this.#head = 0;
    } else if (end > 64 && end * 2 > els.length) {
      // Mostly acknowledged: move the rest to the front once, not on every ack.
      els.splice(0, end);
      this.#times.splice(0, end);
      this.#head = 0;
    }
    this.acked = uint32(h);
    return true;
  }

  /** The serialised size of every unacknowledged stanza (when the session goes to sleep). */
  queuedBytes(): number {
    let bytes = 0;
    for (let i = this.#head; i < this.#els.length; i++) bytes += serialize(this.#els[i]!).length;
    return bytes;
  }

  /** The unacknowledged stanzas, oldest first, each with a XEP-0203 delay stamp of when it was sent. */
  pending(host: string): Element[] {
    return this.entries().map(({ el, at }) => (el.name === 'iq' ? el : withDelay(el, host, at)));
  }

  /** Take every unacknowledged stanza out (the session ends: they are re-routed). */
  drain(): Unacked[] {
    const out = this.entries();
    this.#els = [];
    this.#times = [];
    this.#head = 0;
    return out;
  }

  /** The unacknowledged stanzas with the time each was sent (resumption, a restart). */
  entries(): Unacked[] {
    const out: Unacked[] = [];
    for (let i = this.#head; i < this.#els.length; i++) out.push({ el: this.#els[i]!, at: this.#times[i]! });
    return out;
  }

  clearTimers(): void {
    clearTimeout(this.hibernationTimer);
    clearTimeout(this.ackTimer);
    clearTimeout(this.delayTimer);
    this.hibernationTimer = undefined;
    this.ackTimer = undefined;
    this.delayTimer = undefined;
  }
}
