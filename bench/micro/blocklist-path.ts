/**
 * @module bench/micro/blocklist-path
 * In-process cost of the blocklist checks on the message path: two bound sessions on
 * in-memory transports, A sends N chat messages to B's bare JID, parsed from text as WebSocket
 * frames are. Three servers: without the module, with it and nobody blocking anyone, and with
 * it where both A and B block 50 other JIDs (every message is checked against both lists).
 * Prints ns of CPU per message; run with `node build/bench/micro/blocklist-path.js [N]` after
 * `npm run build`.
 */
import { createServer, xml } from '../../lib/index.js';
import { BODY, bound, frame, median, MICRO_CONFIG } from './harness.js';


type Mode = 'without' | 'nobody blocks' | 'both block 50';

async function setup(mode: Mode): Promise<{ round(n: number): Promise<number>; stop(): Promise<void> }> {
  const server = createServer({
    storage: 'memory', ...MICRO_CONFIG,
    modules_enabled: mode === 'without' ? ['saslauth'] : ['saslauth', 'blocklist'],
  });
  await server.start();
  const open = (user: string): ReturnType<typeof bound> => {
    const { s, t } = bound(server, user);
    s.received(xml('presence'));
    if (mode === 'both block 50') {
      const items = Array.from({ length: 50 }, (_, i) => xml('item', { jid: `spammer${i}@spam${i % 5}.example` }));
      s.received(xml('iq', { type: 'set', id: 'b' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, ...items)));
    }
    return { s, t };
  };
  const a = open('a');
  const b = open('b');
  let seq = 0;
  return {
    async round(n: number): Promise<number> {
      const before = b.t.stanzas;
      const start = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const id = seq++;
        a.s.received(frame(`<message xmlns="jabber:client" to="b@localhost" type="chat" id="m${id}"><body>hello ${id} ${BODY}</body></message>`));
        if ((i & 1023) === 0) await new Promise((r) => setImmediate(r));
      }
      const used = process.cpuUsage(start);
      if (b.t.stanzas - before !== n) throw new Error(`delivered ${b.t.stanzas - before} of ${n}`);
      return ((used.user + used.system) * 1000) / n;
    },
    stop: () => server.stop(),
  };
}

const n = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 9);
const modes: Mode[] = ['without', 'nobody blocks', 'both block 50'];
const setups = await Promise.all(modes.map(setup));
for (const s of setups) await s.round(n); // warm-up
const results: number[][] = modes.map(() => []);
for (let round = 0; round < rounds; round++) for (let m = 0; m < modes.length; m++) results[m]!.push(await setups[m]!.round(n));
const base = median(results[0]!);
console.log(`median of ${rounds} rounds of ${n} messages (ns of CPU per message):`);
modes.forEach((mode, m) => {
  const v = median(results[m]!);
  console.log(`  ${mode.padEnd(14)} ${v.toFixed(0)} ns${m === 0 ? '' : ` (+${(v - base).toFixed(0)} ns, ${((v / base - 1) * 100).toFixed(1)}%)`}`);
});
for (const s of setups) await s.stop();
