/**
 * Stream management (XEP-0198, lib/modules/smacks) with real client libraries: @xmpp/client and
 * stanza, each over TCP and WebSocket, talk to each other and to a client without stream
 * management (a raw TCP client). The SM client goes through a loopback TCP relay that the test
 * cuts in the middle of a flow (no stream close, no WebSocket close frame): it must resume the
 * same session by itself, receive what was sent to it meanwhile once and in order, and what it
 * sent just before the cut must reach its recipients once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'stanza';
import { captureLog } from '../helpers/log.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { StanzaTcpTransport } from '../helpers/stanza-tcp.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { connectToken, tokenMessage } from '../helpers/token-clients.js';
import { installWebSocketGlobal } from '../helpers/ws-clients.js';

const PW = 'pw';
const CONFIG = {
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'smacks'],
  consider_websocket_secure: true,
  c2s_require_encryption: false,
  allow_unencrypted_plain_auth: true,
  c2s_close_timeout: 1,
};

type Transport = 'tcp' | 'ws';
type Library = '@xmpp/client' | 'stanza';

/** A library client as these tests see it. */
interface SmLib {
  /** The full JID bound at login. */
  readonly jid: string;
  /** The full JID the library holds now. */
  currentJid(): string;
  /** Bodies (tok-...) of received messages that are not errors, in order. */
  readonly bodies: string[];
  /** Message errors received, and stanzas the library reports as not delivered. */
  readonly failures: string[];
  /** Resumptions the library reported through its own event. */
  resumptions(): number;
  message(to: string, body: string): Promise<void>;
  presence(): Promise<void>;
  ping(): Promise<void>;
  stop(): Promise<void>;
}

/** Wait for a condition (polled); the deadline only turns a hang into a failure. */
async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// ---- @xmpp/client (its stream-management and reconnect plugins) --------------------------

/** The parts of @xmpp/client used here. */
interface XElement {
  readonly name: string;
  readonly attrs: Record<string, string | undefined>;
  getChildText(name: string): string | null;
  is(name: string, xmlns?: string): boolean;
}
interface XmppJs {
  on(event: 'stanza', fn: (el: XElement) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  start(): Promise<{ toString(): string }>;
  stop(): Promise<void>;
  send(el: XElement): Promise<void>;
  jid: { toString(): string } | null;
  iqCaller: { request(el: XElement, timeout?: number): Promise<unknown> };
  reconnect: { delay: number; stop(): void };
  streamManagement: {
    readonly enabled: boolean;
    on(event: 'resumed', fn: () => void): void;
    on(event: 'fail', fn: (el: XElement) => void): void;
  };
}
interface XmppJsLib {
  client(o: Record<string, unknown>): XmppJs;
  xml(name: string, attrs?: Record<string, string>, ...children: (XElement | string)[]): XElement;
}

async function xmppjs(service: string, user: string, resource: string, reconnect: boolean): Promise<SmLib> {
  installWebSocketGlobal();
  const specifier = '@xmpp/client';
  const { client, xml } = (await import(specifier)) as XmppJsLib;
  const c = client({ service, domain: 'localhost', username: user, password: PW, resource });
  // @xmpp/reconnect retries `delay` ms after each disconnect (1 s by default) while the relay refuses.
  if (reconnect) c.reconnect.delay = 100;
  else c.reconnect.stop();
  const bodies: string[] = [];
  const failures: string[] = [];
  let resumptions = 0;
  c.on('error', () => undefined); // the cut and the refused reconnects land here; the outcome is asserted
  c.on('stanza', (el) => {
    if (!el.is('message')) return;
    const body = el.getChildText('body') ?? '';
    if (el.attrs.type === 'error') failures.push(`message error: ${body}`);
    else if (body.startsWith('tok-')) bodies.push(body);
  });
  c.streamManagement.on('resumed', () => { resumptions++; });
  c.streamManagement.on('fail', (el) => { failures.push(`not acknowledged: ${el.getChildText('body') ?? el.name}`); });
  const jid = String(await c.start());
  // start() resolves at binding; <enable/> follows (XEP-0198 §3).
  await until(() => c.streamManagement.enabled, '@xmpp/client: <enabled/>');
  return {
    jid, bodies, failures,
    currentJid: () => String(c.jid),
    resumptions: () => resumptions,
    message: (to, body) => c.send(xml('message', { to, type: 'chat' }, xml('body', {}, body))),
    presence: () => c.send(xml('presence')),
    ping: async () => { await c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 5000); },
    stop: async () => {
      c.reconnect.stop();
      await c.stop().catch(() => undefined);
    },
  };
}

// ---- stanza (its StreamManagement helper, useStreamManagement on by default) ---------------

async function stanza(url: string, transport: Transport, user: string, resource: string, reconnect: boolean): Promise<SmLib> {
  const client = createClient({
    jid: `${user}@localhost`, password: PW, resource, server: 'localhost',
    transports: transport === 'ws' ? { websocket: url, bosh: false } : { tcp: url },
    transportPreferenceOrder: [transport === 'ws' ? 'websocket' : 'tcp'],
    // Its first reconnect comes 2-3 s after a cut (exponential backoff), by then the relay is back.
    autoReconnect: reconnect,
  });
  // stanza 12 ships WebSocket and BOSH only; TCP goes through the repository's adapter.
  if (transport === 'tcp') client.transports.tcp = StanzaTcpTransport;
  const bodies: string[] = [];
  const failures: string[] = [];
  let resumptions = 0;
  client.on('message', (m) => {
    if (m.type === 'error') failures.push(`message error: ${m.body ?? ''}`);
    else if (m.body?.startsWith('tok-')) bodies.push(m.body);
  });
  client.on('stanza:failed', ({ kind, stanza: s }) => { failures.push(`${kind} failed: ${JSON.stringify(s)}`); });
  client.on('stream:management:resumed', () => { resumptions++; });
  await new Promise<void>((resolve, reject) => {
    client.once('session:started', () => resolve());
    client.once('auth:failed', () => reject(new Error(`stanza: ${user} could not log in`)));
    client.connect();
  });
  // session:started comes at binding; <enable/> follows (XEP-0198 §3).
  await until(() => client.sm.started, 'stanza: <enabled/>');
  return {
    jid: String(client.jid), bodies, failures,
    currentJid: () => String(client.jid),
    resumptions: () => resumptions,
    message: (to, body) => client.send('message', { to, type: 'chat', body }),
    presence: () => client.send('presence', {}),
    ping: () => client.ping('localhost'),
    stop: async () => {
      const gone = new Promise<void>((resolve) => client.once('disconnected', () => resolve()));
      client.disconnect();
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    },
  };
}

// ---- the scenario --------------------------------------------------------------------------

const log = captureLog('info');
let t: TestServer;

interface Case { readonly cut: Library; readonly over: Transport; readonly peer: Library; readonly peerOver: Transport }
const CASES: readonly Case[] = [
  { cut: '@xmpp/client', over: 'tcp', peer: 'stanza', peerOver: 'ws' },
  { cut: '@xmpp/client', over: 'ws', peer: 'stanza', peerOver: 'tcp' },
  { cut: 'stanza', over: 'ws', peer: '@xmpp/client', peerOver: 'tcp' },
  { cut: 'stanza', over: 'tcp', peer: '@xmpp/client', peerOver: 'ws' },
];

before(async () => {
  const users: Record<string, string> = {};
  CASES.forEach((_, i) => { for (const u of ['cut', 'peer', 'plain']) users[`${u}${i}`] = PW; });
  t = await startTestServer(CONFIG, { users, logger: log.logger });
});
after(() => t.stop());

function open(library: Library, transport: Transport, port: number, user: string, resource: string, reconnect: boolean): Promise<SmLib> {
  const url = transport === 'tcp' ? `xmpp://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/xmpp-websocket`;
  return library === '@xmpp/client' ? xmppjs(url, user, resource, reconnect) : stanza(url, transport, user, resource, reconnect);
}

async function sendAll(from: SmLib, to: string, bodies: readonly string[]): Promise<void> {
  for (const body of bodies) await from.message(to, body);
}

describe('stream management with real client libraries, cut mid-flow by a relay', () => {
  CASES.forEach((k, i) => {
    const over = k.over === 'tcp' ? 'TCP' : 'WebSocket';
    it(`${k.cut} over ${over} (with ${k.peer} and a client without SM): resumed, nothing lost or doubled`, async () => {
      const tag = `${k.cut === 'stanza' ? 'stanza' : 'xmppjs'}-${k.over}`;
      const tok = (what: string, n: number): string => `tok-${tag}-${what}-${n}`;
      const range = (what: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, n) => tok(what, from + n));
      const relay = await TcpRelay.start(k.over === 'tcp' ? t.c2sPort : t.port('http'));
      const direct = k.peerOver === 'tcp' ? t.c2sPort : t.port('http');
      const cut = await open(k.cut, k.over, relay.port, `cut${i}`, tag, true);
      const peer = await open(k.peer, k.peerOver, direct, `peer${i}`, 'peer', false);
      const plain = await connectToken('tcp', { tcp: t.c2sPort, ws: t.port('http') }, `plain${i}`, PW, 'plain');
      const bare = cut.jid.split('/')[0]!;
      try {
        // Available, so that messages to the bare JID reach it too (RFC 6121 §8.5.2.1.1).
        await cut.presence();

        // 1. Both ways through the relay.
        await sendAll(peer, cut.jid, range('before-peer', 0, 3));
        await peer.ping(); // the server handled them, in order, before what follows
        for (const b of range('before-plain', 0, 3)) plain.send(tokenMessage(cut.jid, b));
        await plain.ping();
        await until(() => cut.bodies.length >= 6, 'the first messages');

        // 2. The server's output is held in the relay: what the client sends now is handled
        // but never acknowledged to it, and what is sent to it is lost in the relay.
        relay.hold('down');
        for (let n = 0; n < 3; n++) {
          await cut.message(peer.jid, tok('up-peer', n));
          await cut.message(plain.jid, tok('up-plain', n));
        }
        await until(() => peer.bodies.includes(tok('up-peer', 2)) && plain.tokens().includes(tok('up-plain', 2)), 'the first messages of the client');
        await sendAll(peer, cut.jid, range('inflight', 0, 3));
        await peer.ping();

        // 3. The client's output is held too: what it sends now never reaches the server.
        relay.hold('up');
        for (let n = 3; n < 6; n++) {
          await cut.message(peer.jid, tok('up-peer', n));
          await cut.message(plain.jid, tok('up-plain', n));
        }
        await until(() => relay.held.up > 0 && relay.held.down > 0, 'bytes held both ways');
        const session = t.server.sessions.get(cut.jid);
        assert.ok(session, 'the session of the client');
        const transportBefore = session.transport;

        // 4. The cut: no stream close, no WebSocket close frame; the relay refuses reconnects.
        await relay.cut();
        await until(() => session.hibernating, 'the session hibernates (XEP-0198 §5)');
        await sendAll(peer, cut.jid, range('during-peer', 0, 3));
        await peer.ping();
        for (let n = 0; n < 3; n++) {
          plain.send(tokenMessage(cut.jid, tok('during-full', n)));
          plain.send(tokenMessage(bare, tok('during-bare', n)));
        }
        await plain.ping();
        assert.equal(session.hibernating, true, 'still cut off while the messages were sent');
        assert.deepEqual(peer.bodies, range('up-peer', 0, 3), 'the held messages did not reach the server');

        // 5. The library reconnects by itself and resumes (XEP-0198 §5).
        await relay.restore();
        const toCut = [
          ...range('before-peer', 0, 3), ...range('before-plain', 0, 3), ...range('inflight', 0, 3), ...range('during-peer', 0, 3),
          ...[0, 1, 2].flatMap((n) => [tok('during-full', n), tok('during-bare', n)]),
        ];
        await until(() => cut.resumptions() > 0 && cut.bodies.length >= toCut.length, `${k.cut} resumes and receives what was sent to it`, 15_000);
        await until(() => peer.bodies.length >= 6 && plain.tokens().length >= 6, 'the messages sent before the cut');

        // The same session on a new connection, not a new session.
        assert.equal(cut.resumptions(), 1, 'resumed once (the library\'s event)');
        assert.equal(cut.currentJid(), cut.jid);
        assert.equal(t.server.sessions.get(cut.jid), session, 'the same server session');
        assert.equal(session.hibernating, false);
        assert.notEqual(session.transport, transportBefore, 'on a new connection');
        assert.equal(relay.accepted, 2, 'one connection, then one reconnection');
        assert.ok(log.lines.some((l) => l.msg === 'stream resumed' && l.jid === cut.jid), 'the server logged the resumption');

        // Received once each, in the order sent (XEP-0198 §5: each side resends what the other's
        // h does not cover, and only that); nothing bounced, nothing went offline.
        assert.deepEqual(cut.bodies, toCut);
        assert.deepEqual(peer.bodies, range('up-peer', 0, 6));
        assert.deepEqual(plain.tokens(), range('up-plain', 0, 6));
        assert.deepEqual([...cut.failures, ...peer.failures], []);
        assert.equal(plain.messageErrors(), 0);
        assert.equal(t.server.storage.listStats('localhost', 'offline', `cut${i}`).count, 0);

        // 6. The resumed session carries new traffic both ways.
        await peer.message(cut.jid, tok('after', 0));
        await cut.message(peer.jid, tok('after', 1));
        await until(() => cut.bodies.includes(tok('after', 0)) && peer.bodies.includes(tok('after', 1)), 'messages after the resumption');
        assert.deepEqual([cut.bodies.length, peer.bodies.length], [toCut.length + 1, 7]);
      } finally {
        await cut.stop();
        await peer.stop();
        await plain.closeCleanly().catch(() => plain.destroy());
        await relay.close();
      }
    });
  });
});
