/**
 * @module bench/mam-query
 * The mam-query scenario (IM essentials issue): an archive of N messages (1,000,000 by default)
 * across C contacts (100) for one user is built untimed in a SQLite file, through the same
 * archive API the mam module uses; then a client over TCP (@xmpp/client) asks Q times for the
 * last 50 messages with one contact (RSM `<before/>`), and each answer is timed from the query
 * sent to its `<fin/>` received with all 50 results. Also timed: the storage query alone.
 * Usage: node build/bench/mam-query.js [messages] [contacts] [queries]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from '@xmpp/client';
import { createServer, type ListenerInfo } from '../lib/index.js';
import { xml, type Element } from '../lib/core/xml.js';

export interface MamQueryResult {
  readonly messages: number;
  readonly contacts: number;
  readonly queries: number;
  readonly buildSeconds: number;
  /** End-to-end ms per query: median, p90, p99. */
  readonly wire: { p50: number; p90: number; p99: number };
  /** The storage query alone, ms. */
  readonly storage: { p50: number; p99: number };
  /** Every answer had 50 results (the last 50, in order). */
  readonly complete: boolean;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface XmppJs {
  on(event: 'stanza', fn: (el: Element) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  start(): Promise<unknown>;
  stop(): Promise<void>;
  iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
  reconnect: { stop(): void };
}

export async function runMamQuery(messages = 1_000_000, contacts = 100, queries = 200, log: (s: string) => void = () => {}): Promise<MamQueryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'xmpp-mam-bench-'));
  const server = createServer({
    data_path: dir, storage: 'sqlite', log_level: 'warn', c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], http_ports: [], https_ports: [],
    c2s_require_encryption: false, allow_unencrypted_plain_auth: true, archive_expires_after: 'never', max_archive_query_results: 50,
    VirtualHost: { localhost: {} },
  });
  try {
    await server.start();
    server.accounts.create('localhost', 'owner', 'pw');
    const archive = server.archive('localhost', 'archive');
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) {
      const c = i % contacts;
      const out = i % 3 === 0;
      const value = out
        ? `<message xmlns="jabber:client" from="owner@localhost/desk" to="contact${c}@localhost" type="chat" id="m${i}"><body>message number ${i}</body></message>`
        : `<message xmlns="jabber:client" from="contact${c}@localhost/phone" to="owner@localhost" type="chat" id="m${i}"><body>message number ${i}</body></message>`;
      archive.append('owner', { with: `contact${c}@localhost`, withResource: out ? undefined : 'phone', value });
      if (i % 10_000 === 9_999) {
        await server.whenStored();
        if (i % 100_000 === 99_999) log(`archive: ${i + 1} messages`);
        await new Promise((r) => setImmediate(r));
      }
    }
    await server.whenStored();
    const buildSeconds = (performance.now() - t0) / 1000;
    log(`archive of ${messages} messages across ${contacts} contacts built in ${buildSeconds.toFixed(1)} s`);

    const storage: number[] = [];
    for (let q = 0; q < queries; q++) {
      const s0 = performance.now();
      await archive.query('owner', { with: `contact${(q * 7) % contacts}@localhost`, reverse: true, limit: 51 });
      storage.push(performance.now() - s0);
    }

    const list: ListenerInfo[] = [];
    server.events.fire('listeners', { list });
    const port = list.find((l) => l.service === 'c2s')!.port;
    const c = (client as unknown as (o: object) => XmppJs)({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', username: 'owner', password: 'pw', resource: 'bench' });
    c.reconnect.stop();
    c.on('error', () => {});
    let results = 0;
    c.on('stanza', (el) => { if (el.name === 'message' && el.getChild('result', 'urn:xmpp:mam:2')) results++; });
    await c.start();
    const wire: number[] = [];
    let complete = true;
    for (let q = 0; q < queries; q++) {
      results = 0;
      const w0 = performance.now();
      await c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: `q${q}` },
        xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
          xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'urn:xmpp:mam:2')),
          xml('field', { var: 'with' }, xml('value', {}, `contact${(q * 7) % contacts}@localhost`))),
        xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '50'), xml('before')))), 30_000);
      wire.push(performance.now() - w0);
      if (results !== 50) complete = false;
    }
    await c.stop();
    return {
      messages, contacts, queries, buildSeconds,
      wire: { p50: pct(wire, 50), p90: pct(wire, 90), p99: pct(wire, 99) },
      storage: { p50: pct(storage, 50), p99: pct(storage, 99) },
      complete,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [m, c, q] = process.argv.slice(2).map(Number);
  const r = await runMamQuery(m || undefined, c || undefined, q || undefined, (s) => process.stderr.write(`[mam-query] ${s}\n`));
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
