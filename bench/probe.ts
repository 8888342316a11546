/**
 * @module bench/probe
 * Another user's ping time: a session that is not part of the load, run in the orchestrator
 * process (idle while the load generator is saturated), asks the server for an XMPP ping
 * (XEP-0199 §4: <iq type='get' to='domain'><ping/></iq>, answered by an empty result) every
 * `intervalMs`, the next one once the answer came (or the timeout passed), and records each
 * round trip with the time it was sent. On the raw relay (no XMPP) the probe connects as its
 * own peer, so each frame it sends is relayed back to itself: the relay's round trip.
 */
import { BenchConnection } from './client/connection.js';
import { attribute } from './client/stanza-text.js';
import type { TargetInfo } from './protocol.js';

/** One ping: sent at (performance.now() ms), round trip ms (the timeout when unanswered). */
export interface PingSample {
  readonly at: number;
  readonly rttMs: number;
  readonly answered: boolean;
}

/** Who the probe logs in as, and how often it pings. */
export interface ProbeOptions {
  readonly target: TargetInfo;
  readonly user: string;
  readonly password: string;
  /** Pause between an answer and the next ping, ms (default 20). */
  readonly intervalMs?: number;
  /** A ping unanswered after this long counts at this value, ms (default 2000). */
  readonly timeoutMs?: number;
}

/** A running probe; stop() ends it and returns every ping (and why the session ended, if it did). */
export interface Probe {
  stop(): Promise<{ samples: PingSample[]; lost?: string }>;
}

/** What the probe's ping is, per target kind (for the report). */
export function probeKind(mode: TargetInfo['mode']): string {
  return mode === 'xmpp' ? 'XEP-0199 ping iq to the server domain' : 'a frame relayed back to the probe itself';
}

/** Log the probe in and start pinging. */
export async function startProbe(o: ProbeOptions): Promise<Probe> {
  const intervalMs = o.intervalMs ?? 20;
  const timeoutMs = o.timeoutMs ?? 2000;
  const conn = new BenchConnection({
    url: o.target.url, mode: o.target.mode, domain: o.target.domain,
    user: o.user, password: o.password, resource: 'probe',
    // the relay: its own peer
    ...(o.target.mode === 'relay' ? { peer: o.user } : {}),
    timeoutMs: 30_000,
  });
  await conn.connect();
  const samples: PingSample[] = [];
  let running = true;
  let seq = 0;
  let waiting: { id: string; at: number; done: () => void } | undefined;
  let lost: string | undefined;
  conn.onLost = (why) => { lost = why; waiting?.done(); };
  conn.onStanza = (text) => {
    const w = waiting;
    if (w === undefined) return;
    // the server answers with a result of the same id; the relay hands the frame back unchanged
    if (!text.startsWith('<iq') || attribute(text, 'id') !== w.id) return;
    samples.push({ at: w.at, rttMs: performance.now() - w.at, answered: true });
    w.done();
  };
  const ping = (): Promise<void> => new Promise<void>((resolve) => {
    const id = `probe${++seq}`;
    const at = performance.now();
    const timer = setTimeout(() => {
      samples.push({ at, rttMs: timeoutMs, answered: false });
      finish();
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      waiting = undefined;
      resolve();
    };
    waiting = { id, at, done: finish };
    conn.send(`<iq xmlns="jabber:client" type="get" id="${id}" to="${o.target.domain}"><ping xmlns="urn:xmpp:ping"/></iq>`);
  });
  const loop = (async (): Promise<void> => {
    while (running && lost === undefined) {
      await ping();
      if (running) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await conn.close();
      return { samples, ...(lost === undefined ? {} : { lost }) };
    },
  };
}
