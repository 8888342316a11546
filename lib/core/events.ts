/**
 * @module events
 * The event bus (Prosody's util.events, with a defined order): higher priority first, equal
 * priorities in registration order, and the first handler returning anything but `undefined`
 * stops the chain and becomes fire()'s result. Wrappers surround the whole dispatch.
 */
import type { Events } from './api.js';

/** A handler gets the event's one payload object; returning non-undefined stops the chain. */
export type Handler<P = EventPayload> = (payload: P) => unknown;
/** A wrapper gets `next` (the dispatch, or the next wrapper) and decides whether to call it. */
export type Wrapper<P = EventPayload> = (next: (payload: P) => unknown, payload: P, event: string) => unknown;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventPayload = Record<string, any>;

interface Entry {
  readonly handler: Handler;
  readonly priority: number;
  readonly seq: number;
}

/** A declared event name: a key of `Events` (api.ts), or one of its template patterns. */
export type EventName = Extract<keyof Events, string>;

/** The payload type of an event name: declared ones are typed, others are a plain record. */
export type PayloadOf<E extends string> = E extends keyof Events ? Events[E] : EventPayload;

const ANY = '*';

export class EventBus {
  #handlers = new Map<string, Entry[]>();
  #wrappers = new Map<string, Wrapper[]>();
  #seq = 0;

  /** Register `handler` for `event`. Registering the same function again changes nothing. */
  on<E extends string>(event: E, handler: Handler<PayloadOf<E>>, priority = 0): void {
    const list = this.#handlers.get(event) ?? [];
    if (list.some((e) => e.handler === (handler as unknown as Handler))) return;
    const entry: Entry = { handler: handler as unknown as Handler, priority, seq: this.#seq++ };
    // Insert keeping (priority desc, seq asc): a copy, so a dispatch in progress is unaffected.
    const next = list.slice();
    let i = next.length;
    while (i > 0 && next[i - 1]!.priority < priority) i--;
    next.splice(i, 0, entry);
    this.#handlers.set(event, next);
  }

  /** Remove `handler` from `event`. Returns whether it was registered. */
  off<E extends string>(event: E, handler: Handler<PayloadOf<E>>): boolean {
    const list = this.#handlers.get(event);
    if (!list) return false;
    const next = list.filter((e) => e.handler !== (handler as unknown as Handler));
    if (next.length === list.length) return false;
    if (next.length === 0) this.#handlers.delete(event);
    else this.#handlers.set(event, next);
    return true;
  }

  /** Wrap every dispatch of `event` ('*' for all events). The last added runs outermost. */
  addWrapper<E extends string>(event: E | '*', wrapper: Wrapper<PayloadOf<E>>): void {
    const list = (this.#wrappers.get(event) ?? []).slice();
    list.push(wrapper as unknown as Wrapper);
    this.#wrappers.set(event, list);
  }

  removeWrapper<E extends string>(event: E | '*', wrapper: Wrapper<PayloadOf<E>>): boolean {
    const list = this.#wrappers.get(event);
    if (!list) return false;
    const next = list.filter((w) => w !== (wrapper as unknown as Wrapper));
    if (next.length === list.length) return false;
    if (next.length === 0) this.#wrappers.delete(event);
    else this.#wrappers.set(event, next);
    return true;
  }

  /** Whether any handler is registered for `event`. */
  has(event: string): boolean {
    return this.#handlers.has(event);
  }

  /** Handlers of `event` in dispatch order (for tests and introspection). */
  handlers(event: string): Handler[] {
    return (this.#handlers.get(event) ?? []).map((e) => e.handler);
  }

  /** Dispatch `payload` to `event`'s handlers; returns the first non-undefined result. */
  fire<E extends string>(event: E, payload: PayloadOf<E>): unknown {
    const own = this.#wrappers.get(event);
    const any = this.#wrappers.get(ANY);
    if (!own && !any) return this.#dispatch(event, payload);
    let next = (p: PayloadOf<E>): unknown => this.#dispatch(event, p);
    for (const wrapper of [...(any ?? []), ...(own ?? [])] as unknown as Wrapper<PayloadOf<E>>[]) {
      const inner = next;
      next = (p) => wrapper(inner, p, event);
    }
    return next(payload);
  }

  #dispatch(event: string, payload: unknown): unknown {
    const list = this.#handlers.get(event);
    if (!list) return undefined;
    for (let i = 0; i < list.length; i++) {
      const result = list[i]!.handler(payload as EventPayload);
      if (result !== undefined) return result;
    }
    return undefined;
  }
}
