/**
 * Abuse test for per-item roster storage (lib/modules/presence): an attacker whose roster holds
 * ~1,000 items (with long names and groups) sends 2,000 subscribe/unsubscribe stanzas as fast as it can; meanwhile another
 * user's XEP-0199 pings to the server keep coming back quickly, because one subscription change
 * writes one item and the version instead of copying and rewriting the whole roster.
 * The bound (max < 250 ms) is generous: it proves "not blocked", not a speed. Memory and SQLite.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { serialize, xml } from '../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../helpers/im-server.js';
import type { ImClient } from '../helpers/im-clients.js';

const NS_ROSTER = 'jabber:iq:roster';
const ITEMS = 1000;
const FLOOD = 2000;
const BOUND_MS = 250;

const STORAGES = [
  { name: 'memory', config: () => ({ storage: 'memory' }) },
  { name: 'sqlite', config: (path: string) => ({ storage: 'sqlite', data_path: path }) },
];

const ping = (id: string): ReturnType<typeof xml> => xml('iq', { type: 'get', to: 'localhost', id }, xml('ping', { xmlns: 'urn:xmpp:ping' }));

/** Send everything at once, then wait (long enough for the old code too) until the server answered a ping sent after it. */
async function burst(c: ImClient & { stream: { write(s: string): void } }, stanzas: string, id: string, ms = 120_000): Promise<void> {
  c.stream.write(stanzas + serialize(ping(id)));
  await c.next((el) => el.name === 'iq' && el.attrs.id === id, `ping ${id} after the burst`, ms);
}

for (const storage of STORAGES) {
  describe(`a subscription flood does not block other users (${storage.name})`, () => {
    it(`keeps another user's ping round trips under ${BOUND_MS} ms while ${FLOOD} subscription stanzas hit a ${ITEMS}-item roster`, async (t) => {
      const dir = tempDataPath();
      t.after(() => dir.remove());
      const s = await startImServer(['mallory', 'alice'], { ...storage.config(dir.path), max_roster_items: ITEMS });
      t.after(() => s.stop());
      const mallory = await s.raw('mallory', 'm');
      const alice = await s.raw('alice', 'a');
      const contacts = Array.from({ length: ITEMS }, (_, i) => `c${i}@localhost`);

      // the attacker's roster: ~1,000 items, with names and groups as long as a client may make them
      const set = (jid: string, i: number): string => serialize(xml('iq', { type: 'set', id: `set${i}` }, xml('query', { xmlns: NS_ROSTER },
        xml('item', { jid, name: `${i} ${'n'.repeat(1000)}` }, xml('group', {}, `${i % 10} ${'g'.repeat(1000)}`)))));
      await burst(mallory, contacts.map(set).join(''), 'built');
      const roster = await mallory.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
      assert.equal(roster.getChild('query', NS_ROSTER)?.getChildren('item').length, ITEMS);

      // alice pings the server continuously while the flood is processed
      const rtts: number[] = [];
      let flooding = true;
      const pinger = (async () => {
        for (let n = 0; flooding; n++) {
          const start = performance.now();
          await alice.iq(ping(`p${n}`));
          rtts.push(performance.now() - start);
          await sleep(5);
        }
      })();
      await sleep(20);
      const flood: string[] = [];
      for (let i = 0; i < FLOOD / 2; i++) {
        const to = contacts[i % ITEMS]!;
        flood.push(serialize(xml('presence', { to, type: 'unsubscribe' })), serialize(xml('presence', { to, type: 'subscribe' })));
      }
      const started = performance.now();
      await burst(mallory, flood.join(''), 'flooded');
      const took = performance.now() - started;
      await sleep(20);
      flooding = false;
      await pinger;

      const sorted = [...rtts].sort((a, b) => a - b);
      const max = sorted.at(-1) ?? 0;
      console.log(`[${storage.name}] flood of ${FLOOD} stanzas processed in ${took.toFixed(0)} ms; ${rtts.length} pings: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
      assert.ok(rtts.length >= 3, 'pings were measured during the flood');
      assert.ok(max < BOUND_MS, `ping round trips stay bounded (max ${max.toFixed(1)} ms)`);
      const after = await mallory.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
      assert.equal(after.getChild('query', NS_ROSTER)?.getChildren('item').length, ITEMS, 'the roster is intact');
    });
  });
}
