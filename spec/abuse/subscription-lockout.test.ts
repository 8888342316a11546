/**
 * Abuse tests for pending subscription requests (lib/modules/presence): what a stored request
 * may carry is bounded (max_subscription_status_length, max_subscription_request_size), so five
 * requests with 230 KB statuses no longer lock their recipient out at sign-in; the stored
 * request keeps its extended content when it fits (RFC 6121 §3.1.3); and the number of pending
 * requests is bounded (max_pending_subscriptions), the sender of one more getting an error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, xml, type Element } from '../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../helpers/im-server.js';
import { is, type ImClient } from '../helpers/im-clients.js';

const NS_NICK = 'http://jabber.org/protocol/nick';
const BIG = 230 * 1024;

const STORAGES = [
  { name: 'memory', config: () => ({ storage: 'memory' }) },
  { name: 'sqlite', config: (path: string) => ({ storage: 'sqlite', data_path: path }) },
];

async function sync(c: ImClient): Promise<void> {
  await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

const isRequest = (el: Element): boolean => el.name === 'presence' && el.attrs.type === 'subscribe';
const chars = (s: string): number => Array.from(s).length;

for (const storage of STORAGES) {
  describe(`pending subscription requests are bounded (${storage.name})`, () => {
    it('delivers five requests with 230 KB statuses bounded at sign-in, and the recipient stays connected', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const senders = ['s1', 's2', 's3', 's4', 's5'];
      const s = await startImServer(['victim', ...senders], { ...storage.config(dir.path), c2s_stanza_size_limit: 400_000 });
      t.after(() => s.stop());
      for (const [i, name] of senders.entries()) {
        const c = await s.raw(name, 'x');
        c.stream.write(serialize(xml('presence', { to: 'victim@localhost', type: 'subscribe', id: `req${i}` },
          xml('status', {}, 'é'.repeat(BIG / 2)),
          xml('nick', { xmlns: NS_NICK }, `Sender ${i}`),
          xml('big', { xmlns: 'urn:example:big' }, 'z'.repeat(10_000)))));
        await sync(c);
        await c.stop();
      }

      const victim = await s.raw('victim', 'v');
      await victim.send(xml('presence'));
      const got: Element[] = [];
      for (let i = 0; i < senders.length; i++) got.push(await victim.next(isRequest, `request ${i + 1}`));
      await sync(victim); // still connected: a round trip after the requests
      assert.equal(victim.stream.socket.destroyed, false);

      assert.deepEqual(got.map((r) => r.attrs.from).sort(), senders.map((n) => `${n}@localhost`));
      for (const r of got) {
        assert.equal(r.attrs.to, 'victim@localhost');
        const status = r.getChildText('status') ?? '';
        assert.equal(chars(status), 1024, 'the status is cut to max_subscription_status_length (default 1024)');
        assert.ok(/^é+$/.test(status));
        const size = Buffer.byteLength(serialize(xml('presence', { ...r.attrs, from: undefined, to: undefined, xmlns: undefined }, ...r.children)));
        assert.ok(size <= 4096, `within max_subscription_request_size (default 4096): ${size}`);
        // RFC 6121 §3.1.3 "including extended content": what fits is kept, what does not is dropped
        assert.match(r.getChildText('nick', NS_NICK) ?? '', /^Sender \d$/);
        assert.equal(r.getChild('big', 'urn:example:big'), undefined);
      }
      assert.equal(victim.received.filter(isRequest).length, senders.length, 'one presence per request');
    });

    it('keeps extended content within max_subscription_request_size and cuts statuses to max_subscription_status_length', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const s = await startImServer(['alice', 'bob'], { ...storage.config(dir.path), max_subscription_status_length: 10, max_subscription_request_size: 300 });
      t.after(() => s.stop());
      const alice = await s.raw('alice', 'a');
      await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribe', id: 'r1' },
        xml('status', {}, '0123456789abcdef'),
        xml('nick', { xmlns: NS_NICK }, 'Alice'),
        xml('x', { xmlns: 'urn:example:medium' }, 'm'.repeat(200)),
        xml('y', { xmlns: 'urn:example:small' })));
      await sync(alice);

      const bob = await s.raw('bob', 'b');
      await bob.send(xml('presence'));
      const r = await bob.next(is.presence('alice@localhost', 'subscribe'), 'stored request');
      assert.equal(r.attrs.id, 'r1');
      assert.equal(r.getChildText('status'), '0123456789');
      assert.equal(r.getChildText('nick', NS_NICK), 'Alice');
      assert.equal(r.getChild('x', 'urn:example:medium'), undefined, 'does not fit in 300 bytes: dropped');
      assert.ok(r.getChild('y', 'urn:example:small'), 'later content that fits is kept');

      // an online recipient gets the same bounded request at once
      await alice.send(xml('presence', { to: 'bob@localhost', type: 'unsubscribe' }));
      await sync(alice);
      await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }, xml('status', {}, 'x'.repeat(50))));
      const live = await bob.next((el) => is.presence('alice@localhost', 'subscribe')(el) && el !== r, 'live request');
      assert.equal(live.getChildText('status'), 'x'.repeat(10));
    });

    it('stores at most max_pending_subscriptions requests; the sender of one more gets resource-constraint', async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const senders = Array.from({ length: 8 }, (_, i) => `m${i}`);
      const s = await startImServer(['victim', ...senders], { ...storage.config(dir.path), max_pending_subscriptions: 5 });
      t.after(() => s.stop());
      const refused: string[] = [];
      for (const name of senders) {
        const c = await s.raw(name, 'x');
        await c.send(xml('presence')); // available: a presence error reaches it
        await c.send(xml('presence', { to: 'victim@localhost', type: 'subscribe', id: `${name}-req` }));
        await sync(c);
        const err = c.received.find((el) => el.name === 'presence' && el.attrs.type === 'error');
        if (err) {
          assert.equal(err.attrs.from, 'victim@localhost');
          assert.equal(err.attrs.id, `${name}-req`);
          assert.equal(err.getChild('error')?.attrs.type, 'wait');
          assert.ok(err.getChild('error')?.getChild('resource-constraint', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
          refused.push(name);
        }
        await c.stop();
      }
      assert.deepEqual(refused, ['m5', 'm6', 'm7']);
      assert.equal(s.server.storage.mapCount('localhost', 'roster_pending', 'victim'), 5);

      const victim = await s.raw('victim', 'v');
      await victim.send(xml('presence'));
      await sync(victim);
      const requests = victim.received.filter(isRequest).map((el) => el.attrs.from as string);
      assert.deepEqual(requests.sort(), senders.slice(0, 5).map((n) => `${n}@localhost`));
      // answering one makes room for the next
      await victim.send(xml('presence', { to: 'm0@localhost', type: 'unsubscribed' }));
      await sync(victim);
      const m5 = await s.raw('m5', 'y');
      await m5.send(xml('presence', { to: 'victim@localhost', type: 'subscribe' }));
      await victim.next(is.presence('m5@localhost', 'subscribe'), 'a request once there is room');
    });
  });
}
