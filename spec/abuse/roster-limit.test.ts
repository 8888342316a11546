/**
 * Abuse tests for max_roster_items (lib/modules/presence): every path that adds a roster item
 * is bounded. An attacker sending 1,200 subscribe requests to distinct JIDs ends with exactly
 * max_roster_items items and a not-allowed error for each of the rest, which are not routed;
 * approving a request when the roster is full is refused the same way. Memory and SQLite.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, xml, type Element } from '../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../helpers/im-server.js';
import { is, type ImClient } from '../helpers/im-clients.js';

const NS_ROSTER = 'jabber:iq:roster';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const LIMIT = 50;

const STORAGES = [
  { name: 'memory', config: () => ({ storage: 'memory' }) },
  { name: 'sqlite', config: (path: string) => ({ storage: 'sqlite', data_path: path }) },
];

/** Everything `c` sent before has been processed (the server answers in order). */
async function sync(c: ImClient): Promise<void> {
  await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

async function rosterJids(c: ImClient): Promise<string[]> {
  const res = await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
  return (res.getChild('query', NS_ROSTER)?.getChildren('item') ?? []).map((i) => i.attrs.jid as string);
}

const condition = (el: Element): string | undefined => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;
const isPresenceError = (el: Element): boolean => el.name === 'presence' && el.attrs.type === 'error';

for (const storage of STORAGES) {
  describe(`max_roster_items on every path (${storage.name})`, () => {
    it('stops an attacker at max_roster_items subscribe requests and routes none of the rest', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const s = await startImServer(['mallory', 'victim'], { ...storage.config(dir.path), max_roster_items: LIMIT });
      t.after(() => s.stop());
      const victim = await s.raw('victim', 'v');
      await victim.send(xml('presence'));
      await sync(victim);
      const mallory = await s.raw('mallory', 'm');

      // 1,200 requests to distinct JIDs in one burst; the victim is one of the targets beyond the limit
      const targets = Array.from({ length: 1200 }, (_, i) => (i === 600 ? 'victim@localhost' : `c${i}@localhost`));
      mallory.stream.write(targets.map((to, i) => serialize(xml('presence', { to, type: 'subscribe', id: `s${i}` }))).join(''));
      await sync(mallory);

      const errors = mallory.received.filter(isPresenceError);
      console.log(`[${storage.name}] ${targets.length} subscribe requests: ${errors.length} refused`);
      assert.equal(errors.length, targets.length - LIMIT, 'every request beyond the limit is refused');
      assert.deepEqual(errors.map((e) => e.attrs.id), targets.slice(LIMIT).map((_, i) => `s${i + LIMIT}`), 'the ones beyond the limit, in order');
      for (const e of errors.slice(0, 3)) {
        assert.equal(e.getChild('error')?.attrs.type, 'cancel');
        assert.equal(condition(e), 'not-allowed');
        assert.match(e.getChild('error')?.getChildText('text', NS_STANZAS) ?? '', /max_roster_items/);
      }
      const jids = await rosterJids(mallory);
      assert.equal(jids.length, LIMIT, 'exactly max_roster_items items');
      assert.deepEqual(new Set(jids), new Set(targets.slice(0, LIMIT)));
      assert.equal(s.server.storage.mapCount('localhost', 'roster_items', 'mallory'), LIMIT, 'and no more stored');

      // nothing was routed for a refused request: the victim got no subscription request
      await sync(victim);
      assert.equal(victim.has(is.presence('mallory@localhost', 'subscribe')), false);
      // a roster set is refused too, an existing item can still be edited
      await assert.rejects(mallory.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'extra@localhost' })))),
        (err: { condition?: string }) => err.condition === 'not-allowed');
      await mallory.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'c0@localhost', name: 'still editable' }))));
    });

    it('refuses to approve a request (outbound subscribed) that would add an item to a full roster', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const s = await startImServer(['alice', 'bob'], { ...storage.config(dir.path), max_roster_items: 2 });
      t.after(() => s.stop());
      const alice = await s.raw('alice', 'a');
      const bob = await s.raw('bob', 'b');
      await rosterJids(bob); // interested: an approval reaches bob (RFC 6121 §3.1.6)
      await bob.send(xml('presence'));
      for (const jid of ['x@localhost', 'y@localhost']) {
        await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid }))));
      }
      // bob asks; the request is stored as pending in (not an item)
      await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
      await sync(bob);
      await alice.send(xml('presence'));
      await alice.next(is.presence('bob@localhost', 'subscribe'), 'the request');

      await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribed', id: 'ok1' }));
      const err = await alice.next((el) => el.attrs.id === 'ok1', 'refusal');
      assert.equal(err.attrs.type, 'error');
      assert.equal(condition(err), 'not-allowed');
      assert.deepEqual((await rosterJids(alice)).sort(), ['x@localhost', 'y@localhost']);
      await sync(bob);
      assert.equal(bob.has(is.presence('alice@localhost', 'subscribed')), false, 'nothing routed to bob');

      // with room again, the same approval works
      await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'y@localhost', subscription: 'remove' }))));
      await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
      await bob.next(is.presence('alice@localhost', 'subscribed'), 'approval');
    });
  });
}
