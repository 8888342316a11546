/**
 * @module bench/scenarios/growth-muc
 * Group chat as the room grows: one room of `size` occupants (XEP-0045, joined untimed);
 * `units` groupchat messages, occupants in turn, at most 4 unfinished (a message is finished
 * when every occupant, the sender included, has its copy: XEP-0045 §7.4). Cost unit: a copy.
 */
import type { GrowthRequest } from '../protocol.js';
import { joinRooms, messageText, parseCopy } from './muc-rooms.js';
import { closedLoop, measured, note, until, type StepTally } from './growth.js';

export async function runGrowthMuc(req: GrowthRequest, t: StepTally, progress: (text: string) => void): Promise<void> {
  const n = req.size;
  const joined = await joinRooms(req, req.service ?? `conference.${req.target.domain}`, 'growth', 1, n, progress);
  progress(`${n} occupants joined one room in ${joined.seconds.toFixed(1)} s; ${req.units} messages`);
  const room = joined.rooms[0]!;
  const got: Uint8Array[] = [];
  const remaining: number[] = [];
  for (const o of room) {
    o.conn.onLost = (why) => note(t, `occupant ${o.index} lost: ${why}`);
    o.conn.onStanza = (text) => {
      const copy = parseCopy(text, o);
      if (copy === 'other') return;
      if (copy === 'error') return note(t, `error: ${text.slice(0, 300)}`);
      const seen = copy === 'misrouted' ? undefined : got[copy.seq];
      if (copy === 'misrouted' || seen === undefined) { t.misrouted++; return; }
      if (seen[o.index] === 1) { t.duplicated++; return; }
      seen[o.index] = 1;
      t.delivered++;
      remaining[copy.seq]!--;
    };
  }
  const body = 'x'.repeat(100);
  t.expected = req.units * n;
  await measured(req, t, () => closedLoop(req.units, 4, async (k) => {
    got[k] = new Uint8Array(n);
    remaining[k] = n;
    const sender = room[(k * 7919) % n]!;
    sender.conn.send(messageText(sender.roomJid, 0, k, body));
    if (!(await until(() => remaining[k] === 0, 30_000))) note(t, `message ${k}: ${remaining[k]} of ${n} copies missing`);
  }));
  t.work = t.delivered;
  for (const o of room) o.conn.onLost = () => {};
  await joined.close();
}
