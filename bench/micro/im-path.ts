/**
 * @module bench/micro/im-path
 * In-process cost of the stanza path with the IM essentials (mam, carbons) and without: two
 * bound sessions on null transports, A sends N chat messages to B's bare JID, each serialised
 * as a transport would; memory storage (archive rows written on the event loop with the write
 * queue) or SQLite (rows handed to the storage worker thread). Process CPU per message, so the
 * worker's share counts. `node build/bench/micro/im-path.js [N] [rounds]` after `npm run build`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  stanzas = 0;
  channelBinding(_type: ChannelBindingType): Buffer | undefined { return undefined; }
  sendOpen(_attrs: StreamAttrs): void { /* nothing */ }
  send(element: Element): void {
    serialize(element);
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

function frame(text: string): Element {
  const r = parseFrame(text);
  if ('error' in r) throw new Error(r.error.text);
  return r.element;
}

type Mode = 'without' | 'mam, carbons (memory)' | 'mam, carbons (sqlite)';

async function setup(mode: Mode): Promise<{ round(n: number): Promise<number>; stop(): Promise<void> }> {
  const sqlite = mode.endsWith('(sqlite)');
  const dir = sqlite ? mkdtempSync(join(tmpdir(), 'im-path-')) : undefined;
  const server = createServer({
    storage: sqlite ? 'sqlite' : 'memory', data_path: dir ?? '.', log_level: 'silent', c2s_max_stanzas_per_turn: 1_000_000, c2s_max_bytes_per_turn: 1 << 30, c2s_ports: [], http_ports: [], https_ports: [],
    modules_enabled: mode === 'without' ? ['saslauth'] : ['saslauth', 'mam', 'carbons'], VirtualHost: { localhost: {} },
  });
  await server.start();
  const open = (user: string): { s: TransportSession; t: NullTransport } => {
    const t = new NullTransport();
    const s = server.sessions.create(t);
    s.streamOpened({ to: 'localhost', version: '1.0' });
    s.setAuthenticated(user);
    s.streamOpened({ to: 'localhost', version: '1.0' });
    s.bindResource('r');
    s.received(xml('presence'));
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
      await server.whenStored();
      const used = process.cpuUsage(start);
      if (b.t.stanzas - before !== n) throw new Error(`delivered ${b.t.stanzas - before} of ${n}`);
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
const modes: Mode[] = ['without', 'mam, carbons (memory)', 'mam, carbons (sqlite)'];
const setups = await Promise.all(modes.map(setup));
for (const s of setups) await s.round(n); // warm-up
const results: number[][] = modes.map(() => []);
for (let round = 0; round < rounds; round++) for (let m = 0; m < modes.length; m++) results[m]!.push(await setups[m]!.round(n));
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const base = median(results[0]!);
console.log(`median of ${rounds} rounds of ${n} messages (ns of CPU per message):`);
modes.forEach((mode, m) => {
  const v = median(results[m]!);
  console.log(`  ${mode.padEnd(22)} ${v.toFixed(0)} ns${m === 0 ? '' : ` (+${(v - base).toFixed(0)} ns, ${((v / base - 1) * 100).toFixed(1)}%)`}`);
});
for (const s of setups) await s.stop();
