/**
 * @module http_openmetrics/metrics
 * The metrics this server exports, read at scrape time: from the session registry, from the
 * core's plain counters (`server.stats`), from what the module's event hooks tallied
 * (`Tallies`), and from the process (event-loop delay, memory). Each scrape builds its text
 * in one of two prom-client registries of the same metrics, one per exposition format
 * (prom-client renames counters in place for OpenMetrics, so a registry keeps its format).
 * Nothing here uses prom-client's process-wide default registry: several servers may run in
 * one process, each with its own.
 */
import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client';
import type { IntervalHistogram } from 'node:perf_hooks';
import { LATENCY_BUCKETS, type ServerApi, type Session } from '../../core/api.js';

type Labels = Record<string, string>;
/** Hands one series' value to a metric at scrape time. */
type Reader = (set: (labels: Labels, value: number) => void) => void;

/** Counts by label values, bumped by event hooks and read at scrape time. */
export class Tally {
  readonly #rows = new Map<string, { readonly labels: Labels; value: number }>();

  /** Count one event; every call site passes its labels in the same order. */
  inc(labels: Labels): void {
    let key = '';
    for (const k in labels) key += `${labels[k]}\u0000`;
    const row = this.#rows.get(key);
    if (row !== undefined) row.value++;
    else this.#rows.set(key, { labels, value: 1 });
  }

  rows(): Iterable<{ readonly labels: Labels; readonly value: number }> {
    return this.#rows.values();
  }
}

/** What the event hooks count (index.ts hooks them). */
export class Tallies {
  /** session-created: {transport} */
  readonly sessionsCreated = new Tally();
  /** c2s-closed: {host, transport, reason} */
  readonly sessionsClosed = new Tally();
  /** authentication-success / -failure: {host, mechanism, outcome} */
  readonly authentications = new Tally();
  /** c2s-closed with a condition: {host, condition} */
  readonly streamErrors = new Tally();
  /** smacks-hibernation-start: {host} */
  readonly hibernations = new Tally();
  /** smacks-hibernation-end: {host} */
  readonly resumptions = new Tally();
  /** smacks-hibernation-timeout: {host} */
  readonly hibernationTimeouts = new Tally();
}

/** Process figures read once per scrape (the event-loop histogram is reset after each read). */
export interface ProcessSnapshot {
  readonly lag: { readonly min: number; readonly mean: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly memory: NodeJS.MemoryUsage;
}

/** Everything the metrics read from. */
export interface MetricsSource {
  readonly server: ServerApi;
  readonly tallies: Tallies;
  /** The snapshot of the scrape in progress (taken by `snapshot()` before rendering). */
  readonly process: () => ProcessSnapshot;
}

/** Read the event-loop delay (ns to s) and memory, and start a new delay interval. */
export function takeSnapshot(loop: IntervalHistogram): ProcessSnapshot {
  const s = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
  const enough = loop.count > 0;
  const lag = {
    min: enough ? s(loop.min) : 0,
    mean: enough ? s(loop.mean) : 0,
    p50: enough ? s(loop.percentile(50)) : 0,
    p90: enough ? s(loop.percentile(90)) : 0,
    p99: enough ? s(loop.percentile(99)) : 0,
    max: enough ? s(loop.max) : 0,
  };
  loop.reset();
  return { lag, memory: process.memoryUsage() };
}

/** What a session is doing, for the `state` label. */
export function sessionState(s: Session): string {
  const state = s.state;
  if (state === 'hibernating') return 'hibernating';
  if (state === 'closing' || state === 'closed') return 'closing';
  if (s.bound) return 'bound';
  return s.authenticated ? 'authenticated' : 'unauthenticated';
}

/** A counter whose values are copied from `read` at each scrape. */
function copiedCounter(registry: Registry<RegistryContentType>, name: string, help: string, labelNames: readonly string[], read: Reader): void {
  new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      read((labels, value) => { this.inc(labels, value); });
    },
  });
}

function fromTally(tally: Tally): Reader {
  return (set) => { for (const row of tally.rows()) set(row.labels, row.value); };
}

/** A gauge whose values are set from `read` at each scrape. */
function readGauge(registry: Registry<RegistryContentType>, name: string, help: string, labelNames: readonly string[], read: Reader): void {
  new Gauge({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      read((labels, value) => { this.set(labels, value); });
    },
  });
}

/**
 * The storage latency histogram, from the core's fixed buckets: prom-client's Histogram can
 * only observe, so this is a metric object of the shape its registry renders.
 */
function storageHistogram(registry: Registry<RegistryContentType>, server: ServerApi): void {
  const name = 'xmpp_storage_operation_seconds';
  const help = 'Storage operations by operation (get, set, map_get, list_append, transaction, archive_query, ...): how long they took.';
  const metric = {
    name, help, type: 'histogram', aggregator: 'sum',
    get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const [operation, h] of server.stats.storage) {
        if (h.count === 0) continue;
        let cumulative = 0;
        for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
          cumulative += h.counts[i]!;
          values.push({ labels: { operation, le: LATENCY_BUCKETS[i]! }, value: cumulative, metricName: `${name}_bucket` });
        }
        values.push({ labels: { operation, le: '+Inf' }, value: h.count, metricName: `${name}_bucket` });
        values.push({ labels: { operation }, value: h.sum, metricName: `${name}_sum` });
        values.push({ labels: { operation }, value: h.count, metricName: `${name}_count` });
      }
      return Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' });
    },
    reset() { /* the core's counters only grow */ },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** Every exported metric's name, type, labels and meaning (the README's table, and the dashboard test). */
export const METRIC_NAMES = [
  'xmpp_sessions', 'xmpp_sessions_created_total', 'xmpp_sessions_closed_total', 'xmpp_authentications_total',
  'xmpp_stanzas_total', 'xmpp_stream_errors_total', 'xmpp_websocket_closes_total', 'xmpp_send_buffer_events_total',
  'xmpp_smacks_hibernations_total', 'xmpp_smacks_resumptions_total', 'xmpp_smacks_hibernation_timeouts_total',
  'xmpp_storage_operation_seconds',
  'nodejs_eventloop_lag_min_seconds', 'nodejs_eventloop_lag_mean_seconds', 'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds',
  'process_resident_memory_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes',
] as const;

/** A registry of every metric, rendering `contentType` (Prometheus text 0.0.4 or OpenMetrics 1.0). */
export function createRegistry(source: MetricsSource, contentType: RegistryContentType): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  const { server, tallies } = source;
  const stats = server.stats;

  readGauge(registry, 'xmpp_sessions', 'Client sessions now, by host (empty before the stream names one), transport (tcp, websocket, detached while hibernating) and state (unauthenticated, authenticated, bound, hibernating, closing).',
    ['host', 'transport', 'state'], (set) => {
      const counts = new Map<string, { labels: Labels; n: number }>();
      for (const s of server.sessions.all()) {
        const labels = { host: s.host ?? '', transport: s.transport.kind, state: sessionState(s) };
        const key = `${labels.host}\u0000${labels.transport}\u0000${labels.state}`;
        const row = counts.get(key);
        if (row !== undefined) row.n++;
        else counts.set(key, { labels, n: 1 });
      }
      for (const { labels, n } of counts.values()) set(labels, n);
    });
  copiedCounter(registry, 'xmpp_sessions_created_total', 'Client connections that got a session, by transport.', ['transport'], fromTally(tallies.sessionsCreated));
  copiedCounter(registry, 'xmpp_sessions_closed_total', 'Client sessions that ended, by host, transport and reason (normal: a stream close, dropped: the connection was lost, stream_error: we sent a stream error).',
    ['host', 'transport', 'reason'], fromTally(tallies.sessionsClosed));
  copiedCounter(registry, 'xmpp_authentications_total', 'SASL authentications by host, mechanism and outcome (success, failure).',
    ['host', 'mechanism', 'outcome'], fromTally(tallies.authentications));
  copiedCounter(registry, 'xmpp_stanzas_total', 'Stanzas by direction (in: from clients, out: to clients) and kind (message, presence, iq).',
    ['direction', 'kind'], (set) => {
      for (const [direction, counts] of [['in', stats.stanzasIn], ['out', stats.stanzasOut]] as const) {
        set({ direction, kind: 'message' }, counts.message);
        set({ direction, kind: 'presence' }, counts.presence);
        set({ direction, kind: 'iq' }, counts.iq);
      }
    });
  copiedCounter(registry, 'xmpp_stream_errors_total', 'Stream errors sent to clients, by host and condition (RFC 6120 §4.9.3).', ['host', 'condition'], fromTally(tallies.streamErrors));
  copiedCounter(registry, 'xmpp_websocket_closes_total', 'WebSocket Close frames by direction (sent: closes this server started; received: the peer\'s, 1005 without a code, 1006 without a Close frame) and code.',
    ['direction', 'code'], (set) => {
      for (const direction of ['sent', 'received'] as const) {
        for (const [code, n] of stats.websocketCloses[direction]) set({ direction, code: String(code) }, n);
      }
    });
  copiedCounter(registry, 'xmpp_send_buffer_events_total', 'Send-buffer back-pressure by transport and event (queued: output started waiting for a full buffer, refused: a stanza bounced, dropped: a presence dropped, slow_reader: a session closed for not reading).',
    ['transport', 'event'], (set) => {
      for (const [transport, c] of stats.backPressure) {
        for (const event of ['queued', 'refused', 'dropped', 'slow_reader'] as const) set({ transport, event }, c[event]);
      }
    });
  copiedCounter(registry, 'xmpp_smacks_hibernations_total', 'Stream management: sessions that lost their connection and hibernate, resumable (XEP-0198), by host.', ['host'], fromTally(tallies.hibernations));
  copiedCounter(registry, 'xmpp_smacks_resumptions_total', 'Stream management: sessions resumed on a new connection, by host.', ['host'], fromTally(tallies.resumptions));
  copiedCounter(registry, 'xmpp_smacks_hibernation_timeouts_total', 'Stream management: hibernating sessions not resumed in time (smacks_hibernation_time), by host.', ['host'], fromTally(tallies.hibernationTimeouts));
  storageHistogram(registry, server);

  const lag = (key: keyof ProcessSnapshot['lag'], what: string): void => {
    readGauge(registry, `nodejs_eventloop_lag_${key}_seconds`, `Event-loop delay since the previous scrape: ${what}.`, [], (set) => { set({}, source.process().lag[key]); });
  };
  lag('min', 'the smallest');
  lag('mean', 'the mean');
  lag('p50', 'the median');
  lag('p90', 'the 90th percentile');
  lag('p99', 'the 99th percentile');
  lag('max', 'the largest');
  readGauge(registry, 'process_resident_memory_bytes', 'Resident set size of the process.', [], (set) => { set({}, source.process().memory.rss); });
  readGauge(registry, 'nodejs_heap_size_total_bytes', 'V8 heap size.', [], (set) => { set({}, source.process().memory.heapTotal); });
  readGauge(registry, 'nodejs_heap_size_used_bytes', 'V8 heap used.', [], (set) => { set({}, source.process().memory.heapUsed); });
  readGauge(registry, 'nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript (buffers included).', [], (set) => { set({}, source.process().memory.external); });
  return registry;
}
