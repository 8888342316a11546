/**
 * @module bench/targets/target
 * What the orchestrator needs from each server under test: prepare accounts once, start a
 * fresh process per measurement (so each starts from the same memory), stop it.
 */
import type { TargetInfo } from '../protocol.js';

/** A server process under test, running. */
export interface RunningTarget {
  readonly info: TargetInfo;
  /** The process whose memory and CPU are measured. */
  readonly pid: number;
  /** Its metrics endpoint (Prometheus text with nodejs_eventloop_lag_*_seconds), if it has one. */
  readonly metricsUrl?: string;
  /**
   * Cumulative counters beside `pid` (the cluster: each node's and redis-server's CPU seconds,
   * Redis commands), read at both edges of the measured interval; the measurement keeps the differences.
   */
  counters?(): Promise<Readonly<Record<string, number>>>;
  stop(): Promise<void>;
}

/** A server under test. */
export interface Target {
  /** 'ours', 'prosody' or 'relay'. */
  readonly name: string;
  /** Version string for the report. */
  readonly version: string;
  /** Whether it does stream management (XEP-0198): the SM scenarios run only on such targets. */
  readonly streamManagement?: boolean;
  /** Whether its benchmark accounts can log in with SCRAM-SHA-256 (RFC 7677): the logins scenario runs only there. */
  readonly scramSha256?: boolean;
  /** Our server: its config file (the growth scenario prepares its storage with it, untimed). */
  readonly configFile?: string;
  /** Create accounts 1..count (`${prefix}${i}`, one password) in the target's own storage. */
  prepare(count: number, prefix: string, password: string): Promise<void>;
  /** A fresh process; `config`: options for this start only (ours: merged into its config). */
  start(config?: Readonly<Record<string, unknown>>): Promise<RunningTarget>;
  /** Stop what lives for the whole run (the cluster's PostgreSQL), at its end. */
  dispose?(): Promise<void>;
}

/** Where a target keeps its files for this benchmark run. */
export interface TargetDirs {
  /** A fresh directory owned by this target for the run. */
  readonly dir: string;
  /** Extra node flags for our server (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  /** Options merged into our server's config. */
  readonly config?: Readonly<Record<string, unknown>>;
}
