/**
 * Tests for lib/modules/csi_simple (XEP-0352) on the wire, over TCP and WebSocket: the feature,
 * what an inactive client is spared (presence updates, coalesced to the latest per full JID;
 * standalone chat states) and what reaches it at once (messages with a body, messages to its
 * full JID, iq stanzas), flushes in order (on <active/>, on something important, on client
 * traffic, at csi_queue_size and csi_queue_max_bytes), the events, indications before
 * authentication and binding, and what happens to held stanzas when the session ends.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';
import { connect, featuresBeforeAuth, inactiveBeforeAuth, NS_CSI, type CsiClient, type Kind } from './clients.js';

const CONFIG = { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'csi_simple'], consider_websocket_secure: true };
const USERS = ['alice', 'bob', 'carol', 'dave'];
const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const NS_DELAY = 'urn:xmpp:delay';

const ping = (): Element => xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' }));

/** A round trip through the server: what `c` sent before has been routed. */
async function sync(c: ImClient | CsiClient): Promise<void> {
  await c.iq(ping());
}

/** Contacts' stanzas were routed (sync); give what was written to the inactive client time to arrive. */
async function settle(...contacts: ImClient[]): Promise<void> {
  for (const c of contacts) await sync(c);
  await delay(60);
}

const presenceFrom = (jid: string) => (el: Element): boolean => el.name === 'presence' && el.attrs.from === jid;
/** What `c` received of `name` from others (its own presence comes back too, RFC 6121 §4.2.2). */
const stanzas = (c: CsiClient, name: string): Element[] =>
  c.received.filter((el) => el.name === name && !String(el.attrs.from).startsWith('alice@'));
const status = (el: Element): string | undefined => el.getChildText('status') ?? undefined;
const indexOf = (c: CsiClient, pred: (el: Element) => boolean): number => c.received.findIndex(pred);

function presence(to: string, text: string): Element {
  return xml('presence', { to }, xml('status', {}, text));
}

function chatState(to: string, state = 'composing'): Element {
  return xml('message', { to, type: 'chat' }, xml(state, { xmlns: NS_CHATSTATES }));
}

/** Stop the clients when the test ends, passed or not (a failure must not leave sessions behind). */
function cleanup(t: TestContext, ...clients: { stop(): Promise<void> }[]): void {
  t.after(() => Promise.all(clients.map((c) => c.stop())));
}

/** `<inactive/>`, and a round trip so that the server has processed it (nothing is held yet). */
async function goInactive(c: CsiClient): Promise<void> {
  c.indicate('inactive');
  await sync(c);
}

for (const kind of ['tcp', 'ws'] as Kind[]) {
  describe(`csi_simple over ${kind}`, () => {
    let s: ImServer;
    let n = 0;
    /** alice on `kind` (a fresh resource per test) and contacts on TCP. */
    const alice = async (): Promise<CsiClient> => {
      const a = await connect(kind, s, 'alice', `${kind}-${++n}`);
      a.send(xml('presence')); // available, so that messages to the bare JID reach it (RFC 6121 §8.5.2.1)
      await sync(a);
      return a;
    };
    before(async () => { s = await startImServer(USERS, CONFIG); });
    after(() => s.stop());

    it('advertises <csi/> after authentication, not before (XEP-0352 §4.1)', async (t) => {
      const before = await featuresBeforeAuth(kind, s);
      assert.ok(before.getChild('mechanisms'), 'the pre-auth features were read');
      assert.equal(before.getChild('csi', NS_CSI), undefined);
      const a = await alice();
      cleanup(t, a);
      assert.ok(a.features.getChild('csi', NS_CSI), 'offered after authentication');
      assert.ok(a.features.getChild('bind'), 'next to bind');
    });

    it('holds presence updates from three contacts and delivers the latest of each, in order, on <active/>', async (t) => {
      const a = await alice();
      const [bob, carol, dave] = [await s.raw('bob', 'b'), await s.raw('carol', 'c'), await s.raw('dave', 'd')];
      cleanup(t, a, bob, carol, dave);
      await goInactive(a);
      for (const [c, text] of [[bob, 'bob 1'], [carol, 'carol 1'], [bob, 'bob 2'], [dave, 'dave 1'], [carol, 'carol 2']] as const) {
        c.send(presence(a.jid, text));
        await sync(c); // a known order of arrival
      }
      await settle();
      assert.deepEqual(stanzas(a, 'presence'), [], 'nothing reached the inactive client');

      a.indicate('active');
      await sync(a); // XEP-0352 §5.1: what was held comes before the answer to what follows <active/>
      const got = stanzas(a, 'presence');
      // The latest of each, and a replaced one moves to where the newest arrived: bob 2, dave 1, carol 2.
      assert.deepEqual(got.map((p) => [p.attrs.from, status(p)]), [[bob.jid, 'bob 2'], [dave.jid, 'dave 1'], [carol.jid, 'carol 2']]);
      for (const p of got) {
        const stamp = p.getChild('delay', NS_DELAY);
        assert.ok(stamp, 'held stanzas carry a XEP-0203 delay stamp');
        assert.equal(stamp.attrs.from, 'localhost');
        assert.ok(Date.now() - Date.parse(String(stamp.attrs.stamp)) < 10_000);
      }

      // Active again: presence flows at once, and nothing held comes twice.
      bob.send(presence(a.jid, 'bob 3'));
      assert.equal(status(await a.next(presenceFrom(bob.jid), 'a live presence')), 'bob 2');
      assert.equal(status(await a.next(presenceFrom(bob.jid), 'a live presence')), 'bob 3');
      await settle(bob);
      assert.equal(stanzas(a, 'presence').length, 4);
      assert.equal(stanzas(a, 'presence')[3]!.getChild('delay', NS_DELAY), undefined, 'not held, not stamped');
    });

    it('holds a chat state without a body; a message with a body comes at once, after what was held', async (t) => {
      const a = await alice();
      const bob = await s.raw('bob', 'b2');
      cleanup(t, a, bob);
      await goInactive(a);
      bob.send(presence(a.jid, 'here'));
      bob.send(chatState('alice@localhost'));
      await settle(bob);
      assert.deepEqual([...stanzas(a, 'presence'), ...stanzas(a, 'message')], [], 'presence and chat state held');

      bob.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', {}, 'hello'), xml('active', { xmlns: NS_CHATSTATES })));
      const body = await a.next((el) => el.name === 'message' && el.getChildText('body') === 'hello', 'the message');
      assert.equal(body.getChild('delay', NS_DELAY), undefined, 'the important one is not stamped');
      const order = a.received.filter((el) => el.name !== 'iq' && !String(el.attrs.from).startsWith('alice@')).map((el) => el.name === 'presence' ? 'presence' : el.getChild('composing') ? 'composing' : 'body');
      assert.deepEqual(order, ['presence', 'composing', 'body'], 'flushed in order, then the message');

      // Still inactive: the next chat state is held again, and nothing is delivered twice.
      bob.send(chatState('alice@localhost', 'paused'));
      await settle(bob);
      assert.equal(a.received.filter((el) => el.name === 'message').length, 2);
      a.indicate('active');
      await a.next((el) => el.name === 'message' && el.getChild('paused', NS_CHATSTATES) !== undefined, 'the paused state');
      await sync(a);
      assert.deepEqual(a.received.filter((el) => el.name !== 'iq' && !String(el.attrs.from).startsWith('alice@')).map((el) => el.name), ['presence', 'message', 'message', 'message']);
    });

    it('delivers at once a message to its full JID; the same payload to the bare JID waits', async (t) => {
      const a = await alice();
      const bob = await s.raw('bob', 'b3');
      cleanup(t, a, bob);
      await goInactive(a);
      const receipt = (to: string, id: string): Element => xml('message', { to, type: 'chat' }, xml('received', { xmlns: 'urn:xmpp:receipts', id }));
      bob.send(receipt('alice@localhost', 'to-bare'));
      await settle(bob);
      assert.equal(stanzas(a, 'message').length, 0, 'a body-less message to the bare JID is held (Prosody)');
      bob.send(receipt(a.jid, 'to-full'));
      await a.next((el) => el.getChild('received')?.attrs.id === 'to-full', 'the message to the full JID');
      assert.deepEqual(stanzas(a, 'message').map((m) => m.getChild('received')?.attrs.id), ['to-bare', 'to-full']);
    });

    it('never holds an iq: one addressed to the inactive client arrives at once, after what was held', async (t) => {
      const a = await alice();
      const bob = await s.raw('bob', 'b4');
      cleanup(t, a, bob);
      await goInactive(a);
      bob.send(presence(a.jid, 'before the iq'));
      await settle(bob);
      bob.send(xml('iq', { type: 'get', to: a.jid, id: 'disco1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const iq = await a.next((el) => el.name === 'iq' && el.attrs.id === 'disco1', 'the iq');
      assert.equal(iq.attrs.from, bob.jid);
      assert.ok(indexOf(a, presenceFrom(bob.jid)) !== -1 && indexOf(a, presenceFrom(bob.jid)) < indexOf(a, (el) => el.attrs.id === 'disco1'));
      a.send(xml('iq', { type: 'result', to: bob.jid, id: 'disco1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    });

    it('flushes on traffic from the client (its radio is on), and stays inactive', async (t) => {
      const a = await alice();
      const bob = await s.raw('bob', 'b5');
      cleanup(t, a, bob);
      await goInactive(a);
      bob.send(presence(a.jid, 'while inactive'));
      await settle(bob);
      assert.equal(stanzas(a, 'presence').length, 0);
      // A message to bob: nothing comes back to alice for it, so only the client's traffic flushes.
      a.send(xml('message', { to: bob.jid, type: 'chat' }, xml('body', {}, 'from alice')));
      await bob.next((el) => el.name === 'message' && el.getChildText('body') === 'from alice', "alice's message");
      assert.equal(status(await a.next(presenceFrom(bob.jid), 'the held presence')), 'while inactive');
      bob.send(presence(a.jid, 'later'));
      await settle(bob);
      assert.equal(stanzas(a, 'presence').length, 1, 'still inactive: the next one is held');
    });

    it('after many updates from one contact, <active/> delivers exactly the newest', async (t) => {
      const a = await alice();
      const bob = await s.raw('bob', 'b6');
      cleanup(t, a, bob);
      await goInactive(a);
      for (let i = 1; i <= 300; i++) bob.send(presence(a.jid, `update ${i}`)); // more than csi_queue_size: they coalesce
      await settle(bob);
      assert.equal(stanzas(a, 'presence').length, 0, 'all held');
      a.indicate('active');
      await sync(a);
      assert.deepEqual(stanzas(a, 'presence').map(status), ['update 300']);
      await settle(bob);
      assert.equal(stanzas(a, 'presence').length, 1, 'once');
    });

    it('fires csi-client-inactive and csi-client-active on state changes only', async (t) => {
      const bus = s.server.hostEvents('localhost')!;
      const seen: string[] = [];
      const onInactive = ({ session }: { session: { fullJid?: string } }): void => { seen.push(`inactive ${session.fullJid}`); };
      const onActive = ({ session }: { session: { fullJid?: string } }): void => { seen.push(`active ${session.fullJid}`); };
      bus.on('csi-client-inactive', onInactive);
      bus.on('csi-client-active', onActive);
      t.after(() => { bus.off('csi-client-inactive', onInactive); bus.off('csi-client-active', onActive); });
      const a = await alice();
      cleanup(t, a);
      a.indicate('active'); // a stream starts active: no change
      await goInactive(a);
      await goInactive(a); // no change
      a.indicate('active');
      await sync(a);
      assert.deepEqual(seen, [`inactive ${a.jid}`, `active ${a.jid}`]);
    });

    it('closes the stream on <inactive/> before authentication (as Prosody), and ignores it before binding', async (t) => {
      assert.equal(await inactiveBeforeAuth(kind, s), 'unsupported-stanza-type');
      const a = await connect(kind, s, 'alice', `${kind}-unbound`, (write) => write(`<inactive xmlns='${NS_CSI}'/>`));
      const bob = await s.raw('bob', 'b7');
      cleanup(t, a, bob);
      bob.send(presence(a.jid, 'not held'));
      assert.equal(status(await a.next(presenceFrom(bob.jid), 'the presence', 3000)), 'not held', 'the session is active');
      assert.equal(a.ended, false);
    });

    it('when the session ends, held presence and chat states are dropped and other messages go to offline storage', async (t) => {
      const a = await alice();
      const bob = await s.raw('bob', 'b8');
      cleanup(t, a, bob);
      await goInactive(a);
      bob.send(presence(a.jid, 'dropped'));
      bob.send(chatState('alice@localhost'));
      bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'r1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'm1' })));
      await settle(bob);
      assert.deepEqual([...stanzas(a, 'presence'), ...stanzas(a, 'message')], []);
      await a.stop();
      assert.equal(s.server.storage.listStats('localhost', 'offline', 'alice').count, 1, 'the receipt, not the chat state');
      const again = await alice();
      cleanup(t, again); // its initial presence brings the stored message (XEP-0160)
      const stored = await again.next((el) => el.name === 'message', 'the stored message');
      assert.equal(stored.getChild('received', 'urn:xmpp:receipts')?.attrs.id, 'm1');
      await settle(bob);
      assert.equal(stanzas(again, 'message').length, 1);
    });
  });
}

describe('csi_simple options and unloading', () => {
  for (const kind of ['tcp', 'ws'] as Kind[]) {
    it(`${kind}: csi_queue_size 3 flushes when a fourth would be held, then holds again`, async (t) => {
      const s = await startImServer(USERS, { ...CONFIG, csi_queue_size: 3 });
      t.after(() => s.stop());
      const a = await connect(kind, s, 'alice', 'q');
      const bob = await s.raw('bob', 'b');
      cleanup(t, a, bob);
      await goInactive(a);
      const states = ['composing', 'paused', 'active', 'composing', 'paused'];
      for (const st of states.slice(0, 3)) bob.send(chatState(a.jid, st));
      await settle(bob);
      assert.equal(stanzas(a, 'message').length, 0, 'three held');
      bob.send(chatState(a.jid, states[3]));
      await a.next((el) => el.name === 'message' && el.getChildElements()[0]?.name === 'composing' && el.getChild('delay') === undefined, 'the fourth');
      assert.deepEqual(stanzas(a, 'message').map((m) => m.getChildElements()[0]!.name), states.slice(0, 4), 'all four, in order');
      bob.send(chatState(a.jid, states[4]));
      await settle(bob);
      assert.equal(stanzas(a, 'message').length, 4, 'the fifth is held again');
    });
  }

  it('csi_queue_max_bytes: held stanzas go out once the next would exceed it', async (t) => {
    const s = await startImServer(USERS, { ...CONFIG, csi_queue_max_bytes: 16384 });
    t.after(() => s.stop());
    const a = await connect('tcp', s, 'alice', 'bytes');
    const [bob, carol] = [await s.raw('bob', 'b'), await s.raw('carol', 'c')];
    cleanup(t, a, bob, carol);
    await goInactive(a);
    bob.send(presence(a.jid, 'x'.repeat(9000)));
    await settle(bob);
    assert.equal(stanzas(a, 'presence').length, 0, 'about 9 KB held');
    carol.send(presence(a.jid, 'y'.repeat(9000)));
    await a.next(presenceFrom(carol.jid), "carol's presence");
    assert.deepEqual(stanzas(a, 'presence').map((p) => p.attrs.from), [bob.jid, carol.jid]);
  });

  it('csi_important_payloads: a configured payload flushes; a malformed entry refuses the start', async (t) => {
    const s = await startImServer(USERS, { ...CONFIG, csi_important_payloads: ['{urn:example:alerts}'] });
    t.after(() => s.stop());
    const a = await connect('tcp', s, 'alice', 'payloads');
    const bob = await s.raw('bob', 'b');
    cleanup(t, a, bob);
    a.send(xml('presence')); // available: messages to the bare JID reach it
    await goInactive(a);
    bob.send(presence(a.jid, 'held'));
    bob.send(xml('message', { to: 'alice@localhost', type: 'normal' }, xml('ping', { xmlns: 'urn:example:other' })));
    await settle(bob);
    assert.equal(stanzas(a, 'presence').length + stanzas(a, 'message').length, 0);
    bob.send(xml('message', { to: 'alice@localhost', type: 'normal' }, xml('alarm', { xmlns: 'urn:example:alerts' })));
    await a.next((el) => el.getChild('alarm', 'urn:example:alerts') !== undefined, 'the alarm');
    const fromBob = a.received.filter((el) => el.name !== 'iq' && String(el.attrs.from).startsWith('bob@'));
    assert.deepEqual(fromBob.map((el) => el.getChildElements()[0]!.name), ['status', 'ping', 'alarm']);

    await assert.rejects(startImServer(USERS, { ...CONFIG, csi_important_payloads: ['urn:example:alerts'] }),
      (e: Error & { code?: string }) => e.code === 'XS_ERR_OPTION_INVALID' && e.message.includes('csi_important_payloads'));
  });

  it('unloading the module delivers what is held and makes the client active again', async (t) => {
    const s = await startImServer(USERS, CONFIG);
    t.after(() => s.stop());
    const bus = s.server.hostEvents('localhost')!;
    const events: string[] = [];
    bus.on('csi-client-active', () => { events.push('active'); });
    const a = await connect('tcp', s, 'alice', 'unload');
    const bob = await s.raw('bob', 'b');
    cleanup(t, a, bob);
    await goInactive(a);
    bob.send(presence(a.jid, 'held'));
    await settle(bob);
    assert.equal(stanzas(a, 'presence').length, 0);
    await s.server.modules.unload('localhost', 'csi_simple');
    assert.equal(status(await a.next(presenceFrom(bob.jid), 'the held presence')), 'held');
    assert.deepEqual(events, ['active']);
    bob.send(presence(a.jid, 'live'));
    assert.equal(status(await a.next(presenceFrom(bob.jid), 'a live presence')), 'live');
  });
});
