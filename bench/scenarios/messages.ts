/**
 * @module bench/scenarios/messages
 * The messages scenario: P pairs of logged-in sessions send each other chat messages to the
 * full JID, each sender with at most `window` in flight (or at a fixed offered rate); delivered
 * msg/s, send-to-receive latency, and an exactly-once check (lost, duplicated, misrouted).
 * With `sm`, every session enables stream management (XEP-0198) and acks as it goes.
 */
import { closeAll, connectionFor, openMany } from '../client/pool.js';
import { attribute } from '../client/stanza-text.js';
import type { BenchConnection } from '../client/connection.js';
import { smTotals } from '../client/sm.js';
import { Samples } from '../stats.js';
import type { MessagesRequest, MessagesResult } from '../protocol.js';
import { MeasuredInterval } from '../measured-interval.js';

interface Sender {
  readonly index: number;
  readonly conn: BenchConnection;
  /** The start of every message this sender writes, up to the sequence number. */
  readonly head: string;
  /** The rest after the sequence number. */
  readonly tail: string;
  nextSeq: number;
  /** seq -> performance.now() at send, for messages not yet received. */
  readonly inflight: Map<number, number>;
}

/** The JID messages to session `index` are addressed to. */
function jidOf(req: MessagesRequest, conns: readonly BenchConnection[], index: number): string {
  // the relay has no JIDs: write one of the same shape so the message is the same size
  return req.target.mode === 'xmpp' ? conns[index]!.jid : `${req.userPrefix}${index + 1}@${req.target.domain}/bench`;
}

/** Run the messages scenario. */
export async function runMessages(req: MessagesRequest, progress: (text: string) => void, ready: () => Promise<void> = () => Promise.resolve()): Promise<MessagesResult> {
  const count = req.pairs * 2;
  // session i talks to session i ^ 1; account i + 1
  const opened = await openMany(count, req.concurrency, (i) => connectionFor(req, i + 1, (i ^ 1) + 1, req.sm));
  const errors = [...opened.errors];
  if (opened.failed > 0) {
    await closeAll(opened.connections, req.concurrency);
    throw new Error(`${opened.failed} sessions failed to set up: ${errors.join('; ')}`);
  }
  const conns = opened.connections as BenchConnection[];
  const body = 'x'.repeat(req.bodyBytes);
  const senders: Sender[] = conns.map((conn, index) => {
    const peer = index ^ 1;
    return {
      index,
      conn,
      head: `<message xmlns="jabber:client" to="${jidOf(req, conns, peer)}" type="chat" id="b${index}-${peer}-`,
      tail: `"><body>${body}</body></message>`,
      nextSeq: 0,
      inflight: new Map(),
    };
  });

  await ready();
  let running = true;
  let sent = 0;
  let deliveredTotal = 0;
  let deliveredInWindow = 0;
  let duplicated = 0;
  let misrouted = 0;
  let inflightTotal = 0;
  const latency = new Samples();
  // the server's CPU over the measured interval only (the headline: CPU per delivered message)
  const t0 = performance.now();
  const interval = new MeasuredInterval(req.warmupS, req.durationS, req.serverPid);

  const send = (s: Sender): void => {
    const seq = s.nextSeq++;
    s.inflight.set(seq, performance.now());
    inflightTotal++;
    sent++;
    s.conn.send(s.head + seq + s.tail);
  };

  const note = (text: string): void => {
    if (errors.length < 20) errors.push(text);
  };

  for (const [index, conn] of conns.entries()) {
    const selfJid = jidOf(req, conns, index);
    const peerJid = jidOf(req, conns, index ^ 1);
    conn.onLost = (why) => note(`session ${index} lost: ${why}`);
    conn.onStanza = (text) => {
      if (!text.startsWith('<message')) return; // presence and the like: not part of the count
      const now = performance.now();
      const id = attribute(text, 'id') ?? '';
      const [from, to, seqText] = id.slice(1).split('-');
      const sender = senders[Number(from)];
      const seq = Number(seqText);
      if (attribute(text, 'type') === 'error') {
        note(`error bounce ${id}: ${text.slice(0, 200)}`);
        return;
      }
      // misrouted: not for this session, not from the partner, or not a message we sent
      const fromAttr = attribute(text, 'from');
      if (sender === undefined || Number(to) !== index || Number(from) !== (index ^ 1) || (req.target.mode === 'xmpp' && fromAttr !== peerJid)
        || !Number.isSafeInteger(seq) || seq >= sender.nextSeq || (req.target.mode === 'xmpp' && attribute(text, 'to') !== selfJid)) {
        misrouted++;
        return;
      }
      const sentAt = sender.inflight.get(seq);
      if (sentAt === undefined) {
        duplicated++;
        return;
      }
      sender.inflight.delete(seq);
      inflightTotal--;
      deliveredTotal++;
      if (interval.contains(now)) deliveredInWindow++;
      if (interval.contains(sentAt)) latency.push(now - sentAt);
      if (running && req.rate === undefined) send(sender);
    };
  }

  let deferred = 0;
  let ticker: NodeJS.Timeout | undefined;
  if (req.rate === undefined) {
    for (const s of senders) for (let k = 0; k < req.window; k++) send(s);
  } else {
    // open loop at a fixed offered rate, round robin over senders with room in their window
    const rate = req.rate;
    let scheduled = 0;
    let rr = 0;
    ticker = setInterval(() => {
      const due = Math.floor((rate * (performance.now() - t0)) / 1000);
      for (; scheduled < due; scheduled++) {
        let tries = 0;
        while (tries < senders.length && senders[rr]!.inflight.size >= req.window) {
          rr = (rr + 1) % senders.length;
          tries++;
        }
        if (tries === senders.length) deferred++;
        else send(senders[rr]!);
        rr = (rr + 1) % senders.length;
      }
    }, 1);
  }

  await interval.ended();
  running = false;
  if (ticker) clearInterval(ticker);
  const drainUntil = performance.now() + req.drainMs;
  while (inflightTotal > 0 && performance.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = interval.seconds;
  progress(`${deliveredInWindow} delivered in ${seconds} s, ${inflightTotal} lost`);
  await closeAll(conns, req.concurrency);
  const sm = req.sm && smTotals(conns.map((c) => c.options.sm), req.sm.ackEvery);
  return {
    scenario: 'messages',
    pairs: req.pairs,
    window: req.window,
    bodyBytes: req.bodyBytes,
    ...(req.rate === undefined ? {} : { offered: req.rate }),
    seconds,
    sent,
    delivered: deliveredTotal,
    throughput: deliveredInWindow / seconds,
    latency: latency.summary(),
    lost: inflightTotal,
    duplicated,
    misrouted,
    deferred,
    errors,
    ...(sm === undefined ? {} : { sm }),
    deliveredInWindow,
    ...(interval.serverCpu === undefined ? {} : { serverCpu: interval.serverCpu }),
    ...(req.worker === undefined ? {} : { samples: latency.values() }),
  };
}
