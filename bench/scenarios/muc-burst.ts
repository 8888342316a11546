/**
 * @module bench/scenarios/muc-burst
 * One big room: `occupants` sessions join one room (XEP-0045), then, `bursts` times, one
 * occupant sends one groupchat message and the time until the first and the last of the
 * occupants (the sender included) has its copy is taken. Every copy is checked.
 */
import { cpuSeconds } from '../proc.js';
import { Samples } from '../stats.js';
import type { MucBurstRequest, MucBurstResult } from '../protocol.js';
import { joinRooms, messageText, parseCopy } from './muc-rooms.js';

/** Run the muc-burst scenario. */
export async function runMucBurst(req: MucBurstRequest, progress: (text: string) => void): Promise<MucBurstResult> {
  const joined = await joinRooms(req, req.service, 'burst', 1, req.occupants, progress);
  progress(`${req.occupants} occupants joined one room in ${joined.seconds.toFixed(1)} s`);
  const room = joined.rooms[0]!;
  const n = req.occupants;
  const body = 'x'.repeat(req.bodyBytes);
  const errors: string[] = [];
  const note = (text: string): void => { if (errors.length < 20) errors.push(text); };
  const got: Uint8Array[] = [];
  const remaining: number[] = [];
  let delivered = 0;
  let duplicated = 0;
  let misrouted = 0;
  let first = 0;
  let last = 0;
  let wake: (() => void) | undefined;
  for (const o of room) {
    o.conn.onLost = (why) => note(`occupant ${o.index} lost: ${why}`);
    o.conn.onStanza = (text) => {
      const copy = parseCopy(text, o);
      if (copy === 'other') return;
      if (copy === 'error') return note(`error: ${text.slice(0, 300)}`);
      const seen = copy === 'misrouted' ? undefined : got[copy.seq];
      if (copy === 'misrouted' || seen === undefined) {
        misrouted++;
        return;
      }
      if (seen[o.index] === 1) {
        duplicated++;
        return;
      }
      const now = performance.now();
      seen[o.index] = 1;
      delivered++;
      if (first === 0) first = now;
      last = now;
      if (--remaining[copy.seq]! === 0) wake?.();
    };
  }
  const toLast = new Samples();
  const toFirst = new Samples();
  const pid = req.serverPid;
  const cpu0 = pid === undefined ? Number.NaN : cpuSeconds(pid);
  for (let b = 0; b < req.bursts; b++) {
    got.push(new Uint8Array(n));
    remaining.push(n);
    first = 0;
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), req.drainMs);
      wake = () => { clearTimeout(timer); resolve(true); };
    });
    const sender = room[(b * 7919) % n]!;
    const at = performance.now();
    sender.conn.send(messageText(sender.roomJid, 0, b, body));
    if (!(await done)) note(`burst ${b}: ${remaining[b]} of ${n} copies missing after ${req.drainMs} ms`);
    else {
      toLast.push(last - at);
      toFirst.push(first - at);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const cpu = pid === undefined ? Number.NaN : cpuSeconds(pid) - cpu0;
  const expected = req.bursts * n;
  progress(`${req.bursts} bursts to ${n} occupants: ${delivered} of ${expected} copies, last copy p50 ${toLast.summary().p50.toFixed(1)} ms`);
  await joined.close();
  return {
    scenario: 'muc-burst',
    occupants: n,
    joinSeconds: joined.seconds,
    bursts: req.bursts,
    toLast: toLast.summary(),
    toFirst: toFirst.summary(),
    serverCpuSeconds: cpu,
    expected,
    delivered,
    lost: expected - delivered,
    duplicated,
    misrouted,
    errors,
  };
}
