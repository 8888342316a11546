/**
 * @module bench/scenarios/growth-login
 * Two growth steps that time logins. login: the owner, with a roster of `size` contacts (all
 * offline, subscribed both ways), logs in `units` times one after the other: session setup,
 * initial presence with its `size` probes answered (RFC 6121 §4.3.2: unavailable), roster get
 * (RFC 6121 §2.1.3), then a graceful close. offline: `units` users each find `size` messages
 * in offline storage (sent while they were offline, untimed) and log in; the step ends when
 * every message has arrived (XEP-0160). Cost units: a login; a delivered offline message.
 */
import { BenchConnection } from '../client/connection.js';
import { closeAll, connectionFor, inParallel } from '../client/pool.js';
import { attribute } from '../client/stanza-text.js';
import type { GrowthRequest } from '../protocol.js';
import { FIRST_CONTACT, OWNER } from './growth-layout.js';
import { measured, note, until, type StepTally } from './growth.js';

/** A connection for account `index` with its own resource (logins one after another never collide). */
function withResource(req: GrowthRequest, index: number, resource: string): BenchConnection {
  return new BenchConnection({ ...connectionFor(req, index).options, resource });
}

export async function runGrowthLogin(req: GrowthRequest, t: StepTally, progress: (text: string) => void): Promise<void> {
  const r = req.size;
  const contactPrefix = `${req.userPrefix}`;
  progress(`${req.units} logins with a roster of ${r}`);
  t.expected = req.units * (r + 1); // per login: every probe answered, and the roster
  await measured(req, t, async () => {
    for (let i = 0; i < req.units; i++) {
      const c = withResource(req, OWNER, `login${i}`);
      let probes = 0;
      let roster = -1;
      c.onStanza = (text) => {
        if (text.startsWith('<presence') && attribute(text, 'type') === 'unavailable') {
          if ((attribute(text, 'from') ?? '').startsWith(contactPrefix)) probes++;
          else t.misrouted++;
        } else if (text.startsWith('<iq') && attribute(text, 'id') === `roster${i}`) {
          roster = attribute(text, 'type') === 'result' ? text.split('<item ').length - 1 : -2;
        }
      };
      try {
        await c.connect();
        c.send(`<iq xmlns="jabber:client" type="get" id="roster${i}"><query xmlns="jabber:iq:roster"/></iq>`);
        if (!(await until(() => roster !== -1 && probes >= r, 30_000))) note(t, `login ${i}: roster ${roster}, ${probes} of ${r} probes answered`);
        if (roster !== r) note(t, `login ${i}: roster of ${roster} items, expected ${r}`);
        else t.delivered++;
        t.delivered += Math.min(probes, r);
        if (probes > r) t.duplicated += probes - r;
        t.work++;
      } catch (err) {
        note(t, `login ${i}: ${(err as Error).message}`);
      }
      await c.close();
    }
  });
}

export async function runGrowthOffline(req: GrowthRequest, t: StepTally, progress: (text: string) => void): Promise<void> {
  const m = req.size;
  const users = req.units;
  const domain = req.target.domain;
  const sender = connectionFor(req, OWNER);
  sender.onStanza = () => {};
  await sender.connect();
  // untimed: the messages go to offline storage while their users are offline
  for (let u = 0; u < users; u++) {
    const to = `${req.userPrefix}${FIRST_CONTACT + u}@${domain}`;
    for (let k = 0; k < m; k++) sender.send(`<message xmlns="jabber:client" to="${to}" type="chat" id="o${u}-${k}"><body>offline ${u} ${k}</body></message>`);
    if (u % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  // a round trip after the last one: everything before it has been handled (RFC 6120 §10.1: in order)
  let pong = false;
  sender.onStanza = (text) => {
    if (text.startsWith('<iq') && attribute(text, 'id') === 'barrier') pong = true;
    else if (text.startsWith('<message') && attribute(text, 'type') === 'error') note(t, `bounced: ${text.slice(0, 200)}`);
  };
  sender.send('<iq xmlns="jabber:client" type="get" id="barrier"><ping xmlns="urn:xmpp:ping"/></iq>');
  if (!(await until(() => pong, 60_000))) throw new Error('no answer to the ping after the offline messages');
  await sender.close();
  await new Promise((resolve) => setTimeout(resolve, 300)); // deferred writes reach storage
  progress(`${users} users with ${m} offline messages each log in`);
  t.expected = users * m;
  const got = Array.from({ length: users }, () => new Uint8Array(m));
  const conns: BenchConnection[] = [];
  await measured(req, t, async () => {
    await inParallel(users, Math.min(req.concurrency, 10), async (u) => {
      const c = connectionFor(req, FIRST_CONTACT + u);
      conns.push(c);
      c.onLost = (why) => note(t, `user ${u} lost: ${why}`);
      c.onStanza = (text) => {
        if (!text.startsWith('<message')) return;
        const match = /^o(\d+)-(\d+)$/.exec(attribute(text, 'id') ?? '');
        if (match === null || Number(match[1]) !== u || Number(match[2]) >= m) { t.misrouted++; return; }
        const k = Number(match[2]);
        if (got[u]![k] === 1) { t.duplicated++; return; }
        got[u]![k] = 1;
        t.delivered++;
      };
      try {
        await c.connect();
      } catch (err) {
        note(t, `user ${u}: ${(err as Error).message}`);
      }
    });
    if (!(await until(() => t.delivered + t.misrouted >= t.expected, 60_000))) note(t, `${t.expected - t.delivered} offline messages missing`);
  });
  t.work = t.delivered;
  for (const c of conns) c.onLost = () => {};
  await closeAll(conns, req.concurrency);
}
