/**
 * Tests for lib/modules/lastactivity (XEP-0012): the last logout and its status are recorded;
 * the user and contacts subscribed to the user's presence may ask (forbidden otherwise, also
 * at a full JID); an online user is 0 seconds away, or idle since their XEP-0319 stamp; an
 * unknown time is item-not-found and an unknown account service-unavailable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const H = 'localhost';
const NS = 'jabber:iq:last';
const MODULES = ['roster', 'saslauth', 'disco', 'ping', 'lastactivity'];
const last = (c: ImClient, to?: string): Promise<Element> => c.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: NS })));
const failsWith = (condition: string) => (err: { condition?: string }) => err.condition === condition;
const sync = (c: ImClient) => c.iq(xml('iq', { type: 'get', to: H }, xml('ping', { xmlns: 'urn:xmpp:ping' })));

/** `watcher` receives `user`'s presence (subscription from/to, written before either signs in). */
function subscribe(s: ImServer, user: string, watcher: string): void {
  s.server.storage.mapSet(H, 'roster_items', user, `${watcher}@${H}`, { groups: [], subscription: 'from' });
  s.server.storage.mapSet(H, 'roster_items', watcher, `${user}@${H}`, { groups: [], subscription: 'to' });
}

async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('lastactivity (XEP-0012)', () => {
  it('records the last logout with its status, for the user and subscribed contacts', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    subscribe(s, 'alice', 'bob');
    const alice = await s.raw('alice', 'a');
    await alice.send(xml('presence'));
    await sync(alice);
    const bob = await s.raw('bob', 'b');
    const online = await last(bob, `alice@${H}`);
    assert.equal(online.getChild('query', NS)!.attrs.seconds, '0', 'online: 0 seconds');

    await alice.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'Gone fishing')));
    await sync(alice);
    const before = Date.now();
    await alice.stop();
    await waitUntil(() => s.server.sessions.ofUser(H, 'alice').length === 0);
    const r = await last(bob, `alice@${H}`);
    const q = r.getChild('query', NS)!;
    const seconds = Number(q.attrs.seconds);
    assert.ok(Number.isInteger(seconds) && seconds >= 0 && seconds <= Math.ceil((Date.now() - before) / 1000) + 1);
    assert.equal(q.getText(), 'Gone fishing');
    assert.ok((s.server.storage.get(H, 'lastactivity', 'alice') as { t: number }).t >= before, 'the logout time is stored');

    const carol = await s.raw('carol', 'c');
    await assert.rejects(last(carol, `alice@${H}`), failsWith('forbidden'), 'not subscribed');
    const self = await s.raw('alice', 'again');
    assert.equal((await last(self)).getChild('query', NS)!.attrs.seconds, '0', 'the user may ask about themselves');
  });

  it('gives the idle time when every available resource is idle (XEP-0319)', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    subscribe(s, 'alice', 'bob');
    const alice = await s.raw('alice', 'a');
    const since = new Date(Date.now() - 3600_000).toISOString();
    await alice.send(xml('presence', {}, xml('idle', { xmlns: 'urn:xmpp:idle:1', since })));
    await sync(alice);
    const bob = await s.raw('bob', 'b');
    const seconds = Number((await last(bob, `alice@${H}`)).getChild('query', NS)!.attrs.seconds);
    assert.ok(seconds >= 3600 && seconds < 3700, `${seconds} about an hour`);
    const other = await s.raw('alice', 'b');
    await other.send(xml('presence'));
    await sync(other);
    assert.equal((await last(bob, `alice@${H}`)).getChild('query', NS)!.attrs.seconds, '0', 'one resource is active');
  });

  it('answers item-not-found without a record, service-unavailable for no account, forbidden at a full JID', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    subscribe(s, 'alice', 'bob');
    const bob = await s.raw('bob', 'b');
    await assert.rejects(last(bob, `alice@${H}`), failsWith('item-not-found'), 'never signed in');
    await assert.rejects(last(bob, `ghost@${H}`), failsWith('forbidden'), 'nobody may look at an unknown account they have no subscription to');
    s.server.storage.mapSet(H, 'roster_items', 'bob', `ghost@${H}`, { groups: [], subscription: 'to' });
    s.server.storage.mapSet(H, 'roster_items', 'ghost', `bob@${H}`, { groups: [], subscription: 'from' });
    await assert.rejects(last(bob, `ghost@${H}`), failsWith('service-unavailable'), 'no such account');

    const alice = await s.raw('alice', 'a');
    await alice.send(xml('presence'));
    await sync(alice);
    const carol = await s.raw('carol', 'c');
    await assert.rejects(last(carol, alice.jid), failsWith('forbidden'), 'a full JID is protected too');
    // A subscribed contact's query to a full JID reaches the client, which answers it.
    const asked = last(bob, alice.jid);
    const request = await alice.next((el) => el.name === 'iq' && el.getChild('query', NS) !== undefined, 'the query');
    await alice.send(xml('iq', { type: 'result', id: request.attrs.id, to: request.attrs.from }, xml('query', { xmlns: NS, seconds: '42' })));
    assert.equal((await asked).getChild('query', NS)!.attrs.seconds, '42');
  });

  it('answers from the stored record (it outlives the process)', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    subscribe(s, 'alice', 'bob');
    s.server.storage.set(H, 'lastactivity', 'alice', { t: Date.now() - 120_000, status: 'Away for a while' });
    const bob = await s.raw('bob', 'b');
    const q = (await last(bob, `alice@${H}`)).getChild('query', NS)!;
    assert.ok(Number(q.attrs.seconds) >= 120);
    assert.equal(q.getText(), 'Away for a while');
  });
});
