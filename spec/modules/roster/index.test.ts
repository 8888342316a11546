/**
 * Tests for lib/modules/roster: roster get/set/remove round trips with pushes to every
 * interested resource (RFC 6121 §2), errors, versioning (§2.6), and persistence in SQLite
 * across a server restart.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../../helpers/im-server.js';
import { is, type ImClient } from '../../helpers/im-clients.js';

const NS_ROSTER = 'jabber:iq:roster';

interface Item { jid: string; name?: string; subscription?: string; groups: string[] }

function items(query: Element | undefined): Item[] {
  return (query?.getChildren('item') ?? []).map((i) => ({
    jid: i.attrs.jid as string,
    ...(i.attrs.name !== undefined ? { name: i.attrs.name as string } : {}),
    subscription: i.attrs.subscription as string | undefined,
    groups: i.getChildren('group').map((g) => g.getText()),
  }));
}

async function getRoster(c: ImClient, ver?: string): Promise<Element> {
  return c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER, ver })));
}

function setItem(jid: string, attrs: Record<string, string> = {}, groups: string[] = []): Element {
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid, ...attrs }, ...groups.map((g) => xml('group', {}, g)))));
}

async function errorOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { condition?: string }).condition;
  }
  return undefined;
}

describe('roster', () => {
  it('round-trips set, get and remove, pushing every change to each interested resource', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const phone = await s.xmppjs('alice', 'phone');
    const desk = await s.raw('alice', 'desk');
    const idle = await s.raw('alice', 'idle'); // never asks for the roster: not interested
    assert.deepEqual(items((await getRoster(phone)).getChild('query', NS_ROSTER)), []);
    await getRoster(desk);

    await phone.iq(setItem('bob@localhost', { name: 'Bob' }, ['Friends', 'Work']));
    for (const c of [phone, desk]) {
      const p = await c.next(is.rosterPush('bob@localhost'), 'push');
      assert.equal(p.attrs.type, 'set');
      assert.equal(p.attrs.from, undefined, 'pushes come from the account itself (RFC 6121 §2.1.6)');
      assert.deepEqual(items(p.getChild('query', NS_ROSTER)), [{ jid: 'bob@localhost', name: 'Bob', subscription: 'none', groups: ['Friends', 'Work'] }]);
    }
    // an update keeps the subscription state and replaces name and groups
    await desk.iq(setItem('bob@localhost', { name: 'Robert', subscription: 'both' }, ['Work']));
    await phone.next((el) => is.rosterPush('bob@localhost')(el) && el.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.name === 'Robert', 'update push');
    assert.deepEqual(items((await getRoster(desk)).getChild('query', NS_ROSTER)),
      [{ jid: 'bob@localhost', name: 'Robert', subscription: 'none', groups: ['Work'] }], 'a client cannot set subscription (RFC 6121 §2.1.2.5)');

    await phone.iq(setItem('bob@localhost', { subscription: 'remove' }));
    const removed = await desk.next((el) => is.rosterPush('bob@localhost')(el) && el.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.subscription === 'remove', 'remove push');
    assert.ok(removed);
    assert.deepEqual(items((await getRoster(phone)).getChild('query', NS_ROSTER)), []);
    assert.equal(idle.has((el) => el.name === 'iq' && el.attrs.type === 'set'), false, 'no pushes for a resource that never fetched the roster');
  });

  it('refuses invalid sets with the RFC 6121 §2.3.3 / §2.5.3 errors', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const c = await s.raw('alice', 'r');
    const two = xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'a@localhost' }), xml('item', { jid: 'b@localhost' })));
    assert.equal(await errorOf(c.iq(two)), 'bad-request');
    assert.equal(await errorOf(c.iq(setItem('dup@localhost', {}, ['G', 'G']))), 'bad-request');
    assert.equal(await errorOf(c.iq(setItem('empty@localhost', {}, ['']))), 'not-acceptable');
    assert.equal(await errorOf(c.iq(setItem('alice@localhost'))), 'not-allowed');
    assert.equal(await errorOf(c.iq(setItem('not a jid@@localhost'))), 'jid-malformed');
    assert.equal(await errorOf(c.iq(setItem('absent@localhost', { subscription: 'remove' }))), 'item-not-found');
    // another user's roster is not reachable: the router answers service-unavailable
    const other = xml('iq', { type: 'get', to: 'bob@localhost' }, xml('query', { xmlns: NS_ROSTER }));
    assert.equal(await errorOf(c.iq(other)), 'service-unavailable');
  });

  it('limits the roster size with max_roster_items', async (t) => {
    const s = await startImServer(['alice'], { max_roster_items: 2 });
    t.after(() => s.stop());
    const c = await s.raw('alice', 'r');
    await c.iq(setItem('a@localhost'));
    await c.iq(setItem('b@localhost'));
    assert.equal(await errorOf(c.iq(setItem('c@localhost'))), 'not-allowed');
    await c.iq(setItem('b@localhost', { name: 'still editable' }));
  });

  it('answers an unchanged version with an empty result (RFC 6121 §2.6.3) and advertises versioning', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const c = await s.raw('alice', 'v');
    const first = await getRoster(c, '');
    const ver = first.getChild('query', NS_ROSTER)?.attrs.ver as string;
    assert.ok(ver !== undefined);
    const same = await getRoster(c, ver);
    assert.equal(same.getChild('query', NS_ROSTER), undefined, 'an empty result');
    await c.iq(setItem('x@localhost'));
    const push = await c.next(is.rosterPush('x@localhost'), 'push');
    const newVer = push.getChild('query', NS_ROSTER)?.attrs.ver as string;
    assert.notEqual(newVer, ver);
    const changed = await getRoster(c, ver);
    assert.equal(changed.getChild('query', NS_ROSTER)?.attrs.ver, newVer);
    assert.equal(items(changed.getChild('query', NS_ROSTER)).length, 1);
  });

  it('keeps the roster in SQLite across a server restart', async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const config = { storage: 'sqlite', data_path: dir.path };
    const first = await startImServer(['alice'], config);
    const c = await first.xmppjs('alice', 'one');
    await c.iq(setItem('bob@localhost', { name: 'Bob' }, ['Friends']));
    await c.iq(setItem('carol@localhost'));
    await c.iq(setItem('carol@localhost', { subscription: 'remove' }));
    await first.stop();

    const second = await startImServer([], config);
    t.after(() => second.stop());
    const again = await second.raw('alice', 'two');
    assert.deepEqual(items((await getRoster(again)).getChild('query', NS_ROSTER)),
      [{ jid: 'bob@localhost', name: 'Bob', subscription: 'none', groups: ['Friends'] }]);
  });
});
