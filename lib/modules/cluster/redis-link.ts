/**
 * @module cluster/redis-link
 * The node's two Redis connections: one for commands and publishing, one subscribed to the
 * registry channel and the node's own channel. ioredis reconnects both after a failure
 * (growing delay up to one second) and subscribes again; the cluster is told when each is
 * back so it can publish its sessions again and reload the others'. While Redis is away,
 * commands fail at once (no offline queue): a stanza for a remote session is bounced then,
 * never held in a queue that may never drain.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../core/api.js';

export interface LinkEvents {
  /** A message on a subscribed channel. */
  message(channel: string, text: string): void;
  /** The command connection is ready again after a failure (not on the first connection). */
  reconnected(): void;
  /** The subscriber is subscribed again after a failure: what was published meanwhile was missed. */
  resubscribed(): void;
}

/** Most milliseconds between reconnection attempts. */
const MAX_RETRY_DELAY_MS = 1000;
/** How long the first connection may take before the module refuses to load. */
const CONNECT_TIMEOUT_MS = 5000;

export class RedisLink {
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly #log: Logger;
  readonly #events: LinkEvents;
  /** The registry channel and this node's own. */
  readonly #channels: readonly string[];
  #started = false;
  #closing = false;
  #errorLogged = false;

  constructor(url: string, channels: readonly string[], log: Logger, events: LinkEvents) {
    this.#log = log;
    this.#events = events;
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (times: number) => (this.#closing ? null : Math.min(times * 100, MAX_RETRY_DELAY_MS)),
    };
    this.cmd = new Redis(url, { ...options, connectionName: 'xmpp-cluster' });
    this.sub = new Redis(url, { ...options, connectionName: 'xmpp-cluster-sub', autoResubscribe: true, enableOfflineQueue: true });
    for (const conn of [this.cmd, this.sub]) {
      conn.on('error', (err: Error) => {
        // one line per outage, not one per attempt
        if (!this.#errorLogged && !this.#closing) this.#log.warn({ reason: err.message }, 'Redis connection failed; reconnecting');
        this.#errorLogged = true;
      });
    }
    this.cmd.on('ready', () => {
      if (!this.#started || this.#closing) return;
      this.#errorLogged = false;
      this.#log.info('Redis connection back');
      this.#events.reconnected();
    });
    this.sub.on('ready', () => {
      if (!this.#started || this.#closing) return;
      // the resubscription was written before this; a PING answered means it is in effect
      this.sub.ping().then(() => { this.#events.resubscribed(); }, () => undefined);
    });
    this.sub.on('message', (channel: string, text: string) => { this.#events.message(channel, text); });
    this.#channels = channels;
  }

  /** Connect both and subscribe. @throws Error when Redis cannot be reached */
  async start(): Promise<void> {
    try {
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
      await this.sub.subscribe(...this.#channels);
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#started = true;
  }

  /** Whether commands can be sent now. */
  get ready(): boolean {
    return this.cmd.status === 'ready';
  }

  /** Close both connections (pending replies are awaited when Redis is there). */
  async close(): Promise<void> {
    this.#closing = true;
    const end = async (conn: Redis): Promise<void> => {
      if (conn.status === 'ready') await conn.quit().catch(() => { conn.disconnect(); });
      else conn.disconnect();
    };
    await Promise.all([end(this.cmd), end(this.sub)]);
  }

  /** Drop both connections at once, without any goodbye (tests simulate a crashed node). */
  kill(): void {
    this.#closing = true;
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}
