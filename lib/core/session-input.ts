/**
 * @module session-input
 * Fairness on the way in: one connection gets at most `c2s_max_stanzas_per_turn` elements
 * and about `c2s_max_bytes_per_turn` bytes processed per event-loop turn. Beyond that its
 * input is paused and the rest of what was already read waits in a small inbox for the next
 * turns, so a client flooding the server cannot starve everyone else, and a burst of large
 * stanzas reaches its recipients spread over turns that let their connections drain. A rate limiter (the `limits` module) can pause input as well.
 * Order is kept: once something waits, everything after it (a stream header, a stream close,
 * a parse error) waits behind it. A module can also hold the input while it finishes an
 * asynchronous step (SASL), so pipelined input is processed after it, in order.
 */
import type { SessionSettings } from './session-options.js';
import type { StreamAttrs, Transport } from './transport.js';
import type { Element } from './xml.js';

/** Something the transport handed in: a stream header, an element, the peer's stream close, or an input error. */
export type Inbound =
  | { readonly kind: 'open'; readonly attrs: StreamAttrs }
  | { readonly kind: 'element'; readonly el: Element }
  | { readonly kind: 'close' }
  | { readonly kind: 'error'; readonly condition: string; readonly text: string | undefined; readonly code: number | undefined };

/** What the input needs from its session. */
export interface InputOwner {
  readonly transport: Transport;
  /** Process one inbound item now. */
  process(item: Inbound): void;
  /** Process one element now (the common case, without wrapping it in an item). */
  processElement(el: Element): void;
}

/** Paces input by bytes (a token bucket): returns how many ms to wait before reading more. */
export interface InputLimiter {
  take(bytes: number): number;
}

// Event-loop turns: a counter bumped once per turn, scheduled only when someone reads it.
let turn = 0;
let turnScheduled = false;
function nextTurn(): void {
  turn++;
  turnScheduled = false;
}
function currentTurn(): number {
  if (!turnScheduled) {
    turnScheduled = true;
    setImmediate(nextTurn);
  }
  return turn;
}

/** Shared by every input with nothing waiting (most of them): no array per session. */
const NONE: never[] = [];

const PAUSED_FAIRNESS = 1;
const PAUSED_RATE = 2;
const PAUSED_HOLD = 4;

/** The per-turn budget of one connection. */
export interface TurnBudget {
  readonly stanzas: number;
  readonly bytes: number;
}

const budgets = new WeakMap<SessionSettings, TurnBudget>();

/** A connection's share of one event-loop turn, from its host's settings (one object per host). */
export function turnBudget(settings: SessionSettings): TurnBudget {
  let budget = budgets.get(settings);
  if (budget === undefined) {
    budget = Object.freeze({ stanzas: settings.c2s_max_stanzas_per_turn, bytes: settings.c2s_max_bytes_per_turn });
    budgets.set(settings, budget);
  }
  return budget;
}

export class SessionInput {
  #owner: InputOwner;
  #budget: TurnBudget;
  #turn = -1;
  #count = 0;
  #bytes = 0;
  #inbox: Inbound[] = NONE;
  #scheduled = false;
  #paused = 0;
  /** Whether the transport was asked to stop reading. */
  #transportPaused = false;
  #limiter: InputLimiter | undefined;
  #rateTimer: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(owner: InputOwner, budget: TurnBudget) {
    this.#owner = owner;
    this.#budget = budget;
  }

  /** A resumed session takes over this input with its connection. */
  rebind(owner: InputOwner): void {
    this.#owner = owner;
  }

  /** Set the per-turn budget (the host's settings, once the stream names its host). */
  set budget(budget: TurnBudget) {
    this.#budget = budget;
  }

  /** The rate limiter in force (undefined: none). */
  get limiter(): InputLimiter | undefined {
    return this.#limiter;
  }

  set limiter(limiter: InputLimiter | undefined) {
    this.#limiter = limiter;
    if (limiter === undefined && (this.#paused & PAUSED_RATE) !== 0) {
      clearTimeout(this.#rateTimer);
      this.#resume(PAUSED_RATE);
    }
  }

  /** Elements waiting for a later turn. */
  get waiting(): number {
    return this.#inbox.length;
  }

  /** Hand `item` to the session now, or queue it behind what waits / beyond the turn's budget. */
  /** An element: processed now when nothing waits and the turn has room (no allocation), else queued. */
  element(el: Element): void {
    if (this.#ended) return;
    if (this.#inbox.length === 0 && (this.#paused & PAUSED_HOLD) === 0 && this.#admit()) {
      this.#owner.processElement(el);
      return;
    }
    if (this.#inbox === NONE) this.#inbox = [];
    this.#inbox.push({ kind: 'element', el });
    this.#pause(PAUSED_FAIRNESS);
    this.#schedule();
  }

  push(item: Inbound): void {
    if (this.#ended) return;
    if (this.#inbox.length === 0 && (this.#paused & PAUSED_HOLD) === 0 && this.#admit()) {
      this.#owner.process(item);
      return;
    }
    if (this.#inbox === NONE) this.#inbox = [];
    this.#inbox.push(item);
    this.#pause(PAUSED_FAIRNESS);
    this.#schedule();
  }

  /** Process nothing more until release(): what arrives waits, in order, and reading pauses. */
  hold(): void {
    if (!this.#ended) this.#pause(PAUSED_HOLD);
  }

  /** Go on with what waited during hold(), on a later turn. */
  release(): void {
    if ((this.#paused & PAUSED_HOLD) === 0 || this.#ended) return;
    if (this.#inbox.length > 0) {
      this.#paused = (this.#paused & ~PAUSED_HOLD) | PAUSED_FAIRNESS;
      this.#schedule();
    } else {
      this.#resume(PAUSED_HOLD);
    }
  }

  /** `bytes` were read from the connection: they count against the turn and the rate limiter. */
  bytes(n: number): void {
    this.#sameTurn();
    this.#bytes += n;
    const limiter = this.#limiter;
    if (limiter === undefined || this.#ended) return;
    const wait = limiter.take(n);
    if (wait <= 0 || (this.#paused & PAUSED_RATE) !== 0) return;
    this.#pause(PAUSED_RATE);
    this.#rateTimer = setTimeout(() => { this.#resume(PAUSED_RATE); }, wait);
    this.#rateTimer.unref();
  }

  /** Process the next waiting item now, whatever the budget (the connection is gone). */
  flushOne(): void {
    const item = this.#inbox.shift();
    if (item !== undefined) this.#owner.process(item);
  }

  /** The session is over: drop what waits (a closed session processes nothing more). */
  end(): void {
    this.#ended = true;
    this.#inbox = NONE;
    clearTimeout(this.#rateTimer);
  }

  #sameTurn(): void {
    const now = currentTurn();
    if (now !== this.#turn) {
      this.#turn = now;
      this.#count = 0;
      this.#bytes = 0;
    }
  }

  #admit(): boolean {
    this.#sameTurn();
    // The element whose bytes went over the budget still runs: a turn always makes progress.
    return ++this.#count <= this.#budget.stanzas && (this.#count === 1 || this.#bytes <= this.#budget.bytes);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (!this.#ended && this.#inbox.length > 0 && (this.#paused & PAUSED_HOLD) === 0) {
      if (!this.#admit()) {
        this.#schedule();
        return;
      }
      this.#owner.process(this.#inbox.shift()!);
    }
    if (!this.#ended && (this.#paused & PAUSED_HOLD) === 0) this.#resume(PAUSED_FAIRNESS);
  }

  #pause(reason: number): void {
    this.#paused |= reason;
    if (!this.#transportPaused) {
      this.#transportPaused = true;
      this.#owner.transport.pauseInput?.();
    }
  }

  #resume(reason: number): void {
    this.#paused &= ~reason;
    if (this.#paused === 0 && this.#transportPaused && !this.#ended) {
      this.#transportPaused = false;
      this.#owner.transport.resumeInput?.();
    }
  }
}
