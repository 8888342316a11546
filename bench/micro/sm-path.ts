/**
 * @module bench/micro/sm-path
 * In-process cost of the stanza path with and without stream management: two bound sessions
 * on in-memory transports (no sockets, no client), A sends N messages to B's full JID, B acks
 * every K stanzas with <a h/>; both parsed from text as WebSocket frames are. Prints ns per message for each mode; run with
 * `node build/bench/micro/sm-path.js [N] [K]` after `npm run build`.
 */
import { createServer, xml } from '../../lib/index.js';
import { BODY, bound, frame, median, MICRO_CONFIG } from './harness.js';


/** Two bound sessions on one server, with or without stream management; `round(n)` returns ns per message. */
async function setup(sm: boolean, ackEvery: number): Promise<{ round(n: number): Promise<number>; stop(): Promise<void> }> {
  const server = createServer({
    storage: 'memory', ...MICRO_CONFIG,
    modules_enabled: sm ? ['saslauth', 'smacks'] : ['saslauth'],
  });
  await server.start();
  const open = (user: string): ReturnType<typeof bound> => {
    const { s, t } = bound(server, user);
    if (sm) s.received(xml('enable', { xmlns: 'urn:xmpp:sm:3', resume: 'true' }));
    return { s, t };
  };
  const a = open('a');
  const b = open('b');
  let h = 0;
  let seq = 0;
  return {
    async round(n: number): Promise<number> {
      const before = b.t.stanzas;
      const start = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const id = seq++;
        a.s.received(frame(`<message xmlns="jabber:client" to="b@localhost/r" type="chat" id="m${id}"><body>hello ${id} ${BODY}</body></message>`));
        if (sm && b.t.stanzas - h >= ackEvery) {
          h = b.t.stanzas;
          b.s.received(frame(`<a xmlns="urn:xmpp:sm:3" h="${h >>> 0}"/>`));
        }
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
const k = Number(process.argv[3] ?? 5);
const rounds = Number(process.argv[4] ?? 9);
const without = await setup(false, k);
const withSm = await setup(true, k);
await without.round(n); // warm-up
await withSm.round(n);
const a: number[] = [];
const b: number[] = [];
for (let round = 0; round < rounds; round++) {
  a.push(await without.round(n));
  b.push(await withSm.round(n));
}
const [ma, mb] = [median(a), median(b)];
console.log(`median of ${rounds} rounds of ${n}: without SM ${ma.toFixed(0)} ns/msg, with SM (ack every ${k}) ${mb.toFixed(0)} ns/msg, +${(mb - ma).toFixed(0)} ns (${(ma / mb).toFixed(2)}x)`);
await without.stop();
await withSm.stop();
