/**
 * @module bench/micro/im-path
 * In-process cost of the stanza path with the IM essentials (mam, carbons) and without: P
 * pairs of bound sessions on null transports (50; as the messages scenario), each A sends its
 * share of N chat messages to its B's bare JID, in turns of 128 messages, each serialised
 * as a transport would; memory storage (archive rows written on the event loop with the write
 * queue) or SQLite (rows handed to the storage worker thread). Process CPU per message, so the
 * worker's share counts. `node build/bench/micro/im-path.js [N] [rounds] [P]` after `npm run build`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, xml } from '../../lib/index.js';
import { BODY, bound, frame, median, MICRO_CONFIG } from './harness.js';


type Mode = 'without' | 'mam, carbons (memory)' | 'mam, carbons (sqlite)';

async function setup(mode: Mode): Promise<{ round(n: number): Promise<number>; stop(): Promise<void> }> {
  const sqlite = mode.endsWith('(sqlite)');
  const dir = sqlite ? mkdtempSync(join(tmpdir(), 'im-path-')) : undefined;
  const server = createServer({
    storage: sqlite ? 'sqlite' : 'memory', data_path: dir ?? '.', ...MICRO_CONFIG,
    modules_enabled: mode === 'without' ? ['saslauth'] : ['saslauth', 'mam', 'carbons'],
  });
  await server.start();
  const open = (user: string): ReturnType<typeof bound> => {
    const { s, t } = bound(server, user);
    s.received(xml('presence'));
    return { s, t };
  };
  const a = Array.from({ length: pairs }, (_, i) => open(`a${i}`));
  const b = Array.from({ length: pairs }, (_, i) => open(`b${i}`));
  const received = (): number => b.reduce((sum, x) => sum + x.t.stanzas, 0);
  let seq = 0;
  return {
    async round(n: number): Promise<number> {
      const before = received();
      const start = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const id = seq++;
        const p = id % pairs;
        a[p]!.s.received(frame(`<message xmlns="jabber:client" to="b${p}@localhost" type="chat" id="m${id}"><body>hello ${id} ${BODY}</body></message>`));
        if ((i & 127) === 0) await new Promise((r) => setImmediate(r));
      }
      await server.whenStored();
      const used = process.cpuUsage(start);
      if (received() - before !== n) throw new Error(`delivered ${received() - before} of ${n}`);
      return ((used.user + used.system) * 1000) / n;
    },
    stop: async () => {
      await server.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const n = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 9);
const pairs = Number(process.argv[4] ?? 50);
const modes: Mode[] = ['without', 'mam, carbons (memory)', 'mam, carbons (sqlite)'];
const setups = await Promise.all(modes.map(setup));
for (const s of setups) await s.round(n); // warm-up
const results: number[][] = modes.map(() => []);
for (let round = 0; round < rounds; round++) for (let m = 0; m < modes.length; m++) results[m]!.push(await setups[m]!.round(n));
const base = median(results[0]!);
console.log(`median of ${rounds} rounds of ${n} messages (ns of CPU per message):`);
modes.forEach((mode, m) => {
  const v = median(results[m]!);
  console.log(`  ${mode.padEnd(22)} ${v.toFixed(0)} ns${m === 0 ? '' : ` (+${(v - base).toFixed(0)} ns, ${((v / base - 1) * 100).toFixed(1)}%)`}`);
});
for (const s of setups) await s.stop();
