/**
 * Tests for lib/modules/presence/roster-store.ts through the server: rosters stored one row per
 * contact ('roster_items', 'roster_pending') plus the version ('roster'); an old whole-record
 * roster migrated on first access without losing anything; the version increasing with every
 * change (RFC 6121 §2.6); and the cache of online users' rosters staying in step with storage
 * and being dropped when the last session unbinds. Memory and SQLite.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../../helpers/im-server.js';
import { is, type ImClient } from '../../helpers/im-clients.js';

const NS_ROSTER = 'jabber:iq:roster';
const H = 'localhost';

const STORAGES = [
  { name: 'memory', config: () => ({ storage: 'memory' }) },
  { name: 'sqlite', config: (path: string) => ({ storage: 'sqlite', data_path: path }) },
];

async function sync(c: ImClient): Promise<void> {
  await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

async function getRoster(c: ImClient, ver?: string): Promise<Element | undefined> {
  return (await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER, ver })))).getChild('query', NS_ROSTER);
}

/** The items of a roster result as plain objects, by JID. */
function itemsOf(query: Element | undefined): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const i of query?.getChildren('item') ?? []) {
    out[i.attrs.jid as string] = {
      ...(i.attrs.name !== undefined ? { name: i.attrs.name } : {}),
      subscription: i.attrs.subscription,
      ...(i.attrs.ask !== undefined ? { ask: i.attrs.ask } : {}),
      groups: i.getChildren('group').map((g) => g.getText()),
    };
  }
  return out;
}

for (const storage of STORAGES) {
  describe(`roster storage (${storage.name})`, () => {
    it('migrates an old whole-record roster on first access, losing nothing', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const s = await startImServer(['alice', 'bob', 'carol', 'dave'], storage.config(dir.path));
      t.after(() => s.stop());
      const old = {
        ver: 7,
        items: {
          'bob@localhost': { name: 'Bob', subscription: 'both', groups: ['Friends', 'Work'] },
          'carol@localhost': { subscription: 'none', ask: 'subscribe', groups: [] },
          'erin@example.org': { name: 'Erin', subscription: 'from', groups: ['Far'] },
        },
        pending: { 'dave@localhost': { status: 'hi alice, it is dave' }, 'frank@example.org': {} },
      };
      s.server.storage.set(H, 'roster', 'alice', old);
      // bob's side of the mutual subscription, in the old format too
      s.server.storage.set(H, 'roster', 'bob', { ver: 3, items: { 'alice@localhost': { subscription: 'both', groups: [] } }, pending: {} });

      const bob = await s.raw('bob', 'b');
      await bob.send(xml('presence'));
      await sync(bob);
      const carol = await s.raw('carol', 'c');
      await carol.send(xml('presence'));
      await sync(carol);

      const alice = await s.raw('alice', 'a');
      const query = await getRoster(alice);
      assert.equal(query?.attrs.ver, '7', 'the version is kept: a client with ver 7 is up to date');
      assert.deepEqual(itemsOf(query), {
        'bob@localhost': { name: 'Bob', subscription: 'both', groups: ['Friends', 'Work'] },
        'carol@localhost': { subscription: 'none', ask: 'subscribe', groups: [] },
        'erin@example.org': { name: 'Erin', subscription: 'from', groups: ['Far'] },
      });
      assert.equal(await getRoster(alice, '7'), undefined, 'RFC 6121 §2.6.3: unchanged, an empty result');

      // the new layout: one row per contact, pending requests, and a small record
      assert.deepEqual(s.server.storage.get(H, 'roster', 'alice'), { ver: 7 });
      assert.deepEqual(Object.keys(s.server.storage.mapAll(H, 'roster_items', 'alice')), ['bob@localhost', 'carol@localhost', 'erin@example.org']);
      assert.deepEqual(Object.keys(s.server.storage.mapAll(H, 'roster_pending', 'alice')), ['dave@localhost', 'frank@example.org']);

      // subscriptions work from the migrated data: bob (both) gets alice's presence, the
      // pending requests are delivered (status kept), the pending-out request is sent again
      await alice.send(xml('presence', {}, xml('status', {}, 'migrated')));
      const seen = await bob.next((el) => el.name === 'presence' && el.attrs.from === alice.jid, "alice's presence");
      assert.equal(seen.getChildText('status'), 'migrated');
      const dave = await alice.next(is.presence('dave@localhost', 'subscribe'), "dave's stored request");
      assert.equal(dave.getChildText('status'), 'hi alice, it is dave');
      await alice.next(is.presence('frank@example.org', 'subscribe'), "frank's stored request");
      await carol.next(is.presence('alice@localhost', 'subscribe'), 'the pending-out request again');
      await alice.next(is.presence(bob.jid, undefined), "bob's migrated roster answers alice's probe");

      // RFC 6121 §2.6: every change increases the version
      await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'zed@localhost' }))));
      const push = await alice.next(is.rosterPush('zed@localhost'), 'push');
      assert.equal(push.getChild('query', NS_ROSTER)?.attrs.ver, '8');
      await alice.send(xml('presence', { to: 'dave@localhost', type: 'subscribed' }));
      const approved = await alice.next(is.rosterPush('dave@localhost'), 'push for the approval');
      assert.equal(approved.getChild('query', NS_ROSTER)?.attrs.ver, '9');
      assert.equal(s.server.storage.get(H, 'roster', 'alice') !== undefined, true);
      assert.deepEqual(s.server.storage.get(H, 'roster', 'alice'), { ver: 9 });
    });

    it('delivers at most max_pending_subscriptions of the requests migrated at sign-in', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const s = await startImServer(['alice'], { ...storage.config(dir.path), max_pending_subscriptions: 3 });
      t.after(() => s.stop());
      const pending = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}@example.org`, { status: `request ${i}` }]));
      s.server.storage.set(H, 'roster', 'alice', { ver: 1, items: {}, pending });
      const alice = await s.raw('alice', 'a');
      await alice.send(xml('presence'));
      await sync(alice);
      const got = alice.received.filter((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
      assert.deepEqual(got.map((el) => el.attrs.from), ['p0@example.org', 'p1@example.org', 'p2@example.org']);
      assert.equal(s.server.storage.mapCount(H, 'roster_pending', 'alice'), 8, 'the others stay stored');
    });

    it('keeps the cache in step with storage and drops it when the last session unbinds', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const s = await startImServer(['alice', 'bob'], storage.config(dir.path));
      t.after(() => s.stop());
      const a1 = await s.raw('alice', 'one');
      const a2 = await s.xmppjs('alice', 'two');
      const bob = await s.raw('bob', 'b');
      await getRoster(bob);
      await bob.send(xml('presence'));
      await getRoster(a1);
      // a mix of changes: roster sets, a handshake, a removal
      await a1.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost', name: 'X' }, xml('group', {}, 'G')))));
      await a2.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
      await sync(a2);
      await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
      await sync(bob);
      await a1.next((el) => is.rosterPush('bob@localhost')(el) && el.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.subscription === 'to', 'subscription to');
      await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
      await sync(bob);
      await a2.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost', subscription: 'remove' }))));

      const fromCache = itemsOf(await getRoster(a1));
      assert.deepEqual(fromCache, { 'bob@localhost': { subscription: 'to', groups: [] } });
      const stored = s.server.storage.mapAll(H, 'roster_items', 'alice');
      assert.deepEqual(stored, { 'bob@localhost': { subscription: 'to', groups: [] } }, 'storage says the same');
      assert.deepEqual(Object.keys(s.server.storage.mapAll(H, 'roster_pending', 'alice')), ['bob@localhost']);
      const ver = (await getRoster(a1))?.attrs.ver;
      assert.deepEqual(s.server.storage.get(H, 'roster', 'alice'), { ver: Number(ver) });

      // one session leaves: the other still sees the same roster
      await a1.stop();
      assert.deepEqual(itemsOf(await getRoster(a2)), fromCache);
      // the last one leaves: the cache is dropped, so the next session reads storage again
      await a2.stop();
      await sync(bob);
      await waitUntil(() => s.server.sessions.ofUser(H, 'alice').length === 0);
      s.server.storage.mapSet(H, 'roster_items', 'alice', 'added@localhost', { subscription: 'none', groups: [] });
      const a3 = await s.raw('alice', 'three');
      assert.deepEqual(Object.keys(itemsOf(await getRoster(a3))).sort(), ['added@localhost', 'bob@localhost']);
    });

    it('increases the version on every change, including subscription changes while offline', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const s = await startImServer(['alice', 'bob'], storage.config(dir.path));
      t.after(() => s.stop());
      const bob = await s.raw('bob', 'b');
      const versions: number[] = [];
      const ver = (): number => (s.server.storage.get(H, 'roster', 'alice') as { ver: number } | undefined)?.ver ?? 0;
      versions.push(ver());
      // alice is offline: bob's request is stored (a pending row and the version)
      await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
      await sync(bob);
      versions.push(ver());
      await bob.send(xml('presence', { to: 'alice@localhost', type: 'unsubscribe' }));
      await sync(bob);
      versions.push(ver());
      assert.equal(s.server.storage.mapCount(H, 'roster_pending', 'alice'), 0);
      const alice = await s.raw('alice', 'a');
      await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'bob@localhost' }))));
      versions.push(ver());
      assert.deepEqual(versions, [0, 1, 2, 3]);
      assert.equal((await getRoster(alice))?.attrs.ver, '3');
    });
  });
}

async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
