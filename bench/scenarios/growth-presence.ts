/**
 * @module bench/scenarios/growth-presence
 * Presence fan-out as the roster grows: the owner has `size` contacts, subscribed both ways
 * (rosters prepared in storage), all online; the owner changes its presence `units` times
 * (at most 4 changes unfinished) and each change must reach every contact once
 * (RFC 6121 §4.4.2). Cost unit: one recipient's copy.
 */
import { connectionFor, openMany } from '../client/pool.js';
import { attribute, childText } from '../client/stanza-text.js';
import type { BenchConnection } from '../client/connection.js';
import type { GrowthRequest } from '../protocol.js';
import { FIRST_CONTACT, OWNER } from './growth-layout.js';
import { closedLoop, measured, note, until, type StepTally } from './growth.js';

export async function runGrowthPresence(req: GrowthRequest, t: StepTally, progress: (text: string) => void): Promise<void> {
  const n = req.size;
  const opened = await openMany(n, req.concurrency, (i) => connectionFor(req, FIRST_CONTACT + i));
  if (opened.failed > 0) throw new Error(`${opened.failed} contacts failed to set up: ${opened.errors.join('; ')}`);
  const contacts = opened.connections as BenchConnection[];
  const owner = connectionFor(req, OWNER);
  // got[k][i]: contact i has change k; change -1 is the owner's initial presence
  const got: Uint8Array[] = [];
  const remaining: number[] = [];
  let initial = 0;
  // connectionFor binds resource 'bench'
  const ownerJid = `${req.userPrefix}${OWNER}@${req.target.domain}/bench`;
  for (const [i, c] of contacts.entries()) {
    c.onLost = (why) => note(t, `contact ${i} lost: ${why}`);
    c.onStanza = (text) => {
      if (!text.startsWith('<presence') || attribute(text, 'from') !== ownerJid) return;
      // RFC 6121 §4.2.2: routed to the contact's bare JID, delivered to each available resource
      const to = attribute(text, 'to');
      if (to !== c.jid && to !== c.jid.slice(0, c.jid.indexOf('/'))) { t.misrouted++; return; }
      const status = childText(text, 'status');
      if (status === undefined) { initial++; return; }
      const k = Number(status);
      const seen = got[k];
      if (seen === undefined) { t.misrouted++; return; }
      if (seen[i] === 1) { t.duplicated++; return; }
      seen[i] = 1;
      t.delivered++;
      remaining[k]!--;
    };
  }
  owner.onStanza = () => {};
  await owner.connect();
  if (!(await until(() => initial >= n, 30_000))) note(t, `initial presence reached ${initial} of ${n} contacts`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // probes' answers land
  progress(`owner with ${n} contacts online; ${req.units} presence changes`);
  t.expected = req.units * n;
  await measured(req, t, () => closedLoop(req.units, 4, async (k) => {
    got[k] = new Uint8Array(n);
    remaining[k] = n;
    owner.send(`<presence xmlns="jabber:client"><show>${k % 2 ? 'away' : 'dnd'}</show><status>${k}</status></presence>`);
    if (!(await until(() => remaining[k] === 0, 30_000))) note(t, `change ${k}: ${remaining[k]} of ${n} copies missing`);
  }));
  t.work = t.delivered;
  for (const c of [owner, ...contacts]) {
    c.onLost = () => {};
    c.terminate();
  }
}
