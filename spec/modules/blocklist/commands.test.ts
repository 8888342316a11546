/**
 * Tests for lib/modules/blocklist (the protocol, XEP-0191 §3) on the wire with @xmpp/client and
 * a raw client: discovery, the list, block / unblock / unblock all with the result to the
 * requester and pushes to every resource that retrieved the list (only those), the errors
 * (bad-request, jid-malformed, not-allowed beyond max_blocklist_items), storage across
 * sessions, and the list gone with the account.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, PASSWORD } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const NS = 'urn:xmpp:blocking';
const CONFIG = { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'blocklist'] };

const items = (jids: string[]): Element[] => jids.map((jid) => xml('item', { jid }));
const block = (...jids: string[]): Element => xml('iq', { type: 'set' }, xml('block', { xmlns: NS }, ...items(jids)));
const unblock = (...jids: string[]): Element => xml('iq', { type: 'set' }, xml('unblock', { xmlns: NS }, ...items(jids)));

async function listOf(c: ImClient): Promise<string[]> {
  const res = await c.iq(xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS })));
  const list = res.getChild('blocklist', NS);
  assert.ok(list, 'a <blocklist/> in the result');
  return list.getChildren('item').map((i) => i.attrs.jid as string);
}

const isPush = (name: 'block' | 'unblock') => (el: Element): boolean => el.name === 'iq' && el.attrs.type === 'set' && el.getChild(name, NS) !== undefined;

/** The next push (answered with a result, as XEP-0191 §3.3 expects of clients): its JIDs. */
async function pushed(c: ImClient, name: 'block' | 'unblock'): Promise<string[]> {
  const iq = await c.next(isPush(name), `${name} push at ${c.jid}`);
  assert.equal(iq.attrs.to, c.jid);
  await c.send(xml('iq', { type: 'result', id: iq.attrs.id }));
  return iq.getChild(name, NS)!.getChildren('item').map((i) => i.attrs.jid as string);
}

async function condition(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { condition: string }).condition;
  }
  return 'no error';
}

describe('blocklist: the blocking command (XEP-0191 §3)', () => {
  it('is advertised on the server and on accounts (§3.1)', async (t) => {
    const s = await startImServer(['alice'], CONFIG);
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'a');
    const host = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(host.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS), 'host feature');
    const account = await a.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(account.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS), 'account feature');
  });

  it('blocks and unblocks, answering the requester and pushing to every resource that asked for the list', async (t) => {
    const s = await startImServer(['alice'], CONFIG);
    t.after(() => s.stop());
    const a1 = await s.xmppjs('alice', 'a1');
    const a2 = await s.raw('alice', 'a2');
    const a3 = await s.raw('alice', 'a3'); // never asks for the list: no pushes
    assert.deepEqual(await listOf(a1), []);
    assert.deepEqual(await listOf(a2), []);

    // §3.3: several items at once; JIDs are normalised (RFC 7622)
    await a1.iq(block('Romeo@Example.NET', 'spam.example'));
    assert.deepEqual(await pushed(a1, 'block'), ['romeo@example.net', 'spam.example']);
    assert.deepEqual(await pushed(a2, 'block'), ['romeo@example.net', 'spam.example']);
    assert.deepEqual(await listOf(a2), ['romeo@example.net', 'spam.example']);

    // §3.4: unblock some
    await a2.iq(unblock('spam.example'));
    assert.deepEqual(await pushed(a1, 'unblock'), ['spam.example']);
    assert.deepEqual(await pushed(a2, 'unblock'), ['spam.example']);
    assert.deepEqual(await listOf(a1), ['romeo@example.net']);

    // §3.5: unblock all (no items), pushed as an empty unblock
    await a1.iq(block('x@y.example/r'));
    await pushed(a1, 'block');
    await pushed(a2, 'block');
    await a1.iq(unblock());
    assert.deepEqual(await pushed(a1, 'unblock'), []);
    assert.deepEqual(await pushed(a2, 'unblock'), []);
    assert.deepEqual(await listOf(a1), []);
    assert.equal(s.server.storage.get('localhost', 'blocklist', 'alice'), undefined, 'an empty list leaves no record');

    await a3.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(a3.received.some((el) => isPush('block')(el) || isPush('unblock')(el)), false, 'a3 never asked for the list');
  });

  it('answers an empty block with bad-request and an invalid JID with jid-malformed, changing nothing', async (t) => {
    const s = await startImServer(['alice'], CONFIG);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'a');
    await a.iq(block('keep@example.net'));
    assert.equal(await condition(a.iq(block())), 'bad-request');
    assert.equal(await condition(a.iq(block('ok@example.net', 'bad@@jid'))), 'jid-malformed');
    assert.equal(await condition(a.iq(block(''))), 'jid-malformed');
    assert.equal(await condition(a.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: NS }, xml('item'))))), 'jid-malformed', 'an item without a jid');
    assert.equal(await condition(a.iq(unblock('keep@example.net', 'a@b@c'))), 'jid-malformed');
    assert.deepEqual(await listOf(a), ['keep@example.net']);
  });

  it('refuses a block beyond max_blocklist_items with not-allowed', async (t) => {
    const s = await startImServer(['alice'], { ...CONFIG, max_blocklist_items: 2 });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'a');
    await a.iq(block('one@example.net', 'two@example.net'));
    await a.iq(block('two@example.net')); // already there: still within the limit
    assert.equal(await condition(a.iq(block('three@example.net'))), 'not-allowed');
    assert.deepEqual(await listOf(a), ['one@example.net', 'two@example.net']);
  });

  it('is stored: a later session sees it; deleting the account deletes it', async (t) => {
    const s = await startImServer(['alice'], CONFIG);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'a');
    await a.iq(block('romeo@example.net'));
    await a.stop();
    assert.deepEqual(s.server.storage.get('localhost', 'blocklist', 'alice'), { items: ['romeo@example.net'] });
    const again = await s.xmppjs('alice', 'again');
    assert.deepEqual(await listOf(again), ['romeo@example.net']);
    await again.stop();

    s.server.accounts.delete('localhost', 'alice');
    assert.equal(s.server.storage.get('localhost', 'blocklist', 'alice'), undefined, 'purged with the account');
    s.server.accounts.create('localhost', 'alice', PASSWORD);
    // the new account's messages from romeo are not blocked by what the old one had
    s.server.route(xml('message', { type: 'chat', from: 'romeo@example.net/x', to: 'alice@localhost', id: 'm1' }, xml('body', {}, 'hello')));
    const fresh = await s.raw('alice', 'fresh');
    assert.deepEqual(await listOf(fresh), []);
    await fresh.send(xml('presence'));
    const offline = await fresh.next((el) => el.name === 'message' && el.attrs.id === 'm1', 'the message stored for the new account');
    assert.equal(offline.getChildText('body'), 'hello');
  });
});

describe('blocklist and waiting subscription requests', () => {
  it('forgets a blocked contact\'s waiting subscription request, so it is not shown at the next login', async (t) => {
    const s = await startImServer(['alice', 'bob', 'carol'], CONFIG);
    t.after(() => s.stop());
    const bob = await s.raw('bob', 'b');
    const carol = await s.raw('carol', 'c');
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    await carol.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    await bob.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await carol.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const alice = await s.raw('alice', 'a'); // no presence yet: the requests wait
    await alice.iq(block('bob@localhost'));
    await alice.send(xml('presence'));
    await alice.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && String(el.attrs.from) === 'carol@localhost', 'carol\'s request');
    await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(alice.received.some((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && String(el.attrs.from).startsWith('bob@')), false);
  });
});
