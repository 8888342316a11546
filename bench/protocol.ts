/**
 * @module bench/protocol
 * What the orchestrator (run.ts) and the load generator process (load.ts) say to each other
 * over the fork IPC channel: one scenario request in, progress and one result out.
 */
import type { Summary } from './stats.js';

/** The server under test, as the load generator sees it: a URL and a domain, nothing more. */
export interface TargetInfo {
  /** 'ours', 'prosody' or 'relay' (labels only). */
  readonly name: string;
  /** 'xmpp' = RFC 7395 sessions; 'relay' = the raw ws relay. */
  readonly mode: 'xmpp' | 'relay';
  readonly url: string;
  readonly domain: string;
}

/** Parameters every scenario gets. */
export interface CommonParams {
  readonly target: TargetInfo;
  /** Account i (1-based) is `${userPrefix}${i}` with `password`. */
  readonly userPrefix: string;
  readonly password: string;
  /** Source addresses to spread connections over (loopback only). */
  readonly sourceAddresses: readonly string[];
  /** Session setups in flight at once. */
  readonly concurrency: number;
  /** Per-connection setup / close timeout, ms. */
  readonly timeoutMs: number;
  /** File where derived SCRAM keys are kept between scenario processes (per target). */
  readonly scramCacheFile?: string;
}

export interface ConnectRequest extends CommonParams {
  readonly scenario: 'connect';
  readonly sessions: number;
}

export interface MessagesRequest extends CommonParams {
  readonly scenario: 'messages';
  readonly pairs: number;
  /** Most messages in flight per sender. */
  readonly window: number;
  /** Characters in each <body/>. */
  readonly bodyBytes: number;
  readonly warmupS: number;
  readonly durationS: number;
  /** Offered load in messages per second for all senders together; absent = as fast as the window allows. */
  readonly rate?: number;
  /** Longest wait for in-flight messages after the end, ms. */
  readonly drainMs: number;
}

export interface IdleRequest extends CommonParams {
  readonly scenario: 'idle';
  readonly sessions: number;
}

export type ScenarioRequest = ConnectRequest | MessagesRequest | IdleRequest;

export interface ConnectResult {
  readonly scenario: 'connect';
  readonly sessions: number;
  readonly ok: number;
  readonly failed: number;
  /** Wall time of the timed phase, seconds. */
  readonly seconds: number;
  /** Sessions fully set up per second. */
  readonly rate: number;
  /** Setup time (socket to reflected presence), ms. */
  readonly setup: Summary;
  /** Median ms to each step: socket open, authenticated, bound. */
  readonly steps: { wsOpen: number; authenticated: number; bound: number };
  readonly errors: readonly string[];
}

export interface MessagesResult {
  readonly scenario: 'messages';
  readonly pairs: number;
  readonly window: number;
  readonly bodyBytes: number;
  /** Offered rate (msg/s) when rate-limited. */
  readonly offered?: number;
  /** Seconds of the measured interval. */
  readonly seconds: number;
  readonly sent: number;
  readonly delivered: number;
  /** Delivered messages per second in the measured interval. */
  readonly throughput: number;
  /** Send-to-receive latency of messages sent in the measured interval, ms. */
  readonly latency: Summary;
  readonly lost: number;
  readonly duplicated: number;
  readonly misrouted: number;
  /** Rate mode: sends skipped because the sender's window was full. */
  readonly deferred: number;
  /** Sessions that failed to set up or dropped, and stanza errors received. */
  readonly errors: readonly string[];
}

export interface IdleResult {
  readonly scenario: 'idle';
  readonly sessions: number;
  readonly ok: number;
  readonly failed: number;
  /** Sessions that ended while held. */
  readonly dropped: number;
  readonly setupRate: number;
  readonly errors: readonly string[];
}

export type ScenarioResult = ConnectResult | MessagesResult | IdleResult;

/** Orchestrator -> load generator. */
export type ToLoad = { type: 'run'; request: ScenarioRequest } | { type: 'release' };

/** Load generator -> orchestrator. */
export type FromLoad =
  | { type: 'progress'; text: string }
  | { type: 'held'; sessions: number }
  | { type: 'result'; result: ScenarioResult }
  | { type: 'failed'; message: string };
