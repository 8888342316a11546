/**
 * Tests for lib/modules/presence/subscriptions.ts on the wire: the RFC 6121 Appendix A state
 * machine between two local users, one transition at a time (none / to / from / both, pending
 * in and out), with the roster pushes to interested resources (§2.1.6) and the presence each
 * transition brings (§3.1.5, §3.2.2, §3.3.3); stanzas a state does not expect are ignored
 * (§3.1.6); the contact's server answers for a contact already subscribed to (§3.1.3); a
 * request to no such user is answered with unsubscribed (§8.5.1).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import { is, type ImClient } from '../../helpers/im-clients.js';
import type { RosterManager } from '../../../lib/modules/presence/roster-manager.js';

const H = 'localhost';
const NS_ROSTER = 'jabber:iq:roster';
const A = `alice@${H}`;
const B = `bob@${H}`;

type Sub = 'none' | 'to' | 'from' | 'both';

function rosters(s: ImServer): RosterManager {
  return s.server.host(H).items.get('rosters')[0]!.item as RosterManager;
}

/** The Appendix A state of `user`'s relation to `contact`, e.g. 'none+out', 'to+in', 'both'. */
function state(s: ImServer, user: string, contact: string): string {
  const item = rosters(s).item(user, contact);
  const pending = s.server.storage.mapGet(H, 'roster_pending', user, contact) !== undefined;
  return `${item?.subscription ?? 'none'}${item?.ask ? '+out' : ''}${pending ? '+in' : ''}`;
}

async function sync(...clients: ImClient[]): Promise<void> {
  for (const c of clients) await c.iq(xml('iq', { type: 'get', to: H }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

/** A client that fetched its roster (interested, RFC 6121 §2.1.6) and sent initial presence. */
async function interested(s: ImServer, user: string, resource: string, kind: 'raw' | 'xmppjs' = 'raw'): Promise<ImClient> {
  const c = await s[kind](user, resource);
  await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
  await c.send(xml('presence'));
  await sync(c);
  return c;
}

/** The next roster push for `jid`, answered; returns subscription and ask. */
async function push(c: ImClient, jid: string): Promise<string> {
  const iq = await c.next(is.rosterPush(jid), `roster push for ${jid} at ${c.jid}`);
  await c.send(xml('iq', { type: 'result', id: iq.attrs.id }));
  const item = iq.getChild('query', NS_ROSTER)!.getChild('item')!;
  return `${item.attrs.subscription as string}${item.attrs.ask ? '+ask' : ''}`;
}

const pushFor = (jid: string) => is.rosterPush(jid);
const presenceFrom = (from: string, type?: string) => (el: Element): boolean => el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;
const count = (c: ImClient, pred: (el: Element) => boolean): number => c.received.filter(pred).length;
const send = (c: ImClient, to: string, type: string): Promise<void> => c.send(xml('presence', { to, type }));

/** Consistent rows on both sides, written before anyone signs in. */
function seed(s: ImServer, aSub: Sub, bSub: Sub): void {
  s.server.storage.mapSet(H, 'roster_items', 'alice', B, { subscription: aSub, groups: [] });
  s.server.storage.mapSet(H, 'roster_items', 'bob', A, { subscription: bSub, groups: [] });
}

/** alice (one resource) and bob (b1 interested, b2 available but not interested). */
async function cast(s: ImServer): Promise<{ a: ImClient; b1: ImClient; b2: ImClient }> {
  const a = await interested(s, 'alice', 'a');
  const b1 = await interested(s, 'bob', 'b1', 'xmppjs');
  const b2 = await s.raw('bob', 'b2');
  await b2.send(xml('presence'));
  await sync(b2, a);
  return { a, b1, b2 };
}

describe('subscription states (RFC 6121 Appendix A)', () => {
  it('none → pending out → to → to+pending in → both, with pushes and presence at each step', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const { a, b1, b2 } = await cast(s);

    // A.3.1 / A.2.1: alice asks; bob's available resources get the request; no item for bob yet
    await send(a, B, 'subscribe');
    assert.equal(await push(a, B), 'none+ask');
    for (const b of [b1, b2]) await b.next(is.presence(A, 'subscribe'), `request at ${b.jid}`);
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['none+out', 'none+in']);
    // asking again changes nothing and is not delivered again
    await send(a, B, 'subscribe');
    await sync(a, b1, b2);
    assert.equal(a.has(pushFor(B)), false);
    assert.equal(count(b1, is.presence(A, 'subscribe')), 1);
    assert.equal(b1.has(pushFor(A)), false, 'a pending-in request is not a roster item');

    // A.3.3 / A.2.3 (§3.1.5, §3.1.6): bob approves from b2; pushes go to interested resources only
    await send(b2, A, 'subscribed');
    assert.equal(await push(b1, A), 'from');
    assert.equal(await push(a, B), 'to');
    await a.next(is.presence(B, 'subscribed'), 'the approval');
    await a.next(presenceFrom(b1.jid), "b1's presence (§3.1.5)");
    await a.next(presenceFrom(b2.jid), "b2's presence");
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['to', 'from']);
    await sync(b2);
    assert.equal(b2.has(pushFor(A)), false, 'b2 never asked for the roster');

    // bob asks back: from + pending out / to + pending in
    await send(b1, A, 'subscribe');
    assert.equal(await push(b1, A), 'from+ask');
    await a.next(is.presence(B, 'subscribe'), "bob's request");
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['to+in', 'from+out']);
    await send(a, B, 'subscribed');
    assert.equal(await push(a, B), 'both');
    assert.equal(await push(b1, A), 'both');
    await b1.next(presenceFrom(a.jid), "alice's presence");
    await b2.next(presenceFrom(a.jid), "alice's presence at b2");
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['both', 'both']);
  });

  it('unsubscribe: both → from / to → none, the subscriber seeing the contact go unavailable (§3.3)', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    seed(s, 'both', 'both');
    const { a, b1, b2 } = await cast(s);

    await send(a, B, 'unsubscribe');
    assert.equal(await push(a, B), 'from');
    await b1.next(is.presence(A, 'unsubscribe'), 'delivered to the interested resource (§3.3.3)');
    assert.equal(await push(b1, A), 'to');
    await a.next(presenceFrom(b1.jid, 'unavailable'), 'b1 unavailable for alice');
    await a.next(presenceFrom(b2.jid, 'unavailable'), 'b2 unavailable for alice');
    await sync(b2);
    assert.equal(b2.has(is.presence(A, 'unsubscribe')), false, 'not to a resource that is not interested');
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['from', 'to']);

    // bob's presence no longer reaches alice; alice's still reaches bob
    await b1.send(xml('presence', {}, xml('status', {}, 'unseen')));
    await a.send(xml('presence', {}, xml('status', {}, 'seen')));
    await b1.next((el) => presenceFrom(a.jid)(el) && el.getChildText('status') === 'seen', 'alice still seen');
    await sync(b1, a);
    assert.equal(a.has((el) => el.getChildText('status') === 'unseen'), false);

    await send(b1, A, 'unsubscribe');
    assert.equal(await push(b1, A), 'none');
    assert.equal(await push(a, B), 'none');
    await b1.next(presenceFrom(a.jid, 'unavailable'), 'alice unavailable for bob');
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['none', 'none']);
  });

  it('unsubscribed: both → to / from → none, the former subscriber seeing the contact go unavailable (§3.2)', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    seed(s, 'both', 'both');
    const { a, b1, b2 } = await cast(s);

    await send(b2, A, 'unsubscribed');
    assert.equal(await push(b1, A), 'to');
    await a.next(is.presence(B, 'unsubscribed'), 'the revocation');
    assert.equal(await push(a, B), 'from');
    await a.next(presenceFrom(b1.jid, 'unavailable'), 'b1 unavailable (§3.2.2)');
    await a.next(presenceFrom(b2.jid, 'unavailable'), 'b2 unavailable');
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['from', 'to']);
    // nothing left to revoke: not routed
    await send(b2, A, 'unsubscribed');
    await sync(b2, a);
    assert.equal(count(a, is.presence(B, 'unsubscribed')), 1);
    assert.equal(b1.has(pushFor(A)), false);

    await send(a, B, 'unsubscribed');
    assert.equal(await push(a, B), 'none');
    assert.equal(await push(b1, A), 'none');
    await b1.next(presenceFrom(a.jid, 'unavailable'), 'alice unavailable for bob');
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['none', 'none']);
  });

  it('a pending request denied (unsubscribed) or cancelled (unsubscribe); approving nothing is a pre-approval (§3.4)', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const { a, b1, b2 } = await cast(s);

    await send(a, B, 'subscribe');
    assert.equal(await push(a, B), 'none+ask');
    await b1.next(is.presence(A, 'subscribe'), 'request');
    await send(b1, A, 'unsubscribed');
    await a.next(is.presence(B, 'unsubscribed'), 'denial');
    assert.equal(await push(a, B), 'none');
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['none', 'none']);
    await sync(a, b1);
    assert.equal(b1.has(pushFor(A)), false, 'bob had no item to change');
    assert.equal(a.has((el) => el.name === 'presence' && el.attrs.type === 'unavailable'), false, 'bob was never visible');

    await send(a, B, 'subscribe');
    assert.equal(await push(a, B), 'none+ask');
    await b1.next(is.presence(A, 'subscribe'), 'request again');
    await send(a, B, 'unsubscribe');
    assert.equal(await push(a, B), 'none');
    await b1.next(is.presence(A, 'unsubscribe'), 'the cancellation');
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['none', 'none']);

    // RFC 6121 §3.4.2: no pending request: a pre-approval, pushed to bob and not routed to alice
    await send(b2, A, 'subscribed');
    const pre = await b1.next(pushFor(A), 'pre-approval push');
    assert.equal(pre.getChild('query', NS_ROSTER)!.getChild('item')!.attrs.approved, 'true');
    await sync(b2, a, b1);
    assert.equal(a.has(is.presence(B, 'subscribed')), false);
    assert.equal(a.has(pushFor(B)), false);
    assert.deepEqual([state(s, 'alice', B), rosters(s).item('bob', A)?.approved], ['none', true]);
  });

  it('ignores inbound subscribed, unsubscribed and unsubscribe that match no state (§3.1.6, A.2)', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const a = await interested(s, 'alice', 'a');
    const M = 'mallory@elsewhere.example';
    for (const type of ['subscribed', 'unsubscribed', 'unsubscribe']) s.server.route(xml('presence', { type, from: M, to: A }));
    await sync(a);
    assert.equal(a.has((el) => el.attrs.from === M), false, 'none delivered');
    assert.equal(rosters(s).item('alice', M), undefined, 'no item made');
    assert.equal(s.server.storage.get(H, 'roster', 'alice'), undefined, 'no version spent');
    // with a pending-out request, the same subscribed is taken
    await send(a, M, 'subscribe');
    assert.equal(await push(a, M), 'none+ask');
    s.server.route(xml('presence', { type: 'subscribed', from: `${M}/res`, to: `${A}/a` }));
    assert.equal(await push(a, M), 'to');
    const approval = await a.next(is.presence(M, 'subscribed'), 'approval');
    assert.deepEqual([approval.attrs.from, approval.attrs.to], [M, A], 'delivered between bare JIDs');
  });
});

describe('answers for the contact and unknown users', () => {
  it("the contact's server answers a request from a user already subscribed (§3.1.3)", async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    // bob already lets alice see him, but alice's roster lost that
    s.server.storage.mapSet(H, 'roster_items', 'bob', A, { subscription: 'from', groups: [] });
    const { a, b1, b2 } = await cast(s);
    for (const b of [b1, b2]) await a.next(presenceFrom(b.jid), "bob's initial presence, broadcast to alice");
    await send(a, B, 'subscribe');
    assert.equal(await push(a, B), 'none+ask');
    await a.next(is.presence(B, 'subscribed'), 'answered on bob\'s behalf');
    assert.equal(await push(a, B), 'to');
    await a.next(presenceFrom(b1.jid), "b1's presence, again");
    await a.next(presenceFrom(b2.jid), "b2's presence, again");
    await sync(b1, b2);
    assert.equal(b1.has(is.presence(A, 'subscribe')) || b2.has(is.presence(A, 'subscribe')), false, 'bob is not asked');
    assert.equal(b1.has(pushFor(A)), false);
    assert.deepEqual([state(s, 'alice', B), state(s, 'bob', A)], ['to', 'from']);
  });

  it('a request to a user that does not exist is answered with unsubscribed (§8.5.1)', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const a = await interested(s, 'alice', 'a', 'xmppjs');
    const G = `ghost@${H}`;
    await send(a, G, 'subscribe');
    assert.equal(await push(a, G), 'none+ask');
    await a.next(is.presence(G, 'unsubscribed'), 'unsubscribed from the ghost');
    assert.equal(await push(a, G), 'none');
    assert.equal(state(s, 'alice', G), 'none');
    assert.equal(s.server.storage.mapCount(H, 'roster_pending', 'ghost'), 0, 'nothing stored for a non-user');
  });
});

describe('addressing (RFC 6121 §3.1.2, §3.1.3)', () => {
  it('stamps bare JIDs, treats a full JID like the bare one, keeps the content, and ignores requests to oneself', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const { a, b1 } = await cast(s);
    const b3 = await s.raw('bob', 'b3'); // bound, not available
    await a.send(xml('presence', { to: b1.jid, type: 'subscribe', id: 'sub1' }, xml('status', {}, 'hi bob')));
    assert.equal(await push(a, B), 'none+ask');
    const req = await b1.next(is.presence(A, 'subscribe'), 'request');
    assert.deepEqual([req.attrs.from, req.attrs.to, req.attrs.id, req.getChildText('status')], [A, B, 'sub1', 'hi bob']);
    await sync(b3);
    assert.equal(b3.has(is.presence(A, 'subscribe')), false, 'only available resources get it');
    assert.deepEqual(Object.keys(s.server.storage.mapAll(H, 'roster_items', 'alice')), [B]);

    const ver = s.server.storage.get(H, 'roster', 'alice');
    for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']) await send(a, A, type);
    await sync(a);
    assert.equal(a.has(pushFor(A)) || a.has((el) => el.name === 'presence' && el.attrs.from === A), false);
    assert.deepEqual(s.server.storage.get(H, 'roster', 'alice'), ver, 'no change to the roster');
  });
});
