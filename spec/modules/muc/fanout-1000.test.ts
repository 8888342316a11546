/**
 * A room with 1,000 occupants (XEP-0045 §7.4): 1,000 real WebSocket sessions (raw RFC 7395
 * clients on loopback) join one room; groupchat messages reach every one of them, each with
 * its own `to` and the same content (one serialisation for all, core fanout), and a user
 * outside the room gets its ping answered while the copies go out. No timings are asserted.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { broadcastSerializations } from '../../../lib/core/fanout.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { wsLogin, type WsProbe } from '../../helpers/ws-probe.js';

const OCCUPANTS = 1000;
const ROOM = 'crowd@conference.localhost';
const IN_FLIGHT = 50;

let t: TestServer;
const occupants: { probe: WsProbe; jid: string }[] = [];
let outsider: { probe: WsProbe; jid: string };

/** Run `task(i)` for i in 0..count-1, `limit` at a time. */
async function inParallel(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < count) await task(next++);
  }));
}

before(async () => {
  const users: Record<string, string> = { outsider: 'pw' };
  for (let i = 0; i < OCCUPANTS; i++) users[`u${i}`] = 'pw';
  t = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'ping'],
    consider_websocket_secure: true,
    scram_iterations: 4096,
    c2s_max_unauthed: 10_000,
    c2s_max_unauthed_per_ip: 10_000,
    // Presence of joins is not what this test is about: only self-presence (XEP-0045 §7.2.3),
    // so the 1,000 joins are not a million presence stanzas.
    Component: { 'conference.localhost': { module: 'muc', muc_room_locking: false, muc_max_occupants: OCCUPANTS, muc_room_default_presence_broadcast: [] } },
  }, { users });
  const port = t.port('http');
  outsider = await wsLogin(port, 'outsider', 'pw', { resource: 'o' });
  await inParallel(OCCUPANTS, IN_FLIGHT, async (i) => {
    const c = await wsLogin(port, `u${i}`, 'pw', { resource: 'r' });
    occupants[i] = c;
    c.probe.sendText(`<presence xmlns='jabber:client' to='${ROOM}/n${i}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`);
    // §7.2.3: the join is complete with the self-presence (status 110)
    await c.probe.until(new RegExp(`^<presence [^>]*from="${ROOM}/n${i}"[\\s\\S]*<status code="110"/>`), 30_000);
  });
}, { timeout: 600_000 });

after(async () => {
  for (const c of occupants) c?.probe.destroy();
  outsider?.probe.destroy();
  await t?.stop();
});

describe('a room with 1,000 WebSocket occupants', { timeout: 600_000 }, () => {
  it('has them all joined (each got its self-presence)', () => {
    assert.equal(occupants.filter(Boolean).length, OCCUPANTS);
  });

  it('delivers each groupchat message to all 1,000, serialising its content once, and answers a ping meanwhile', async () => {
    const before = broadcastSerializations();
    const messages = 3;
    for (let m = 0; m < messages; m++) {
      occupants[m]!.probe.sendText(`<message xmlns='jabber:client' to='${ROOM}' type='groupchat' id='crowd${m}'><body>to all &amp; each ${m}</body></message>`);
    }
    // sent while the copies go out: the server must still answer others
    outsider.probe.sendText(`<iq xmlns='jabber:client' type='get' id='ping-during' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const pong = await outsider.probe.until(/^<iq [^>]*id="ping-during"[^>]*>|^<iq [^>]*id="ping-during"[^>]*\/>/, 60_000);
    assert.match(pong[0], /type="result"/);
    await inParallel(OCCUPANTS, IN_FLIGHT, async (i) => {
      const c = occupants[i]!;
      for (let m = 0; m < messages; m++) {
        const text = (await c.probe.until(new RegExp(`^<message [^>]*id="crowd${m}"`), 60_000)).input;
        assert.match(text, new RegExp(`from="${ROOM}/n${m}"`));
        assert.ok(text.includes(` to="${c.jid}"`), `copy ${m} for ${c.jid} is addressed to it: ${text}`);
        assert.match(text, new RegExp(`<body>to all &amp; each ${m}</body>`));
      }
    });
    const after = broadcastSerializations();
    assert.equal(after.contents - before.contents, messages, 'one content serialisation per message, not one per occupant');
    assert.ok(after.copies - before.copies >= messages * OCCUPANTS, 'every copy was written around the shared content');
  });
});
