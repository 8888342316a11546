/**
 * Tests for lib/modules/tombstones: every account deletion (in-band, or the server's accounts
 * API) leaves a tombstone; registering that name again is refused (not-acceptable) until
 * user_tombstone_expiry passes; contacts probing or sending presence to it get <gone/> and an
 * unsubscribed / unsubscribe (as Prosody answers); nothing of this without the module.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import { rawStream } from '../../helpers/im-clients.js';

const H = 'localhost';
const NS_REGISTER = 'jabber:iq:register';
const MODULES = ['roster', 'saslauth', 'disco', 'ping', 'register', 'tombstones'];
const errorOf = (el: Element) => el.getChild('error');
const conditionOf = (el: Element): string | undefined => errorOf(el)?.getChildElements().find((c) => c.name !== 'text')?.name;

/** Register `user` in-band on a fresh stream; the reply. */
async function register(s: ImServer, user: string): Promise<Element> {
  const stream = await rawStream(s.port);
  try {
    stream.write(xml('iq', { type: 'set', id: 'reg' }, xml('query', { xmlns: NS_REGISTER }, xml('username', {}, user), xml('password', {}, 'n3w-pass'))));
    return await stream.next((el) => el.name === 'iq' && el.attrs.id === 'reg', 'the registration reply');
  } finally {
    await stream.close();
  }
}

describe('tombstones', () => {
  it('keeps an account removed in-band from being registered again', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES, allow_registration: true });
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'x');
    const removed = alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_REGISTER }, xml('remove'))));
    await removed.catch(() => undefined); // the stream closes right after the result
    assert.equal(s.server.accounts.exists(H, 'alice'), false);
    assert.equal(typeof s.server.storage.mapGet(H, 'tombstones', '', 'alice'), 'number', 'tombstone stored');
    const reply = await register(s, 'Alice');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(conditionOf(reply), 'not-acceptable');
    assert.equal(errorOf(reply)!.attrs.type, 'modify');
    assert.match(errorOf(reply)!.getChildText('text') ?? '', /deleted account/);
    assert.equal(s.server.accounts.exists(H, 'alice'), false);
    assert.equal((await register(s, 'someone-else')).attrs.type, 'result', 'other names are fine');
  });

  it('lets the name be registered once user_tombstone_expiry has passed', async (t) => {
    const s = await startImServer([], { modules_enabled: MODULES, allow_registration: true, user_tombstone_expiry: 60 });
    t.after(() => s.stop());
    s.server.storage.mapSet(H, 'tombstones', '', 'old', Date.now() - 61_000);
    s.server.storage.mapSet(H, 'tombstones', '', 'recent', Date.now() - 30_000);
    assert.equal(conditionOf(await register(s, 'recent')), 'not-acceptable');
    assert.equal((await register(s, 'old')).attrs.type, 'result');
    assert.equal(s.server.storage.mapGet(H, 'tombstones', '', 'old'), undefined, 'the expired tombstone is gone');
  });

  it('tells a contact probing the deleted account that it is gone (unsubscribed)', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    s.server.storage.mapSet(H, 'roster_items', 'bob', `alice@${H}`, { groups: [], subscription: 'to' });
    s.server.accounts.delete(H, 'alice');
    const bob = await s.raw('bob', 'b');
    await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await bob.send(xml('presence')); // initial presence: the server probes alice
    const gone = await bob.next((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === `alice@${H}`, 'the error');
    assert.equal(conditionOf(gone), 'gone');
    assert.equal(errorOf(gone)!.attrs.type, 'cancel');
    await bob.next((el) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild('query')?.getChild('item')?.attrs.subscription === 'none', 'a roster push: subscription none');
    assert.equal((s.server.storage.mapGet(H, 'roster_items', 'bob', `alice@${H}`) as { subscription: string }).subscription, 'none');
  });

  it('answers presence sent to the deleted account with <gone/> and unsubscribe', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    s.server.storage.mapSet(H, 'roster_items', 'bob', `alice@${H}`, { groups: [], subscription: 'from' });
    s.server.accounts.delete(H, 'alice');
    const bob = await s.raw('bob', 'b');
    await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await bob.send(xml('presence', { to: `alice@${H}` }));
    const gone = await bob.next((el) => el.name === 'presence' && el.attrs.type === 'error', 'the error');
    assert.equal(conditionOf(gone), 'gone');
    assert.equal(gone.attrs.from, `alice@${H}`);
    await bob.next((el) => el.name === 'iq' && el.getChild('query')?.getChild('item')?.attrs.subscription === 'none', 'bob no longer shares presence with alice');
  });

  it('does nothing without the module', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES.filter((m) => m !== 'tombstones'), allow_registration: true });
    t.after(() => s.stop());
    s.server.accounts.delete(H, 'alice');
    assert.equal(s.server.storage.mapGet(H, 'tombstones', '', 'alice'), undefined);
    assert.equal((await register(s, 'alice')).attrs.type, 'result');
  });

  it('does not stand in the way of an account that exists again', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    s.server.storage.mapSet(H, 'tombstones', '', 'alice', Date.now());
    const alice = await s.raw('alice', 'a');
    await alice.send(xml('presence'));
    const bob = await s.raw('bob', 'b');
    await bob.send(xml('presence', { to: `alice@${H}` }));
    const p = await alice.next((el) => el.name === 'presence' && el.attrs.from === bob.jid, 'bob\'s directed presence');
    assert.equal(p.attrs.type, undefined);
  });
});
