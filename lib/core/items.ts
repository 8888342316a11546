/**
 * @module items
 * Typed items that modules provide (`module.provides('http', app)`) and others consume
 * (`module.handleItems('http', added, removed)`). One mechanism: items live per host and
 * their arrival and departure are the events `item-added/<kind>` and `item-removed/<kind>`.
 */
import type { EventBus } from './events.js';

import type { Items } from './api.js';

export type ItemKind = keyof Items extends never ? string : keyof Items | (string & {});
export type ItemOf<K extends string> = K extends keyof Items ? Items[K] : unknown;

/** One provided item and who provided it. */
export interface ItemRecord<T = unknown> {
  readonly kind: string;
  readonly item: T;
  /** The providing module's name and the host it was provided on ('*' for global). */
  readonly module: string;
  readonly host: string;
}

/** `item-added/<kind>` and `item-removed/<kind>` on the host's bus. */
export interface ItemEvent {
  readonly record: ItemRecord;
  readonly item: unknown;
  readonly kind: string;
  readonly module: string;
  readonly host: string;
}

declare module './api.js' {
  interface Events {
    [added: `item-added/${string}`]: ItemEvent;
    [removed: `item-removed/${string}`]: ItemEvent;
  }
}

/** Items of one host, announced on that host's event bus. */
export class ItemRegistry {
  readonly #bus: EventBus;
  readonly #host: string;
  #items = new Map<string, ItemRecord[]>();

  constructor(host: string, bus: EventBus) {
    this.#host = host;
    this.#bus = bus;
  }

  add(kind: string, item: unknown, module: string): ItemRecord {
    const record: ItemRecord = Object.freeze({ kind, item, module, host: this.#host });
    this.#items.set(kind, [...(this.#items.get(kind) ?? []), record]);
    this.#bus.fire(`item-added/${kind}`, { record, item, kind, module, host: this.#host });
    return record;
  }

  remove(record: ItemRecord): void {
    const list = this.#items.get(record.kind);
    if (!list || !list.includes(record)) return;
    this.#items.set(record.kind, list.filter((r) => r !== record));
    this.#bus.fire(`item-removed/${record.kind}`, { record, item: record.item, kind: record.kind, module: record.module, host: this.#host });
  }

  get(kind: string): readonly ItemRecord[] {
    return this.#items.get(kind) ?? [];
  }
}
