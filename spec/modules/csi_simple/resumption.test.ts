/**
 * csi_simple with stream management (XEP-0198), over TCP and WebSocket: what an inactive
 * client's session holds while it hibernates is delivered after the resumed stream's re-sent
 * stanzas, exactly once and counted once (a second resumption re-sends nothing), and the
 * resumed stream starts active (XEP-0352 §5.2).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { xml, type Element } from '../../../lib/core/xml.js';
import { PASSWORD, startImServer, type ImServer } from '../../helpers/im-server.js';
import { authenticated, resumeSession, smLogin, type SmClient } from '../../helpers/sm-client.js';
import { httpPort, NS_CSI, type Kind } from './clients.js';

const CONFIG = {
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'smacks', 'csi_simple'],
  consider_websocket_secure: true,
  c2s_close_timeout: 1,
};
const STANZA = /<(message|presence|iq)\b/g;

/** Stanzas in `text` after its `<resumed/>` (what the client handled on a resumed stream). */
function stanzasAfterResumed(text: string): number {
  const start = text.search(/<resumed\b/);
  return start < 0 ? 0 : (text.slice(start).match(STANZA) ?? []).length;
}

const occurrences = (text: string, needle: string): number => text.split(needle).length - 1;

describe('csi_simple with stream management', () => {
  let s: ImServer;
  let ports: { tcp: number; ws: number };
  before(async () => {
    s = await startImServer(['alice', 'bob'], { ...CONFIG, smacks_hibernation_time: 5 });
    ports = { tcp: s.port, ws: httpPort(s) };
  });
  after(() => s.stop());

  for (const [from, to] of [['tcp', 'ws'], ['ws', 'tcp']] as [Kind, Kind][]) {
    it(`inactive on ${from}, cut, resumed on ${to}: re-sent stanzas first, then what was held, once; the stream is active`, async (t) => {
      const bus = s.server.hostEvents('localhost')!;
      const events: string[] = [];
      const onActive = (): void => { events.push('active'); };
      bus.on('csi-client-active', onActive);
      t.after(() => { bus.off('csi-client-active', onActive); });

      const res = `${from}-${to}`;
      const { c: bob, id } = await smLogin(from, ports, 'bob', PASSWORD, res);
      const alice = await s.raw('alice', `a-${res}`);
      t.after(() => alice.stop());
      const send = async (el: Element): Promise<void> => {
        await alice.send(el);
        await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      };
      const message = (text: string): Element => xml('message', { to: bob.jid, type: 'chat' }, xml('body', {}, text));
      const presence = (text: string): Element => xml('presence', { to: bob.jid }, xml('status', {}, text));

      bob.write(`<inactive xmlns='${NS_CSI}'/>`);
      await send(message('m-one'));
      await bob.expect(/m-one/);
      await send(presence('p-one')); // held
      await delay(50);
      assert.equal(bob.text().includes('p-one'), false, 'held while inactive');
      const seen = bob.stanzaCount();
      bob.cut();
      await bob.closed;
      await delay(100);
      assert.equal(s.server.sessions.get(bob.jid)?.hibernating, true);

      // While hibernating: a message flushes p-one into the stream management queue, then
      // more is held by csi_simple.
      await send(message('m-two'));
      await send(presence('p-two'));
      await send(xml('message', { to: bob.jid, type: 'chat' }, xml('paused', { xmlns: 'http://jabber.org/protocol/chatstates' })));

      const again: SmClient = await authenticated(to, ports, 'bob', PASSWORD);
      t.after(() => again.cut());
      await resumeSession(again, id, seen);
      await again.expect(/<paused /);
      await delay(100);
      const text = again.text();
      const order = ['p-one', 'm-two', 'p-two', '<paused '].map((n) => text.indexOf(n));
      assert.ok(order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1]!)), `re-sent, then held, in order: ${text}`);
      for (const needle of ['m-one', 'p-one', 'm-two', 'p-two', '<paused ']) {
        assert.equal(occurrences(bob.text() + text, needle), 1, `${needle} once`);
      }
      assert.deepEqual(events, ['active'], 'XEP-0352 §5.2: the resumed stream starts active');

      // Active now: presence goes out at once.
      await send(presence('p-three'));
      await again.expect(/p-three/);

      // Everything was counted once: a second resumption with all of it handled re-sends nothing.
      const handled = seen + stanzasAfterResumed(again.text());
      again.cut();
      await again.closed;
      await delay(100);
      const third = await authenticated(from, ports, 'bob', PASSWORD);
      t.after(() => third.cut());
      await resumeSession(third, id, handled);
      await delay(150);
      assert.equal(stanzasAfterResumed(third.text()), 0, `nothing re-sent: ${third.text()}`);
    });
  }
});
