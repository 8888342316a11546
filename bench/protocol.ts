/**
 * @module bench/protocol
 * What the orchestrator (run.ts) and the load generator process (load.ts) say to each other
 * over the fork IPC channel: one scenario request in, progress and one result out.
 */
import type { SmSettings } from './client/sm.js';
import type { Summary } from './stats.js';

/** The server under test, as the load generator sees it: a URL and a domain, nothing more. */
export interface TargetInfo {
  /** 'ours', 'prosody' or 'relay' (labels only). */
  readonly name: string;
  /** 'xmpp' = RFC 7395 sessions; 'relay' = the raw ws relay. */
  readonly mode: 'xmpp' | 'relay';
  readonly url: string;
  readonly domain: string;
  /**
   * Several nodes of one service (the cluster scenario): every node's URL, `url` being the first.
   * Session s (0-based account s + 1) connects to node (s + ⌊s/2⌋) mod n: with two nodes, pair k's
   * sessions 2k and 2k+1 are on different nodes, the first of them on A for even k, on B for odd k.
   */
  readonly urls?: readonly string[];
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
  /** The server's process, for CPU over a scenario's measured interval only (muc, muc-burst). */
  readonly serverPid?: number;
  /** Set by --workers (bench/workers.ts) for one worker's share of the scenario. */
  readonly worker?: WorkerShare;
}

/** One load generator process's share of a scenario split across several (--workers). */
export interface WorkerShare {
  /** 0-based, of `of`. */
  readonly index: number;
  readonly of: number;
  /** Added to every account number (connectionFor), so the workers' accounts do not overlap. */
  readonly accountOffset: number;
  /** muc: prefix of this worker's room names, so the workers' rooms do not overlap. */
  readonly roomPrefix?: string;
}

/** The server's cumulative CPU seconds (/proc) at the start and end of a measured interval. */
export interface CpuInterval {
  readonly start: number;
  readonly end: number;
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
  /** Stream management on every session (XEP-0198), acking every `ackEvery` stanzas received. */
  readonly sm?: SmSettings;
}

export interface IdleRequest extends CommonParams {
  readonly scenario: 'idle';
  readonly sessions: number;
  /** Times the sessions are opened, held and closed (default 1). */
  readonly rounds?: number;
  /** Stream management enabled on every session. */
  readonly sm?: SmSettings;
}

/**
 * N stream management sessions hibernating at once: set up, cut, messages queued for them,
 * half resumed, half left to expire (their messages must reach offline storage).
 */
export interface HibernateRequest extends CommonParams {
  readonly scenario: 'hibernate';
  /** Accounts 1..sessions hibernate; account sessions + 1 sends the messages. */
  readonly sessions: number;
  /** Messages sent to each hibernating session. */
  readonly messagesPerSession: number;
  /** The server's smacks_hibernation_time for this run, seconds. */
  readonly hibernationS: number;
  readonly ackEvery: number;
  /** The orchestrator's hold, s: the expiry is watched until this long after the hibernation time. */
  readonly holdS: number;
  /** Longest wait for expected messages after each phase, ms. */
  readonly drainMs: number;
}

/**
 * Group chat (XEP-0045): `rooms` rooms of `occupants` sessions each on the target's MUC
 * service; in each room the occupants take turns sending groupchat messages, at most `window`
 * per room in flight (a message is in flight until every occupant has it), or at `rate`
 * messages per second per room. Every copy is checked: lost, duplicated, misrouted.
 */
export interface MucRequest extends CommonParams {
  readonly scenario: 'muc';
  /** The MUC service's domain. */
  readonly service: string;
  readonly rooms: number;
  readonly occupants: number;
  readonly window: number;
  /** Messages per second per room (open loop); absent = as fast as the window allows. */
  readonly rate?: number;
  readonly bodyBytes: number;
  readonly warmupS: number;
  readonly durationS: number;
  readonly drainMs: number;
}

/** One room of `occupants` sessions; `bursts` times, one message and the time until all have it. */
export interface MucBurstRequest extends CommonParams {
  readonly scenario: 'muc-burst';
  readonly service: string;
  readonly occupants: number;
  readonly bursts: number;
  readonly bodyBytes: number;
  readonly drainMs: number;
}

/**
 * Sustained logins (bench/scenarios/logins.ts): one full WebSocket session setup (<open/>,
 * SASL with `mechanism`, bind, initial presence) started every 1/rate s (open loop) for
 * `durationS` s, each closed once up; accounts 1..accounts in turn.
 */
export interface LoginsRequest extends CommonParams {
  readonly scenario: 'logins';
  /** Logins started per second. */
  readonly rate: number;
  readonly durationS: number;
  /** Accounts the logins cycle through (their SCRAM keys are derived untimed first). */
  readonly accounts: number;
  readonly mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-256';
  /** Most setups in flight; a login due while that many are open is skipped and counted. */
  readonly maxInFlight: number;
}

/**
 * One step of the growth scenario (bench/growth.ts): `size` (contacts, roster items, offline
 * messages per user, archived messages, occupants) and `units` of work (presence changes,
 * logins, users, queries, groupchat messages); server CPU over the measured part only.
 */
export interface GrowthRequest extends CommonParams {
  readonly scenario: 'growth';
  readonly kind: GrowthKind;
  readonly size: number;
  readonly units: number;
  /** muc: the MUC service's domain. */
  readonly service?: string;
}

export type GrowthKind = 'presence' | 'login' | 'offline' | 'mam' | 'muc';

export type ScenarioRequest = ConnectRequest | MessagesRequest | IdleRequest | HibernateRequest | MucRequest | MucBurstRequest | GrowthRequest | LoginsRequest;

/** What the clients' stream management did during a scenario. */
export interface SmStats {
  readonly ackEvery: number;
  /** <a/> sent by all clients. */
  readonly acks: number;
  /** <r/> received by all clients. */
  readonly requests: number;
}

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
  /** Server CPU over the timed phase (absent when the server's pid is unknown). */
  readonly serverCpu?: CpuInterval;
  /** With --workers: every setup time, for merging percentiles. */
  readonly samples?: readonly number[];
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
  readonly sm?: SmStats;
  /** Messages received in the measured interval, and the server's CPU over it (the headline). */
  readonly deliveredInWindow?: number;
  readonly serverCpu?: CpuInterval;
  /** With --workers: every latency sample, for merging percentiles. */
  readonly samples?: readonly number[];
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
  readonly sm?: SmStats;
}

/** Exactly-once counts of one group of hibernated sessions' queued messages. */
export interface Delivery {
  /** Sessions in the group (resumed or logged in again). */
  readonly sessions: number;
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
}

export interface HibernateResult {
  readonly scenario: 'hibernate';
  readonly sessions: number;
  /** Set up with stream management and resumption. */
  readonly ok: number;
  readonly failed: number;
  readonly setupRate: number;
  /** <enabled max/>: the resumption time the server granted, seconds. */
  readonly granted: number;
  /** Connections cut (sockets destroyed without <close/>). */
  readonly cut: number;
  readonly messagesPerSession: number;
  /** Messages sent to hibernating sessions, and error replies the sender got. */
  readonly sent: number;
  readonly bounced: number;
  /** The resumed half: <resume/> on a new connection each. */
  readonly resume: Delivery & {
    readonly attempted: number;
    readonly resumed: number;
    readonly failed: number;
    /** Wall time from the first new connection to the last queued message received, s. */
    readonly seconds: number;
    /** Sessions resumed per second over that time. */
    readonly rate: number;
    /** Per session: connection start to <resumed/>, ms. */
    readonly latency: Summary;
    /** The last <resumed/>, seconds after the cut (must stay under the hibernation time). */
    readonly lastAfterCutS: number;
  };
  /** The half left to expire: logged in again after the hibernation time, offline messages counted. */
  readonly expire: Delivery & {
    readonly attempted: number;
    /** <resume/> answered <failed/> (as it should once expired). */
    readonly expired: number;
    /** <resume/> still worked after the hibernation time. */
    readonly stillResumable: number;
    readonly loginFailed: number;
    /** When the logins started, seconds after the cut. */
    readonly checkedAfterCutS: number;
  };
  /** Messages of resumed sessions that came again from offline storage at a later login. */
  readonly lateDuplicates: number;
  /** Messages that reached the wrong session. */
  readonly misrouted: number;
  readonly errors: readonly string[];
}

export interface MucResult {
  readonly scenario: 'muc';
  readonly rooms: number;
  readonly occupants: number;
  readonly window: number;
  readonly offered?: number;
  /** Seconds all occupants took to join (untimed setup, for information). */
  readonly joinSeconds: number;
  readonly seconds: number;
  /** Groupchat messages sent, and copies expected (sent × occupants) and received. */
  readonly sent: number;
  readonly expected: number;
  readonly delivered: number;
  /** Copies received per second in the measured interval. */
  readonly throughput: number;
  /** Send-to-receive latency of each copy of the messages sent in the interval, ms. */
  readonly latency: Summary;
  /** Server CPU seconds over the measured interval (NaN when unknown), and the copies received in it. */
  readonly serverCpuSeconds: number;
  readonly deliveredInWindow: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly misrouted: number;
  readonly errors: readonly string[];
  readonly serverCpu?: CpuInterval;
  /** With --workers: every latency sample, for merging percentiles. */
  readonly samples?: readonly number[];
}

export interface MucBurstResult {
  readonly scenario: 'muc-burst';
  readonly occupants: number;
  readonly joinSeconds: number;
  readonly bursts: number;
  /** Per burst: send to the last occupant's copy, and to the first, ms. */
  readonly toLast: Summary;
  readonly toFirst: Summary;
  /** Server CPU seconds over the bursts (NaN when unknown). */
  readonly serverCpuSeconds: number;
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly misrouted: number;
  readonly errors: readonly string[];
}

export interface LoginsResult {
  readonly scenario: 'logins';
  readonly mechanism: string;
  /** Offered logins per second, and the seconds they were offered over. */
  readonly offered: number;
  readonly seconds: number;
  /** Logins started, fully set up, failed; and skipped because maxInFlight were open. */
  readonly started: number;
  readonly ok: number;
  readonly failed: number;
  readonly skipped: number;
  /** Logins set up per second: ok / (first start to last set-up session). */
  readonly achieved: number;
  /** Setup time, socket to reflected presence, ms. */
  readonly setup: Summary;
  /** Most setups in flight at once. */
  readonly peakInFlight: number;
  /** Server CPU seconds over the timed phase (from /proc; NaN when unknown). */
  readonly serverCpuSeconds: number;
  readonly errors: readonly string[];
}

export interface GrowthResult {
  readonly scenario: 'growth';
  readonly kind: GrowthKind;
  readonly size: number;
  readonly units: number;
  /** What the cost is divided by: recipients, logins, messages, queries, copies delivered. */
  readonly work: number;
  /** Copies (or results) expected, received, lost, duplicated, misrouted. */
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly misrouted: number;
  /** Server CPU seconds over the measured part only, and its wall time. */
  readonly serverCpuSeconds: number;
  readonly seconds: number;
  readonly errors: readonly string[];
}

export type ScenarioResult = ConnectResult | MessagesResult | IdleResult | HibernateResult | MucResult | MucBurstResult | GrowthResult | LoginsResult;

/** Orchestrator -> load generator. */
export type ToLoad = { type: 'run'; request: ScenarioRequest } | { type: 'release' } | { type: 'go' } | { type: 'window-started' };

/** Load generator -> orchestrator. */
export type FromLoad =
  | { type: 'progress'; text: string }
  /**
   * Sessions are up (or hibernating: `phase`); the orchestrator samples memory for `seconds`
   * (default: its --hold), then releases.
   */
  | { type: 'held'; sessions: number; phase?: string; seconds?: number }
  /** The scenario's measured interval starts or ends (bench/window.ts); health figures cover it. */
  | { type: 'window'; edge: 'start' | 'end' }
  /** --workers: set up and waiting for 'go', so that every worker's measured interval starts together. */
  | { type: 'ready' }
  | { type: 'result'; result: ScenarioResult }
  | { type: 'failed'; message: string };
