/**
 * @module host
 * A VirtualHost: its name, event bus and item registry. The global pseudo-host '*' has the
 * server-wide bus. Modules reach hosts only through the module API.
 */
import { EventBus } from './events.js';
import { ItemRegistry } from './items.js';

export class Host {
  readonly name: string;
  readonly events: EventBus;
  readonly items: ItemRegistry;

  constructor(name: string, events = new EventBus()) {
    this.name = name;
    this.events = events;
    this.items = new ItemRegistry(name, events);
  }
}
