/**
 * Test helper: the Transport behaviour table (lib/core/transport.ts), run by each transport's
 * spec file against a real server on loopback through a raw client of that transport (TCP:
 * wire-client.ts, WebSocket: ws-probe.ts) behind one small client API. Every behaviour gets a
 * fresh server with an echo module (records what the session received, answers with a copy)
 * and the session spy; the server-side session is found through `session-created`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, xml, type ModuleDefinition, type Session } from '../../lib/core/api.js';
import { SEND_HIGH_WATER } from '../../lib/core/session-output.js';
import type { RawConfig } from '../../lib/index.js';
import { startTestServer, type TestServer } from './server.js';
import { sessionSpy, type SessionSpy } from './session-spy.js';

/** What `next()` returns for the server's stream close (`</stream:stream>`, `<close/>`). */
export const STREAM_CLOSE = '(stream close)';

/** A raw client of one transport, as every behaviour drives it. */
export interface ContractClient {
  /** Send our stream header for `to`; resolves with the features once the server's header and they arrived. */
  open(to?: string): Promise<string>;
  /**
   * Send one element (XML text). `cuts` are byte offsets where its UTF-8 bytes are split into
   * separate writes (TCP) or fragments (WebSocket), sent a little apart.
   */
  send(xmlText: string, cuts?: readonly number[]): Promise<void>;
  /** Send several elements in one write (WebSocket: one message each). */
  sendTogether(xmlTexts: readonly string[]): void;
  /** The next top-level element the server sent, or STREAM_CLOSE; rejects when the connection ends first. */
  next(ms?: number): Promise<string>;
  /** Close our side of the stream. */
  close(): void;
  /** Cut the connection (no stream close). */
  cut(): void;
  /** Resolves when the connection has ended. */
  readonly ended: Promise<void>;
  readonly isEnded: boolean;
  /** Stop and restart reading from the socket (the server's send buffer fills meanwhile). */
  pauseReading(): void;
  resumeReading(): void;
  /** The transport's own keepalives received so far (TCP whitespace, WebSocket pings). */
  readonly keepalives: number;
}

/** How a spec file plugs its transport into the table. */
export interface TransportFactory {
  /** The transport's `kind`. */
  readonly kind: string;
  /** Modules to enable besides the contract's own. */
  readonly modules?: readonly string[];
  /** Settings the transport needs (e.g. consider_websocket_secure); each behaviour's come on top. */
  readonly config?: RawConfig;
  /** Connect a raw client to the server. */
  connect(t: TestServer): Promise<ContractClient>;
}

/** The echo nonza: the module records it and answers `<echo n=.../>` with the same text. */
export const NS_ECHO = 'urn:xmpp-server-core:spec:transport-contract';

/** One `<echo/>` as the server-side session received it. */
export interface EchoRecord {
  readonly session: Session;
  readonly n: string;
  readonly text: string;
}

/** What a behaviour works with: a fresh server, its records, and a way to connect. */
export interface ContractContext {
  readonly t: TestServer;
  readonly spy: SessionSpy;
  readonly echoes: EchoRecord[];
  readonly kind: string;
  /** Connect a client; resolves with it and its server-side session. */
  connect(): Promise<{ c: ContractClient; session: Session }>;
}

/** One row of the table. */
export interface TransportBehaviour {
  readonly name: string;
  /** Settings for this behaviour's server. */
  readonly config?: RawConfig;
  readonly run: (ctx: ContractContext) => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `pred` holds (polled), or fail saying `what`. */
export async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** An `<echo/>` element as a client sends it. */
export function echo(n: string, text: string, attrs = ''): string {
  return `<echo xmlns="${NS_ECHO}" n="${n}"${attrs}>${text}</echo>`;
}

/** The `n` and text of an echo answer, or undefined for anything else. */
export function echoed(el: string): { n: string; text: string } | undefined {
  const m = /^<echo xmlns="[^"]*" n="([^"]*)">([^<]*)<\/echo>$/.exec(el) ?? /^<echo xmlns="[^"]*" n="([^"]*)"\/>$/.exec(el);
  return m ? { n: m[1]!, text: m[2] ?? '' } : undefined;
}

/** The condition of a stream error element (either serialisation), or undefined. */
export function streamErrorCondition(el: string): string | undefined {
  return /^<stream:error[^>]*>\s*<([a-z-]+) xmlns="urn:ietf:params:xml:ns:xmpp-streams"/.exec(el)?.[1];
}

/** The echo module and the sessions it saw created. */
function contractModule(echoes: EchoRecord[], created: Session[]): ModuleDefinition {
  return defineModule({
    name: 'transport_contract',
    global: true,
    load(m) {
      m.hook('session-created', ({ session }) => { created.push(session); });
    },
    addHost(m) {
      m.hook(`stanza/${NS_ECHO}:echo`, ({ session, stanza }) => {
        const n = String(stanza.attrs.n);
        echoes.push({ session, n, text: stanza.getText() });
        // Stop input from inside the handler: what was pipelined behind must wait.
        if (stanza.attrs.pause === 'true') session.transport.pauseInput?.();
        session.send(xml('echo', { xmlns: NS_ECHO, n }, stanza.getText()));
        return true;
      });
    },
  });
}

/** The byte offsets inside each multibyte character of `s` (cuts that split characters). */
function midCharacterCuts(s: string): number[] {
  const cuts: number[] = [];
  let offset = 0;
  for (const ch of s) {
    const len = Buffer.byteLength(ch);
    if (len > 1 && cuts.length < 6) cuts.push(offset + 1 + (cuts.length % (len - 1)));
    offset += len;
  }
  return cuts;
}

/** Read elements until one is the echo `n`; returns the echoes read on the way (in order). */
async function readEchoesUntil(c: ContractClient, n: string): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const e = echoed(await c.next());
    if (e === undefined) continue;
    seen.push(e.n);
    if (e.n === n) return seen;
  }
}

const MULTIBYTE = 'ü€😀 naïve – 日本語 ✓ 𝄞';

/** The behaviour every Transport must show. */
export const TRANSPORT_BEHAVIOURS: readonly TransportBehaviour[] = [
  {
    name: 'the stream opens and the features arrive; the session is open on its host',
    run: async ({ connect, kind }) => {
      const { c, session } = await connect();
      assert.equal(session.state, 'connected');
      const features = await c.open();
      assert.match(features, /^<stream:features\b/);
      assert.match(features, /<mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl">/);
      assert.equal(session.state, 'open');
      assert.equal(session.host, 'localhost');
      assert.equal(session.transport.kind, kind);
    },
  },
  {
    name: 'an element sent is received whole, and our answer reaches the client',
    run: async ({ connect, echoes }) => {
      const { c, session } = await connect();
      await c.open();
      await c.send(echo('1', 'hello'));
      assert.deepEqual(echoed(await c.next()), { n: '1', text: 'hello' });
      assert.deepEqual(echoes.map((e) => [e.session, e.n, e.text]), [[session, '1', 'hello']]);
    },
  },
  {
    name: 'a large element near c2s_unauthed_stanza_size_limit, sent in pieces, is received whole',
    config: { c2s_unauthed_stanza_size_limit: 10000 },
    run: async ({ connect, echoes }) => {
      const { c } = await connect();
      await c.open();
      const text = 'abcdefghij'.repeat(990).slice(0, 10000 - echo('big', '').length - 8);
      const element = echo('big', text);
      assert.ok(element.length > 9900 && element.length <= 10000, `size ${element.length}`);
      await c.send(element, [1, 4000, 8000, element.length - 1]);
      const answer = echoed(await c.next());
      assert.equal(answer?.text.length, text.length);
      assert.equal(echoes[0]?.text, text);
    },
  },
  {
    name: 'multibyte text split inside its characters across chunks arrives intact',
    run: async ({ connect, echoes }) => {
      const { c } = await connect();
      await c.open();
      const element = echo('mb', MULTIBYTE);
      const head = Buffer.byteLength(element.slice(0, element.indexOf(MULTIBYTE)));
      const cuts = midCharacterCuts(MULTIBYTE).map((x) => head + x);
      assert.ok(cuts.length >= 4, 'cuts inside 2-, 3- and 4-byte characters');
      await c.send(element, cuts);
      assert.deepEqual(echoed(await c.next()), { n: 'mb', text: MULTIBYTE });
      assert.equal(echoes[0]?.text, MULTIBYTE);
    },
  },
  {
    name: 'input over c2s_unauthed_stanza_size_limit before auth ends the stream with policy-violation',
    config: { c2s_unauthed_stanza_size_limit: 2000 },
    run: async ({ connect, echoes, spy }) => {
      const { c, session } = await connect();
      await c.open();
      await c.send(echo('huge', 'x'.repeat(3000)));
      assert.equal(streamErrorCondition(await c.next()), 'policy-violation');
      assert.equal(await c.next(), STREAM_CLOSE);
      c.close();
      await c.ended;
      assert.equal(echoes.length, 0, 'the element never reached a handler');
      const closed = await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
      assert.equal(closed.reason?.condition, 'policy-violation');
    },
  },
  {
    name: "the client's stream close is answered by ours, and the connection ends cleanly",
    run: async ({ connect, spy }) => {
      const { c, session } = await connect();
      await c.open();
      c.close();
      assert.equal(await c.next(), STREAM_CLOSE);
      await c.ended;
      const closed = await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
      assert.equal(closed.reason, undefined, 'a clean close has no condition');
      assert.notEqual(spy.of(session).find((r) => r.event === 'pre-session-close')?.reason?.dropped, true);
      assert.equal(session.state, 'closed');
    },
  },
  {
    name: 'a server-initiated close sends the stream error, then our close, and waits for the client',
    run: async ({ connect, spy }) => {
      const { c, session } = await connect();
      await c.open();
      session.close({ condition: 'reset', text: 'contract close' });
      const error = await c.next();
      assert.equal(streamErrorCondition(error), 'reset');
      assert.match(error, /contract close/);
      assert.equal(await c.next(), STREAM_CLOSE);
      assert.equal(c.isEnded, false, 'RFC 6120 §4.4: the server waits for the client\'s close');
      c.close();
      await c.ended;
      const closed = await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
      assert.equal(closed.reason?.condition, 'reset');
    },
  },
  {
    name: 'a connection cut ends the session as dropped',
    run: async ({ connect, spy, t }) => {
      const { c, session } = await connect();
      await c.open();
      c.cut();
      const pre = await spy.waitFor((r) => r.event === 'pre-session-close' && r.session === session);
      assert.equal(pre.reason?.dropped, true);
      assert.equal(pre.reason?.condition, undefined, 'nobody to send a stream error to');
      await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
      assert.equal(session.state, 'closed');
      assert.equal(t.server.sessions.count, 0);
    },
  },
  {
    name: 'pauseInput() delivers nothing until resumeInput(), then everything in order',
    run: async ({ connect, echoes }) => {
      const { c, session } = await connect();
      await c.open();
      session.transport.pauseInput!();
      for (const n of ['1', '2', '3']) await c.send(echo(n, `paused ${n}`));
      await sleep(200);
      assert.deepEqual(echoes.map((e) => e.n), [], 'nothing delivered while paused');
      session.transport.resumeInput!();
      assert.deepEqual(await readEchoesUntil(c, '3'), ['1', '2', '3']);
      assert.deepEqual(echoes.map((e) => e.n), ['1', '2', '3']);
    },
  },
  {
    name: 'pauseInput() from a handler holds what was already read behind that element',
    run: async ({ connect, echoes }) => {
      const { c, session } = await connect();
      await c.open();
      // One write: the transport has read all three before the first is handled.
      c.sendTogether([echo('1', 'first', ' pause="true"'), echo('2', 'second'), echo('3', 'third')]);
      assert.deepEqual(echoed(await c.next()), { n: '1', text: 'first' });
      await sleep(200);
      assert.deepEqual(echoes.map((e) => e.n), ['1'], 'the pipelined elements wait');
      session.transport.resumeInput!();
      assert.deepEqual(await readEchoesUntil(c, '3'), ['2', '3']);
      assert.deepEqual(echoes.map((e) => e.n), ['1', '2', '3']);
    },
  },
  {
    name: 'input held by pauseInput() is still processed, in order, when the connection drops',
    run: async ({ connect, echoes, spy }) => {
      const { c, session } = await connect();
      await c.open();
      c.sendTogether([echo('1', 'first', ' pause="true"'), echo('2', 'second'), echo('3', 'third')]);
      assert.deepEqual(echoed(await c.next()), { n: '1', text: 'first' });
      await sleep(100);
      assert.deepEqual(echoes.map((e) => e.n), ['1'], 'the others are held');
      c.cut();
      const pre = await spy.waitFor((r) => r.event === 'pre-session-close' && r.session === session);
      assert.equal(pre.reason?.dropped, true);
      assert.deepEqual(echoes.map((e) => e.n), ['1', '2', '3'], 'what the peer sent before the drop is processed');
    },
  },
  {
    name: 'bufferedAmount grows while the client does not read; drained() reaches the session when it reads again',
    run: async ({ connect }) => {
      const { c, session } = await connect();
      await c.open();
      const transport = session.transport;
      c.pauseReading();
      const body = 'y'.repeat(16 * 1024);
      let sent = 0;
      // Fill the socket buffers: output is congested once it stays unwritable while we wait
      // (the client's receive window is closed; nothing moves until it reads).
      for (let stuck = 0; stuck < 2;) {
        while (session.writable) {
          assert.ok(sent < 4096, 'the send buffer never filled');
          session.send(xml('echo', { xmlns: NS_ECHO, n: `f${sent++}` }, body));
          stuck = 0;
        }
        await sleep(50);
        if (!session.writable) stuck++;
      }
      assert.ok(transport.bufferedAmount >= SEND_HIGH_WATER, `bufferedAmount ${transport.bufferedAmount}`);
      const buffered = transport.bufferedAmount;
      for (const n of ['q1', 'q2', 'q3']) session.send(xml('echo', { xmlns: NS_ECHO, n }, 'queued'));
      assert.ok(session.pendingOutput > buffered, 'queued output counts as pending');
      let writableAgain = false;
      session.whenWritable(() => { writableAgain = true; });
      await sleep(100);
      assert.equal(writableAgain, false, 'nothing drains while the client does not read');
      c.resumeReading();
      const order = await readEchoesUntil(c, 'q3');
      assert.equal(order.length, sent + 3, 'every element arrived');
      assert.deepEqual(order.slice(-3), ['q1', 'q2', 'q3'], 'the queued elements came after the buffered ones');
      await until(() => writableAgain, 'whenWritable after the drain');
      await until(() => session.pendingOutput === 0, 'no pending output');
      assert.equal(session.writable, true);
      assert.equal(transport.bufferedAmount, 0);
    },
  },
  {
    name: "read-timeout silence falls back to the transport's own keepalive when no module answers",
    config: { network_settings: { read_timeout: 0.3 } },
    run: async ({ connect, t }) => {
      assert.equal(t.server.host('localhost').events.handlers('c2s-read-timeout').length, 0, 'no module answers c2s-read-timeout');
      const { c, session } = await connect();
      await c.open();
      await until(() => c.keepalives >= 2, 'two keepalives');
      assert.equal(c.isEnded, false);
      assert.equal(session.closed, false);
    },
  },
];

/** Run the table against `factory`, a fresh server per behaviour. */
export function describeTransportContract(name: string, factory: TransportFactory): void {
  describe(`Transport contract: ${name}`, () => {
    for (const behaviour of TRANSPORT_BEHAVIOURS) {
      it(behaviour.name, { timeout: 60_000 }, async () => {
        const echoes: EchoRecord[] = [];
        const created: Session[] = [];
        const spy = sessionSpy();
        const t = await startTestServer({
          c2s_require_encryption: false,
          c2s_close_timeout: 1,
          ...factory.config,
          ...behaviour.config,
          modules_enabled: ['saslauth', 'spy', 'transport_contract', ...(factory.modules ?? [])],
        }, { modules: [spy.module, contractModule(echoes, created)] });
        const clients: ContractClient[] = [];
        try {
          await behaviour.run({
            t, spy, echoes, kind: factory.kind,
            connect: async () => {
              const index = created.length;
              const c = await factory.connect(t);
              clients.push(c);
              await until(() => created.length > index, 'the server-side session');
              return { c, session: created[index]! };
            },
          });
        } finally {
          for (const c of clients) c.cut();
          await t.stop();
        }
      });
    }
  });
}
