/**
 * @module bench/micro/sm-path
 * In-process cost of the stanza path with and without stream management: two bound sessions
 * on in-memory transports (no sockets, no client), A sends N messages to B's full JID, B acks
 * every K stanzas with <a h/>; both parsed from text as WebSocket frames are. Prints ns per message for each mode; run with
 * `node build/bench/micro/sm-path.js [N] [K]` after `npm run build`.
 */
import { createServer, parseFrame, serialize, xml, type Element, type StreamAttrs, type Transport, type TransportSession, type ChannelBindingType } from '../../lib/index.js';

class NullTransport implements Transport {
  readonly kind = 'memory';
  ip = '192.0.2.1';
  secure = true;
  encrypted = false;
  canStartTls = false;
  insecureHint: string | undefined;
  maxBufferedBytes = 1 << 30;
  slowReaderGraceMs = 10_000;
  bufferedAmount = 0;
  readonly bufferLimitOptions = 'none';
  bytes = 0;
  stanzas = 0;
  channelBinding(_type: ChannelBindingType): Buffer | undefined { return undefined; }
  sendOpen(_attrs: StreamAttrs): void { /* nothing */ }
  send(element: Element): void {
    this.bytes += serialize(element).length;
    if (element.name === 'message') this.stanzas++;
  }
  sendClose(): void { /* nothing */ }
  end(): void { /* nothing */ }
  setMaxStanzaSize(): void { /* nothing */ }
  restartStream(): void { /* nothing */ }
  pauseInput(): void { /* nothing */ }
  resumeInput(): void { /* nothing */ }
}

const BODY = 'x'.repeat(80);

/** A WebSocket message's text parsed as the websocket module does (RFC 7395 §3.3.3). */
function frame(text: string): Element {
  const r = parseFrame(text);
  if ('error' in r) throw new Error(r.error.text);
  return r.element;
}

/** Two bound sessions on one server, with or without stream management; `round(n)` returns ns per message. */
async function setup(sm: boolean, ackEvery: number): Promise<{ round(n: number): Promise<number>; stop(): Promise<void> }> {
  const server = createServer({
    storage: 'memory', log_level: 'silent', c2s_max_stanzas_per_turn: 1_000_000, c2s_max_bytes_per_turn: 1 << 30, c2s_ports: [], http_ports: [], https_ports: [],
    modules_enabled: sm ? ['saslauth', 'smacks'] : ['saslauth'], VirtualHost: { localhost: {} },
  });
  await server.start();
  const open = (user: string): { s: TransportSession; t: NullTransport } => {
    const t = new NullTransport();
    const s = server.sessions.create(t);
    s.streamOpened({ to: 'localhost', version: '1.0' });
    s.setAuthenticated(user);
    s.streamOpened({ to: 'localhost', version: '1.0' });
    s.bindResource('r');
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
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const [ma, mb] = [median(a), median(b)];
console.log(`median of ${rounds} rounds of ${n}: without SM ${ma.toFixed(0)} ns/msg, with SM (ack every ${k}) ${mb.toFixed(0)} ns/msg, +${(mb - ma).toFixed(0)} ns (${(ma / mb).toFixed(2)}x)`);
await without.stop();
await withSm.stop();
