/**
 * Tests for lib/modules/presence/roster-manager.ts and roster-store.ts through a real server:
 * the host's `rosters` service driven directly. Every RFC 6121 Appendix A transition, for a
 * user with a bound session (cached roster) and one without (storage only), with the version
 * (§2.6) increased by exactly the changes that write; max_roster_items on every path that adds
 * an item; the bounds on pending requests; the cache in step with storage; roster pushes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import { is } from '../../helpers/im-clients.js';
import type { RosterManager } from '../../../lib/modules/presence/roster-manager.js';

const H = 'localhost';
const NS_ROSTER = 'jabber:iq:roster';

function rosters(s: ImServer): RosterManager {
  const records = s.server.host(H).items.get('rosters');
  assert.equal(records.length, 1, 'one rosters service on the host');
  assert.equal(records[0]!.module, 'presence');
  return records[0]!.item as RosterManager;
}

const REQUEST = { stanza: { name: 'presence', attrs: { type: 'subscribe' }, children: [] } };
const subscribe = (from: string, to: string, status?: string): Element =>
  xml('presence', { type: 'subscribe', from, to }, status === undefined ? undefined : xml('status', {}, status));

/** Write a state ('absent', 'none+out', 'to+in', 'none+pre' for a pre-approval, ...) as rows, before the user has a session. */
function seed(s: ImServer, user: string, jid: string, state: string): void {
  const [sub, ...flags] = state.split('+');
  if (sub !== 'absent') {
    s.server.storage.mapSet(H, 'roster_items', user, jid, {
      subscription: sub, groups: [], ...(flags.includes('out') ? { ask: 'subscribe' } : {}), ...(flags.includes('pre') ? { approved: true } : {}),
    });
  }
  if (flags.includes('in')) s.server.storage.mapSet(H, 'roster_pending', user, jid, REQUEST);
}

/** The state as the manager sees the item, with pending-in from storage. */
function stateOf(s: ImServer, user: string, jid: string): string {
  const item = rosters(s).item(user, jid);
  const pending = s.server.storage.mapGet(H, 'roster_pending', user, jid) !== undefined;
  return `${item?.subscription ?? 'absent'}${item?.ask ? '+out' : ''}${item?.approved ? '+pre' : ''}${pending ? '+in' : ''}`;
}

type Op = 'outSubscribe' | 'outUnsubscribe' | 'outSubscribed' | 'outUnsubscribed' | 'inSubscribe' | 'inUnsubscribe' | 'inSubscribed' | 'inUnsubscribed';

/** [operation, state before, state after, what it reports, version increase] */
const TRANSITIONS: readonly [Op, string, string, string, 0 | 1][] = [
  // A.3.1 outbound subscribe
  ['outSubscribe', 'absent', 'none+out', 'changed', 1],
  ['outSubscribe', 'none', 'none+out', 'changed', 1],
  ['outSubscribe', 'none+in', 'none+out+in', 'changed', 1],
  ['outSubscribe', 'from', 'from+out', 'changed', 1],
  ['outSubscribe', 'none+out', 'none+out', 'unchanged', 0],
  ['outSubscribe', 'to', 'to', 'unchanged', 0],
  ['outSubscribe', 'to+in', 'to+in', 'unchanged', 0],
  ['outSubscribe', 'both', 'both', 'unchanged', 0],
  // A.3.2 outbound unsubscribe
  ['outUnsubscribe', 'to', 'none', 'changed', 1],
  ['outUnsubscribe', 'both', 'from', 'changed', 1],
  ['outUnsubscribe', 'none+out', 'none', 'changed', 1],
  ['outUnsubscribe', 'from+out', 'from', 'changed', 1],
  ['outUnsubscribe', 'to+in', 'none+in', 'changed', 1],
  ['outUnsubscribe', 'none+out+in', 'none+in', 'changed', 1],
  ['outUnsubscribe', 'none', 'none', 'unchanged', 0],
  ['outUnsubscribe', 'from', 'from', 'unchanged', 0],
  ['outUnsubscribe', 'absent', 'absent', 'unchanged', 0],
  // A.3.3 outbound subscribed (approval of a pending-in request; without one, a pre-approval, §3.4)
  ['outSubscribed', 'absent+in', 'from', 'changed', 1],
  ['outSubscribed', 'none+in', 'from', 'changed', 1],
  ['outSubscribed', 'to+in', 'both', 'changed', 1],
  ['outSubscribed', 'none+out+in', 'from+out', 'changed', 1],
  ['outSubscribed', 'none', 'none+pre', 'changed', 1],
  ['outSubscribed', 'to', 'to+pre', 'changed', 1],
  ['outSubscribed', 'absent', 'none+pre', 'changed', 1],
  ['outSubscribed', 'none+out', 'none+out+pre', 'changed', 1],
  ['outSubscribed', 'none+pre', 'none+pre', 'unchanged', 0],
  ['outSubscribed', 'from', 'from', 'unchanged', 0],
  ['outSubscribed', 'both', 'both', 'unchanged', 0],
  // A.3.4 outbound unsubscribed
  ['outUnsubscribed', 'from', 'none', 'changed (was from)', 1],
  ['outUnsubscribed', 'both', 'to', 'changed (was from)', 1],
  ['outUnsubscribed', 'none+in', 'none', 'unchanged (was pending)', 1],
  ['outUnsubscribed', 'absent+in', 'absent', 'unchanged (was pending)', 1],
  ['outUnsubscribed', 'none+out+in', 'none+out', 'unchanged (was pending)', 1],
  ['outUnsubscribed', 'to+in', 'to', 'unchanged (was pending)', 1],
  ['outUnsubscribed', 'to', 'to', 'unchanged', 0],
  ['outUnsubscribed', 'none', 'none', 'unchanged', 0],
  ['outUnsubscribed', 'absent', 'absent', 'unchanged', 0],
  ['outUnsubscribed', 'none+pre', 'none', 'changed', 1], // §3.4: the pre-approval is cancelled
  ['outUnsubscribed', 'to+pre', 'to', 'changed', 1],
  // A.2.1 inbound subscribe
  ['inSubscribe', 'absent', 'absent+in', 'new', 1],
  ['inSubscribe', 'none', 'none+in', 'new', 1],
  ['inSubscribe', 'to', 'to+in', 'new', 1],
  ['inSubscribe', 'none+out', 'none+out+in', 'new', 1],
  ['inSubscribe', 'from', 'from', 'subscribed', 0],
  ['inSubscribe', 'both', 'both', 'subscribed', 0],
  ['inSubscribe', 'none+in', 'none+in', 'pending', 0],
  ['inSubscribe', 'none+pre', 'from', 'approved', 1], // §3.4: pre-approved, approved on the user's behalf
  ['inSubscribe', 'to+pre', 'both', 'approved', 1],
  ['inSubscribe', 'none+out+pre', 'from+out', 'approved', 1],
  // A.2.2 inbound unsubscribe
  ['inUnsubscribe', 'from', 'none', 'changed (item)', 1],
  ['inUnsubscribe', 'both', 'to', 'changed (item)', 1],
  ['inUnsubscribe', 'from+out', 'none+out', 'changed (item)', 1],
  ['inUnsubscribe', 'none+in', 'none', 'changed', 1],
  ['inUnsubscribe', 'absent+in', 'absent', 'changed', 1],
  ['inUnsubscribe', 'to', 'to', 'unchanged', 0],
  ['inUnsubscribe', 'none', 'none', 'unchanged', 0],
  // A.2.3 inbound subscribed (only when pending out)
  ['inSubscribed', 'none+out', 'to', 'changed', 1],
  ['inSubscribed', 'from+out', 'both', 'changed', 1],
  ['inSubscribed', 'none+out+in', 'to+in', 'changed', 1],
  ['inSubscribed', 'none', 'none', 'unchanged', 0],
  ['inSubscribed', 'to', 'to', 'unchanged', 0],
  ['inSubscribed', 'absent', 'absent', 'unchanged', 0],
  // A.2.4 inbound unsubscribed
  ['inUnsubscribed', 'none+out', 'none', 'changed', 1],
  ['inUnsubscribed', 'none+out+in', 'none+in', 'changed', 1],
  ['inUnsubscribed', 'to', 'none', 'changed', 1],
  ['inUnsubscribed', 'to+in', 'none+in', 'changed', 1],
  ['inUnsubscribed', 'both', 'from', 'changed', 1],
  ['inUnsubscribed', 'from+out', 'from', 'changed', 1],
  ['inUnsubscribed', 'from', 'from', 'unchanged', 0],
  ['inUnsubscribed', 'none', 'none', 'unchanged', 0],
  ['inUnsubscribed', 'absent', 'absent', 'unchanged', 0],
];

function apply(m: RosterManager, op: Op, user: string, jid: string): string {
  if (op === 'inSubscribe') return m.inSubscribe(user, jid, subscribe(jid, `${user}@${H}`)).result;
  const r = m[op](user, jid) as { changed: boolean; itemChanged?: boolean; wasSubscribed?: boolean; wasPending?: boolean };
  const notes = [r.itemChanged && 'item', r.wasSubscribed && 'was from', r.wasPending && !r.wasSubscribed && 'was pending'].filter(Boolean);
  return `${r.changed ? 'changed' : 'unchanged'}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

/** The items as the manager shows them (queryElement) and as stored, in one shape. */
function itemsBothWays(s: ImServer, user: string): [unknown, unknown] {
  const shape = (jid: string, sub: unknown, ask: unknown, groups: unknown[]): [string, string] => [jid, `${String(sub)}${ask ? '+out' : ''} [${groups.join()}]`];
  const viewed = rosters(s).queryElement(user).getChildren('item')
    .map((i) => shape(i.attrs.jid as string, i.attrs.subscription, i.attrs.ask, i.getChildren('group').map((g) => g.getText())));
  const stored = Object.entries(s.server.storage.mapAll(H, 'roster_items', user) as Record<string, { subscription: string; ask?: string; groups: string[] }>)
    .map(([jid, i]) => shape(jid, i.subscription, i.ask, i.groups));
  const sort = (l: [string, string][]): [string, string][] => l.sort((a, b) => a[0].localeCompare(b[0]));
  return [sort(viewed), sort(stored)];
}

describe('RosterManager', () => {
  it('is the host\'s rosters service, with the configured limits', async (t) => {
    const s = await startImServer([], { max_roster_items: 7, max_pending_subscriptions: 3 });
    t.after(() => s.stop());
    assert.equal(rosters(s).maxItems, 7);
    assert.equal(rosters(s).maxPending, 3);
    assert.equal(rosters(s).host, H);
  });

  for (const online of [true, false]) {
    it(`applies every Appendix A transition, bumping the version only when it writes (${online ? 'cached, the user online' : 'storage, the user offline'})`, async (t) => {
      const s = await startImServer(['alice']);
      t.after(() => s.stop());
      const m = rosters(s);
      TRANSITIONS.forEach(([, before], i) => seed(s, 'alice', `c${i}@${H}`, before));
      if (online) await s.raw('alice', 'a');
      const got: string[] = [];
      const want: string[] = [];
      TRANSITIONS.forEach(([op, before, after, result, bump], i) => {
        const jid = `c${i}@${H}`;
        assert.equal(stateOf(s, 'alice', jid), before, `seeded ${jid}`);
        const ver = m.version('alice');
        const r = apply(m, op, 'alice', jid);
        got.push(`${op} ${before}: ${stateOf(s, 'alice', jid)} ${r} +${m.version('alice') - ver}`);
        want.push(`${op} ${before}: ${after} ${result} +${bump}`);
      });
      assert.deepEqual(got, want);
      assert.equal(m.isCached('alice'), online);
      assert.deepEqual(s.server.storage.get(H, 'roster', 'alice'), { ver: TRANSITIONS.filter((r) => r[4] === 1).length });
      const [viewed, stored] = itemsBothWays(s, 'alice');
      assert.deepEqual(viewed, stored, 'what the manager reads is what is stored');
      // the pending-in set the manager keeps agrees with the stored requests
      TRANSITIONS.forEach(([, , after], i) => {
        if (after.startsWith('from') || after.startsWith('both')) return;
        const jid = `c${i}@${H}`;
        const expected = after.endsWith('+in') ? 'pending' : after.includes('+pre') ? 'approved' : 'new';
        assert.equal(m.inSubscribe('alice', jid, subscribe(jid, `alice@${H}`)).result, expected, jid);
      });
    });
  }

  it('refuses to add an item beyond max_roster_items on every path; editing and pending requests are not refused', async (t) => {
    const s = await startImServer(['alice'], { max_roster_items: 3 });
    t.after(() => s.stop());
    const m = rosters(s);
    await s.raw('alice', 'a');
    for (const j of ['x', 'y', 'z']) assert.equal(m.setItem('alice', `${j}@${H}`, { groups: [] }), 'ok');
    const ver = m.version('alice');
    assert.equal(m.setItem('alice', `w@${H}`, { groups: [] }), 'full');
    assert.deepEqual(m.outSubscribe('alice', `w@${H}`), { changed: false, full: true });
    // a request from w is stored (it is not an item) but approving it would add one
    assert.equal(m.inSubscribe('alice', `w@${H}`, subscribe(`w@${H}`, `alice@${H}`)).result, 'new');
    assert.deepEqual(m.outSubscribed('alice', `w@${H}`), { changed: false, full: true });
    assert.equal(m.version('alice'), ver + 1, 'only the stored request was written');
    assert.equal(m.item('alice', `w@${H}`), undefined);
    assert.equal(s.server.storage.mapCount(H, 'roster_items', 'alice'), 3);
    // existing items still change
    assert.equal(m.setItem('alice', `x@${H}`, { name: 'X', groups: ['G'] }), 'ok');
    assert.deepEqual(m.outSubscribe('alice', `y@${H}`), { changed: true });
    // room again after a removal
    assert.deepEqual(m.removeItem('alice', `z@${H}`), { hadFrom: false, hadTo: false, wasPending: false });
    assert.deepEqual(m.outSubscribed('alice', `w@${H}`), { changed: true });
    assert.equal(m.item('alice', `w@${H}`)?.subscription, 'from');
  });

  it('bounds pending requests: max_pending_subscriptions, status length, what is delivered', async (t) => {
    const s = await startImServer(['alice', 'olive'], { max_pending_subscriptions: 2, max_subscription_status_length: 5 });
    t.after(() => s.stop());
    const m = rosters(s);
    const first = m.inSubscribe('alice', `p1@${H}`, subscribe(`p1@${H}`, `alice@${H}`, 'hello there'));
    assert.equal(first.result, 'new');
    assert.equal(first.request?.getChildText('status'), 'hello', 'delivered as stored: bounded');
    assert.deepEqual([first.request?.attrs.from, first.request?.attrs.to], [`p1@${H}`, `alice@${H}`]);
    assert.equal(m.inSubscribe('alice', `p2@${H}`, subscribe(`p2@${H}`, `alice@${H}`)).result, 'new');
    const ver = m.version('alice');
    assert.deepEqual(m.inSubscribe('alice', `p3@${H}`, subscribe(`p3@${H}`, `alice@${H}`)), { result: 'full' });
    assert.equal(m.inSubscribe('alice', `p1@${H}`, subscribe(`p1@${H}`, `alice@${H}`, 'again')).result, 'pending');
    assert.equal(m.version('alice'), ver, 'nothing written for a refused or repeated request');
    assert.deepEqual(Object.keys(s.server.storage.mapAll(H, 'roster_pending', 'alice')).sort(), [`p1@${H}`, `p2@${H}`]);

    // more than the bound in storage (older data): at most max_pending_subscriptions delivered
    s.server.storage.mapSet(H, 'roster_pending', 'alice', `p0@${H}`, REQUEST);
    const delivered = m.pendingStanzas('alice');
    assert.equal(delivered.length, 2);
    for (const p of delivered) {
      assert.deepEqual([p.attrs.to, p.attrs.type], [`alice@${H}`, 'subscribe']);
      assert.ok([`p0@${H}`, `p1@${H}`, `p2@${H}`].includes(p.attrs.from as string));
    }
    // a request stored under larger bounds is bounded again when delivered
    s.server.storage.mapSet(H, 'roster_pending', 'olive', `q@${H}`, { stanza: { name: 'presence', attrs: { type: 'subscribe' }, children: [{ name: 'status', attrs: {}, children: ['a long stored status'] }] } });
    const [old] = m.pendingStanzas('olive');
    assert.deepEqual([old?.attrs.from, old?.attrs.to, old?.getChildText('status')], [`q@${H}`, `olive@${H}`, 'a lon']);
    // answering one makes room
    assert.deepEqual(m.outUnsubscribed('alice', `p1@${H}`), { changed: false, wasSubscribed: false, wasPending: true });
    assert.equal(m.inSubscribe('alice', `p3@${H}`, subscribe(`p3@${H}`, `alice@${H}`)).result, 'full', 'p0 and p2 fill the bound');
    assert.deepEqual(m.inUnsubscribe('alice', `p0@${H}`), { changed: true, itemChanged: false });
    assert.equal(m.inSubscribe('alice', `p3@${H}`, subscribe(`p3@${H}`, `alice@${H}`)).result, 'new');
  });

  it('caches the roster of a user with a bound session only, in step with storage, until the last session goes', async (t) => {
    const s = await startImServer(['alice', 'olive']);
    t.after(() => s.stop());
    const m = rosters(s);
    m.setItem('olive', `x@${H}`, { name: 'X', groups: ['G'] });
    assert.equal(m.item('olive', `x@${H}`)?.name, 'X');
    assert.equal(m.isCached('olive'), false, 'an offline user is read from storage');

    const a1 = await s.raw('alice', 'one');
    const a2 = await s.raw('alice', 'two');
    assert.equal(m.setItem('alice', `b@${H}`, { name: 'Bee', groups: ['Friends', 'Work'] }), 'ok');
    assert.equal(m.isCached('alice'), true);
    m.outSubscribe('alice', `b@${H}`);
    const copy = m.item('alice', `b@${H}`)!;
    copy.groups.push('mutated');
    copy.subscription = 'both';
    assert.deepEqual(m.item('alice', `b@${H}`), { name: 'Bee', subscription: 'none', ask: 'subscribe', groups: ['Friends', 'Work'] }, 'item() hands out copies');
    assert.deepEqual(s.server.storage.mapGet(H, 'roster_items', 'alice', `b@${H}`), m.item('alice', `b@${H}`));
    assert.deepEqual(m.removeItem('alice', `b@${H}`), { hadFrom: false, hadTo: true, wasPending: false }, 'pending out counts as to');
    assert.equal(s.server.storage.mapGet(H, 'roster_items', 'alice', `b@${H}`), undefined);
    assert.equal(m.removeItem('alice', `b@${H}`), undefined);

    // the cache is what is read while alice is online: a row written behind its back is not seen
    s.server.storage.mapSet(H, 'roster_items', 'alice', `sneaky@${H}`, { subscription: 'both', groups: [] });
    assert.equal(m.item('alice', `sneaky@${H}`), undefined);
    await a1.stop();
    assert.equal(m.isCached('alice'), true, 'one session is still bound');
    await a2.stop();
    await waitUntil(() => !m.isCached('alice'));
    assert.equal(m.item('alice', `sneaky@${H}`)?.subscription, 'both', 'read from storage again');
  });

  it('reads hand-edited rows tolerantly', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    s.server.storage.mapSet(H, 'roster_items', 'alice', `odd@${H}`, { subscription: 'bogus', ask: 'maybe', name: 7, groups: ['G', 5, null] });
    s.server.storage.mapSet(H, 'roster_items', 'alice', `bare@${H}`, {});
    const m = rosters(s);
    assert.deepEqual(m.item('alice', `odd@${H}`), { subscription: 'none', groups: ['G'] });
    assert.deepEqual(m.item('alice', `bare@${H}`), { subscription: 'none', groups: [] });
    assert.equal(m.isSubscribed('alice', `odd@${H}`), false);
  });

  it('pushes an item with the current version to interested resources only; a removed item as remove', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const m = rosters(s);
    const a1 = await s.raw('alice', 'one');
    const a2 = await s.xmppjs('alice', 'two');
    const a3 = await s.raw('alice', 'three');
    for (const c of [a1, a2]) await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
    m.setItem('alice', `b@${H}`, { name: 'Bee', groups: ['G'] });
    m.outSubscribe('alice', `b@${H}`);
    m.push('alice', `b@${H}`);
    for (const c of [a1, a2]) {
      const iq = await c.next(is.rosterPush(`b@${H}`), `push at ${c.jid}`);
      assert.equal(iq.attrs.to, c.jid);
      const query = iq.getChild('query', NS_ROSTER)!;
      assert.equal(query.attrs.ver, String(m.version('alice')));
      assert.equal(query.attrs.ver, '2');
      const item = query.getChild('item')!;
      assert.deepEqual([item.attrs.name, item.attrs.subscription, item.attrs.ask, item.getChildText('group')], ['Bee', 'none', 'subscribe', 'G']);
    }
    m.removeItem('alice', `b@${H}`);
    m.push('alice', `b@${H}`);
    const removed = await a1.next(is.rosterPush(`b@${H}`), 'removal push');
    assert.equal(removed.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.subscription, 'remove');
    assert.equal(removed.getChild('query', NS_ROSTER)?.attrs.ver, '3');
    await a3.iq(xml('iq', { type: 'get', to: H }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(a3.has(is.rosterPush(`b@${H}`)), false, 'a resource that never fetched the roster gets no push');
    // the query element carries the version and every item
    m.setItem('alice', `c@${H}`, { groups: [] });
    const q = m.queryElement('alice');
    assert.equal(q.attrs.ver, '4');
    assert.deepEqual(q.getChildren('item').map((i) => i.attrs.jid), [`c@${H}`]);
  });
});

async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
