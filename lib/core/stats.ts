/**
 * @module stats
 * Plain counters the core keeps where it has no event (`server.stats`): stanzas to and from
 * clients, send-buffer back-pressure, WebSocket close codes, storage latency. Bumped in place
 * as integers on the paths that see them (no event, no allocation per stanza) and read when
 * someone asks (the http_openmetrics module, at scrape time). Counters only grow; they
 * start at zero with the server.
 */

/** Stanzas by kind (RFC 6120 §8): the three top-level stanza names. */
export interface StanzaCounts {
  message: number;
  presence: number;
  iq: number;
}

/**
 * A send buffer under pressure (session-output.ts): `queued` an output started queueing
 * (the transport was over its high-water mark), `refused` a stanza was bounced to its
 * sender and `dropped` a presence was dropped because the client's queue was full,
 * `slow_reader` a session was closed for not reading.
 */
export type BackPressureEvent = 'queued' | 'refused' | 'dropped' | 'slow_reader';

/** Back-pressure events of one transport kind. */
export type BackPressureCounts = Record<BackPressureEvent, number>;

/** Upper bounds (seconds) of the storage latency buckets; one more bucket holds the rest. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);

/** Durations in fixed buckets (LATENCY_BUCKETS), as a Prometheus histogram reads them. */
export class LatencyHistogram {
  /** Observations per bucket, not cumulative; the last one is above every bound. */
  readonly counts: number[] = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  /** Seconds, summed. */
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    const n = LATENCY_BUCKETS.length;
    while (i < n && seconds > LATENCY_BUCKETS[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** Count one stanza by its element name (anything but message, presence and iq is ignored). */
export function countStanza(counts: StanzaCounts, name: string): void {
  if (name === 'message') counts.message++;
  else if (name === 'presence') counts.presence++;
  else if (name === 'iq') counts.iq++;
}

/** The core's counters for one server (`server.stats`). */
export class ServerStats {
  /** Stanzas received from clients on open streams (before routing). */
  readonly stanzasIn: StanzaCounts = { message: 0, presence: 0, iq: 0 };
  /** Stanzas handed to clients' connections (written, or queued behind a full send buffer). */
  readonly stanzasOut: StanzaCounts = { message: 0, presence: 0, iq: 0 };
  /** Back-pressure events by transport kind ('tcp', 'websocket'). */
  readonly backPressure = new Map<string, BackPressureCounts>();
  /** WebSocket close codes: sent in our Close frames, and received in the peer's (1005: none, 1006: no Close frame). */
  readonly websocketCloses = { sent: new Map<number, number>(), received: new Map<number, number>() };
  /** Storage latency by operation ('get', 'map_set', 'transaction', 'archive_query', ...). */
  readonly storage = new Map<string, LatencyHistogram>();

  countBackPressure(transport: string, event: BackPressureEvent): void {
    let c = this.backPressure.get(transport);
    if (c === undefined) this.backPressure.set(transport, (c = { queued: 0, refused: 0, dropped: 0, slow_reader: 0 }));
    c[event]++;
  }

  countWebSocketClose(direction: 'sent' | 'received', code: number): void {
    const map = this.websocketCloses[direction];
    map.set(code, (map.get(code) ?? 0) + 1);
  }

  /** The histogram of one storage operation (made on first use). */
  storageOperation(operation: string): LatencyHistogram {
    let h = this.storage.get(operation);
    if (h === undefined) this.storage.set(operation, (h = new LatencyHistogram()));
    return h;
  }
}
