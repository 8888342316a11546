/**
 * @module bench/scenarios/hibernate
 * N stream management sessions hibernating at once (XEP-0198 §5): N accounts set up sessions
 * with <enable resume='true'/>; every connection is cut (socket destroyed, no <close/>); the
 * orchestrator reads the server's memory with them hibernating; a sender queues messages for
 * each; half are resumed on new connections (each must get its messages exactly once), the
 * rest are left to expire after the server's smacks_hibernation_time, and every account logs
 * in again: the expired ones must find their messages in offline storage (once), the resumed
 * ones nothing more.
 */
import { inParallel, closeAll, connectionFor, openMany } from '../client/pool.js';
import type { BenchConnection } from '../client/connection.js';
import { attribute } from '../client/stanza-text.js';
import type { SmClient } from '../client/sm.js';
import { Samples, median } from '../stats.js';
import type { HibernateRequest, HibernateResult } from '../protocol.js';
import { Ledger } from './hibernate-ledger.js';

/** Resolves when the orchestrator has sampled memory in this phase. */
export type HeldHook = (sessions: number, phase: string, seconds?: number) => Promise<void>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until `done()` or `ms` have passed; true when done. */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (!done() && performance.now() < until) await sleep(20);
  return done();
}

/** Run the hibernate scenario. */
export async function runHibernate(req: HibernateRequest, progress: (text: string) => void, held: HeldHook): Promise<HibernateResult> {
  const n = req.sessions;
  const m = req.messagesPerSession;
  const errors: string[] = [];
  const note = (text: string): void => void (errors.length < 20 && errors.push(text));
  const secs = (ms: number): string => (ms / 1000).toFixed(1);

  // 1. N sessions with stream management and resumption
  let reported = 0;
  const opened = await openMany(n, req.concurrency, (i) => {
    if (i - reported >= 1000) {
      reported = i;
      progress(`${i} sessions`);
    }
    return connectionFor(req, i + 1, undefined, { ackEvery: req.ackEvery, resume: true });
  });
  errors.push(...opened.errors);
  const conns = opened.connections;
  const states: (SmClient | undefined)[] = conns.map((c) => c?.options.sm);
  const jids = conns.map((c) => c?.jid);
  const live = conns.flatMap((c, i) => (c !== undefined && c.options.sm?.id !== undefined ? [i] : []));
  const granted = median(live.map((i) => states[i]!.max ?? Number.NaN));
  progress(`${live.length}/${n} sessions with stream management up in ${secs(opened.elapsedMs)} s (resumable for ${granted} s)`);
  // nothing left unacknowledged, so the queues hold only what comes later
  for (const i of live) conns[i]!.ackNow();
  await sleep(500);
  await held(live.length, 'connected');

  // 2. cut every connection: the sessions hibernate
  for (const i of live) conns[i]!.terminate();
  const cutAt = performance.now();
  const afterCut = (): number => (performance.now() - cutAt) / 1000;
  progress(`${live.length} connections cut`);
  await held(live.length, 'hibernating');

  // 3. a sender queues messages for every hibernating session (to its full JID)
  const ledger = new Ledger(n, m);
  const sender = connectionFor(req, n + 1);
  await sender.connect();
  let bounced = 0;
  let synced = false;
  sender.onStanza = (text) => {
    if (text.startsWith('<message') && attribute(text, 'type') === 'error') {
      bounced++;
      note(`bounced: ${text.slice(0, 200)}`);
    } else if (text.startsWith('<iq') && attribute(text, 'id') === 'sync') {
      synced = true;
    }
  };
  let sent = 0;
  for (let j = 0; j < live.length; j++) {
    const i = live[j]!;
    for (let k = 0; k < m; k++, sent++) {
      sender.send(`<message xmlns="jabber:client" to="${jids[i]!}" type="chat" id="${ledger.id(i, k)}"><body>while you were away ${k}</body></message>`);
    }
    if (j % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
  // the server handles one connection's input in order: the pong says every message was routed
  sender.send(`<iq xmlns="jabber:client" type="get" id="sync" to="${req.target.domain}"><ping xmlns="urn:xmpp:ping"/></iq>`);
  if (!(await waitFor(() => synced, req.timeoutMs))) note('the sender got no answer to its ping');
  progress(`${sent} messages queued ${afterCut().toFixed(1)} s after the cut, ${bounced} bounced`);

  // 4. resume half of them on new connections
  const resumeSet = live.filter((_, j) => j % 2 === 0);
  const resumedOk: number[] = [];
  const resumedConns: BenchConnection[] = [];
  const latency = new Samples();
  let resumeFailed = 0;
  let lastAnswer = 0;
  const r0 = performance.now();
  await inParallel(resumeSet.length, req.concurrency, async (j) => {
    const i = resumeSet[j]!;
    const c = connectionFor(req, i + 1, undefined, states[i]);
    c.onStanza = (text) => ledger.record(i, 'resume', text);
    c.onLost = (why) => note(`resumed session ${i + 1} lost: ${why}`);
    try {
      const out = await c.resume(false);
      if (out.resumed) {
        latency.push(out.answered);
        resumedOk.push(i);
        resumedConns.push(c);
      } else {
        resumeFailed++;
        note(`resume ${c.options.user}: ${out.failure?.slice(0, 200)}`);
        await c.close();
      }
    } catch (err) {
      resumeFailed++;
      note(`resume ${c.options.user}: ${(err as Error).message}`);
    } finally {
      lastAnswer = Math.max(lastAnswer, performance.now());
    }
  });
  const lastAfterCutS = (lastAnswer - cutAt) / 1000;
  await waitFor(() => ledger.arrived('resume') >= resumedOk.length * m, req.drainMs);
  const resumeSeconds = (Math.max(lastAnswer, ledger.lastArrival) - r0) / 1000;
  progress(`${resumedOk.length}/${resumeSet.length} resumed in ${resumeSeconds.toFixed(2)} s (last ${lastAfterCutS.toFixed(1)} s after the cut), ${ledger.arrived('resume')} queued messages received`);
  if (lastAfterCutS >= req.hibernationS) note(`resuming took until ${lastAfterCutS.toFixed(1)} s after the cut, past the hibernation time (${req.hibernationS} s): raise --hibernation-time`);
  await closeAll(resumedConns, req.concurrency); // acknowledged first: nothing goes to offline storage

  // 5. the rest expire, their queues go to offline storage: the orchestrator samples the
  // server through the expiry and `holdS` beyond it
  const expireAt = cutAt + (req.hibernationS + req.holdS) * 1000;
  const resumedSet = new Set(resumedOk);
  const rest = live.filter((i) => !resumedSet.has(i));
  progress(`waiting ${secs(Math.max(0, expireAt - performance.now()))} s for ${rest.length} sessions to expire`);
  await held(rest.length, 'expiring', Math.max(0, (expireAt - performance.now()) / 1000));

  // 6. every account logs in again: the expired try <resume/> (must fail), then bind and presence
  const checkedAfterCutS = afterCut();
  const checkConns: BenchConnection[] = [];
  let expired = 0;
  let stillResumable = 0;
  let loginFailed = 0;
  await inParallel(live.length, req.concurrency, async (j) => {
    const i = live[j]!;
    const wasResumed = resumedSet.has(i);
    const c = connectionFor(req, i + 1, undefined, wasResumed ? undefined : states[i]);
    c.onStanza = (text) => ledger.record(i, 'login', text);
    try {
      if (wasResumed) await c.connect();
      else if ((await c.resume(true)).resumed) {
        stillResumable++;
        note(`session ${i + 1} was still resumable ${afterCut().toFixed(1)} s after the cut`);
      } else expired++;
      checkConns.push(c);
    } catch (err) {
      loginFailed++;
      note(`login ${c.options.user}: ${(err as Error).message}`);
    }
  });
  await waitFor(() => ledger.arrived('login') >= rest.length * m, req.drainMs);
  progress(`${checkConns.length} logged in again ${checkedAfterCutS.toFixed(1)} s after the cut: ${ledger.arrived('login')} messages from offline storage`);
  await closeAll(checkConns, req.concurrency);
  await sender.close();
  if (ledger.stale > 0) note(`${ledger.stale} messages of an earlier run came from offline storage (ignored)`);

  const resume = ledger.delivery(resumedOk, ['resume']);
  const expire = ledger.delivery(rest, ['resume', 'login']);
  return {
    scenario: 'hibernate',
    sessions: n,
    ok: live.length,
    failed: opened.failed,
    setupRate: live.length / (opened.elapsedMs / 1000),
    granted,
    cut: live.length,
    messagesPerSession: m,
    sent,
    bounced,
    resume: {
      ...resume, attempted: resumeSet.length, resumed: resumedOk.length, failed: resumeFailed, seconds: resumeSeconds,
      rate: resumedOk.length / Math.max(1e-3, (lastAnswer - r0) / 1000), latency: latency.summary(), lastAfterCutS,
    },
    expire: { ...expire, attempted: rest.length, expired, stillResumable, loginFailed, checkedAfterCutS },
    lateDuplicates: ledger.count(resumedOk, 'login'),
    misrouted: ledger.misrouted,
    errors,
  };
}
