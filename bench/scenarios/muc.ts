/**
 * @module bench/scenarios/muc
 * Group chat: R rooms of N occupants (XEP-0045). In each room the occupants take turns sending
 * groupchat messages, at most `window` in flight per room (in flight until all N occupants,
 * the sender included, have their copy), or at a fixed rate per room. Reports copies received
 * per second, send-to-receive latency of each copy, the server's CPU over the measured
 * interval, and an exactly-once check of every copy (lost, duplicated, misrouted).
 */
import { Samples } from '../stats.js';
import { MeasuredInterval } from '../measured-interval.js';
import type { MucRequest, MucResult } from '../protocol.js';
import { joinRooms, messageText, parseCopy } from './muc-rooms.js';

/** One message: when it was sent and which occupants have it. */
interface Sent {
  readonly at: number;
  readonly got: Uint8Array;
  remaining: number;
}

/** Run the muc scenario. */
export async function runMuc(req: MucRequest, progress: (text: string) => void, ready: () => Promise<void> = () => Promise.resolve()): Promise<MucResult> {
  const joined = await joinRooms(req, req.service, req.worker?.roomPrefix ?? 'bench', req.rooms, req.occupants, progress);
  progress(`${req.rooms * req.occupants} occupants joined ${req.rooms} rooms in ${joined.seconds.toFixed(1)} s`);
  const body = 'x'.repeat(req.bodyBytes);
  const n = req.occupants;
  const sent: Sent[][] = joined.rooms.map(() => []);
  const inflight = new Array<number>(req.rooms).fill(0);
  const errors: string[] = [];
  const note = (text: string): void => { if (errors.length < 20) errors.push(text); };
  await ready();
  let running = true;
  let sentTotal = 0;
  let delivered = 0;
  let deliveredInWindow = 0;
  let duplicated = 0;
  let misrouted = 0;
  const latency = new Samples();
  const t0 = performance.now();
  const interval = new MeasuredInterval(req.warmupS, req.durationS, req.serverPid);

  const send = (r: number): void => {
    const list = sent[r]!;
    const seq = list.length;
    list.push({ at: performance.now(), got: new Uint8Array(n), remaining: n });
    inflight[r]!++;
    sentTotal++;
    const o = joined.rooms[r]![seq % n]!;
    o.conn.send(messageText(o.roomJid, r, seq, body));
  };

  for (const room of joined.rooms) {
    for (const o of room) {
      o.conn.onLost = (why) => note(`occupant ${o.index} of room ${o.room} lost: ${why}`);
      o.conn.onStanza = (text) => {
        const copy = parseCopy(text, o);
        if (copy === 'other') return;
        if (copy === 'error') return note(`error: ${text.slice(0, 300)}`);
        const s = copy === 'misrouted' ? undefined : sent[copy.room]![copy.seq];
        if (copy === 'misrouted' || s === undefined) {
          misrouted++;
          return;
        }
        if (s.got[o.index] === 1) {
          duplicated++;
          return;
        }
        const now = performance.now();
        s.got[o.index] = 1;
        delivered++;
        if (interval.contains(now)) deliveredInWindow++;
        if (interval.contains(s.at)) latency.push(now - s.at);
        if (--s.remaining === 0) {
          inflight[copy.room]!--;
          if (running && req.rate === undefined) send(copy.room);
        }
      };
    }
  }

  let ticker: NodeJS.Timeout | undefined;
  if (req.rate === undefined) {
    for (let r = 0; r < req.rooms; r++) for (let k = 0; k < req.window; k++) send(r);
  } else {
    // open loop: each room at `rate` messages per second
    const rate = req.rate;
    let scheduled = 0;
    ticker = setInterval(() => {
      const due = Math.floor((rate * (performance.now() - t0)) / 1000);
      for (; scheduled < due; scheduled++) for (let r = 0; r < req.rooms; r++) send(r);
    }, 1);
  }

  await interval.ended();
  running = false;
  if (ticker) clearInterval(ticker);
  const drainUntil = performance.now() + req.drainMs;
  const pending = (): number => inflight.reduce((a, b) => a + b, 0);
  while (pending() > 0 && performance.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 10));
  const expected = sentTotal * n;
  const lost = expected - delivered;
  const seconds = interval.seconds;
  progress(`${deliveredInWindow} copies received in ${seconds} s, ${lost} lost`);
  await joined.close();
  return {
    scenario: 'muc',
    rooms: req.rooms,
    occupants: n,
    window: req.window,
    ...(req.rate === undefined ? {} : { offered: req.rate }),
    joinSeconds: joined.seconds,
    seconds,
    sent: sentTotal,
    expected,
    delivered,
    throughput: deliveredInWindow / seconds,
    latency: latency.summary(),
    serverCpuSeconds: interval.serverCpu === undefined ? Number.NaN : interval.serverCpu.end - interval.serverCpu.start,
    deliveredInWindow,
    lost,
    duplicated,
    misrouted,
    errors,
    ...(interval.serverCpu === undefined ? {} : { serverCpu: interval.serverCpu }),
    ...(req.worker === undefined ? {} : { samples: latency.values() }),
  };
}
