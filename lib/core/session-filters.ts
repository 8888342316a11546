/**
 * @module session-filters
 * The per-session hooks of stream-level modules (stream management): send filters that see
 * each element going to the client and may take it, observers of each element the client
 * sent, and what a cut connection means. Most sessions have none; a session creates this
 * only when a module adds the first one.
 */
import type { CloseReason } from './session-events.js';
import type { ReceiveObserver, SendFilter, Session } from './session-view.js';
import type { Element } from './xml.js';

export class SessionFilters {
  /** In priority order (higher first; equal priorities in the order they were added). */
  #send: readonly { readonly fn: SendFilter; readonly priority: number }[] = [];
  #observers: readonly ReceiveObserver[] = [];
  /** Returns true to keep the session (hibernating) when its connection is cut. */
  dropHandler: ((reason: CloseReason) => boolean) | undefined;

  addSend(fn: SendFilter, priority: number): void {
    const list = this.#send.filter((f) => f.fn !== fn);
    let i = list.length;
    while (i > 0 && list[i - 1]!.priority < priority) i--;
    list.splice(i, 0, { fn, priority });
    this.#send = list;
  }

  removeSend(fn: SendFilter): void {
    this.#send = this.#send.filter((f) => f.fn !== fn);
  }

  addObserver(fn: ReceiveObserver): void {
    this.#observers = [...this.#observers.filter((o) => o !== fn), fn];
  }

  removeObserver(fn: ReceiveObserver): void {
    this.#observers = this.#observers.filter((o) => o !== fn);
  }

  /**
   * `el` through the send filters (those after `after` only, when a filter releases what it
   * held): what to send, or undefined when a filter took it.
   */
  filter(el: Element, session: Session, after?: SendFilter): Element | undefined {
    const list = this.#send;
    let i = after === undefined ? 0 : list.findIndex((f) => f.fn === after) + 1;
    let out: Element | undefined = el;
    for (; i < list.length && out !== undefined; i++) out = list[i]!.fn(out, session);
    return out;
  }

  observe(el: Element, session: Session): void {
    const list = this.#observers;
    for (let i = 0; i < list.length; i++) list[i]!(el, session);
  }
}
