/**
 * Test helper: the real client libraries over WebSocket in Node, behind one small interface:
 * @xmpp/client (its websocket transport, on `ws` as the global WebSocket), strophe.js (its
 * Node build: `ws` plus @xmldom/xmldom for the DOM) and stanza (its websocket transport).
 * Each logs in with the library's own SASL and binding.
 */
import { WebSocket as WsWebSocket } from 'ws';

/** A stanza as the tests look at it, whatever the library's representation. */
export interface Seen {
  readonly kind: 'message' | 'presence';
  readonly from: string;
  readonly type: string | undefined;
  readonly body: string | undefined;
}

export interface WsClient {
  readonly library: string;
  /** The bound full JID. */
  readonly jid: string;
  readonly seen: Seen[];
  sendMessage(to: string, body: string): void;
  /** Directed presence to `to`, or broadcast presence. */
  sendPresence(to?: string): void;
  /** XEP-0199 ping to the server; resolves on the result. */
  ping(): Promise<void>;
  /** The first seen stanza (past or future) matching `pred`. */
  next(pred: (s: Seen) => boolean, ms?: number): Promise<Seen>;
  /** Close the stream cleanly (<close/>) and wait for the disconnect. */
  stop(): Promise<void>;
}

/** Inbox with waiters. */
class Seer {
  readonly seen: Seen[] = [];
  #waiters = new Set<() => void>();

  push(s: Seen): void {
    this.seen.push(s);
    for (const w of [...this.#waiters]) w();
  }

  next(pred: (s: Seen) => boolean, ms = 5000, who = 'client'): Promise<Seen> {
    const found = this.seen.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const s = this.seen.find(pred);
        if (!s) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(s);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`${who}: no matching stanza in ${ms} ms; seen ${JSON.stringify(this.seen)}`));
      }, ms);
      this.#waiters.add(check);
    });
  }
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => Promise.race([
  p,
  new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref()),
]);

/** Node 20 has no global WebSocket; the browser-style libraries expect one. */
export function installWebSocketGlobal(): void {
  const g = globalThis as { WebSocket?: unknown };
  g.WebSocket ??= WsWebSocket;
}

// ---- @xmpp/client --------------------------------------------------------------------------

interface XmppJsElement {
  name: string;
  attrs: Record<string, string | undefined>;
  getChildText(name: string): string | null;
  is(name: string): boolean;
}
interface XmppJs {
  on(event: 'stanza', fn: (el: XmppJsElement) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  start(): Promise<{ toString(): string }>;
  stop(): Promise<void>;
  send(el: unknown): Promise<void>;
  iqCaller: { request(el: unknown, timeout?: number): Promise<unknown> };
  reconnect: { stop(): void };
}
interface XmppJsLib {
  client(o: Record<string, unknown>): XmppJs;
  xml(name: string, attrs?: Record<string, string>, ...children: unknown[]): unknown;
}

/** @xmpp/client over its websocket transport. */
export async function xmppjsClient(url: string, username: string, password: string, resource: string, domain = 'localhost'): Promise<WsClient> {
  installWebSocketGlobal();
  const specifier = '@xmpp/client';
  const lib = (await import(specifier)) as XmppJsLib;
  const c = lib.client({ service: url, domain, username, password, resource });
  c.reconnect.stop();
  (c as unknown as { timeout: number }).timeout = 10_000; // each step's 2 s default is short on a loaded machine
  const seer = new Seer();
  c.on('error', () => undefined);
  c.on('stanza', (el) => {
    if (el.is('message') || el.is('presence')) {
      seer.push({ kind: el.name as Seen['kind'], from: el.attrs.from ?? '', type: el.attrs.type, body: el.getChildText('body') ?? undefined });
    }
  });
  const jid = String(await withTimeout(c.start(), 10_000, '@xmpp/client login'));
  const { xml } = lib;
  return {
    library: '@xmpp/client',
    jid,
    seen: seer.seen,
    sendMessage: (to, body) => { void c.send(xml('message', { to, type: 'chat' }, xml('body', {}, body))); },
    sendPresence: (to) => { void c.send(to === undefined ? xml('presence') : xml('presence', { to })); },
    ping: async () => { await c.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 5000); },
    next: (pred, ms) => seer.next(pred, ms, '@xmpp/client'),
    stop: () => withTimeout(c.stop(), 5000, '@xmpp/client stop'),
  };
}

// ---- strophe.js ----------------------------------------------------------------------------

interface DomElement {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<{ textContent: string | null }>;
  tagName: string;
}
interface StropheBuilder {
  c(name: string, attrs?: Record<string, string>): StropheBuilder;
  t(text: string): StropheBuilder;
}
interface StropheConnection {
  jid: string;
  connect(jid: string, pass: string, callback: (status: number, condition?: string) => void): void;
  disconnect(reason?: string): void;
  addHandler(handler: (stanza: DomElement) => boolean, ns: string | null, name: string | null): unknown;
  send(stanza: StropheBuilder): void;
  sendIQ(stanza: StropheBuilder, ok: () => void, err: (e: unknown) => void, timeout?: number): void;
}
interface StropheLib {
  Strophe: {
    Connection: new (service: string, options?: Record<string, unknown>) => StropheConnection;
    Status: { CONNECTED: number; DISCONNECTED: number; AUTHFAIL: number; CONNFAIL: number; ERROR: number };
  };
  $msg(attrs: Record<string, string>): StropheBuilder;
  $pres(attrs?: Record<string, string>): StropheBuilder;
  $iq(attrs: Record<string, string>): StropheBuilder;
}

/** strophe.js (Node build) over WebSocket. */
export async function stropheClient(url: string, username: string, password: string, resource: string, domain = 'localhost'): Promise<WsClient> {
  const specifier = 'strophe.js';
  const lib = (await import(specifier)) as StropheLib;
  const { Strophe, $msg, $pres, $iq } = lib;
  const conn = new Strophe.Connection(url);
  const seer = new Seer();
  let disconnected!: () => void;
  const gone = new Promise<void>((resolve) => { disconnected = resolve; });
  const handler = (stanza: DomElement): boolean => {
    const kind = stanza.tagName as Seen['kind'];
    const body = stanza.getElementsByTagName('body')[0]?.textContent ?? undefined;
    seer.push({ kind, from: stanza.getAttribute('from') ?? '', type: stanza.getAttribute('type') ?? undefined, body: body ?? undefined });
    return true;
  };
  conn.addHandler(handler, null, 'message');
  conn.addHandler(handler, null, 'presence');
  await withTimeout(new Promise<void>((resolve, reject) => {
    conn.connect(`${username}@${domain}/${resource}`, password, (status, condition) => {
      if (status === Strophe.Status.CONNECTED) resolve();
      else if (status === Strophe.Status.DISCONNECTED) {
        disconnected();
        reject(new Error(`strophe disconnected (${condition ?? 'no condition'})`));
      } else if (status === Strophe.Status.AUTHFAIL || status === Strophe.Status.CONNFAIL || status === Strophe.Status.ERROR) {
        reject(new Error(`strophe status ${status} ${condition ?? ''}`));
      }
    });
  }), 10_000, 'strophe login');
  return {
    library: 'strophe.js',
    jid: conn.jid,
    seen: seer.seen,
    sendMessage: (to, body) => conn.send($msg({ to, type: 'chat' }).c('body').t(body)),
    sendPresence: (to) => conn.send(to === undefined ? $pres() : $pres({ to })),
    ping: () => new Promise((resolve, reject) => {
      conn.sendIQ($iq({ type: 'get', to: domain }).c('ping', { xmlns: 'urn:xmpp:ping' }), () => resolve(), (e) => reject(new Error(`strophe ping failed: ${String(e)}`)), 5000);
    }),
    next: (pred, ms) => seer.next(pred, ms, 'strophe.js'),
    stop: async () => {
      conn.disconnect('done');
      await withTimeout(gone, 5000, 'strophe disconnect');
    },
  };
}

// ---- stanza --------------------------------------------------------------------------------

interface StanzaAgent {
  jid: string;
  on(event: 'session:started', fn: () => void): void;
  on(event: 'auth:failed' | 'disconnected', fn: () => void): void;
  on(event: 'message', fn: (m: { from: string; type?: string; body?: string }) => void): void;
  on(event: 'presence', fn: (p: { from: string; type?: string }) => void): void;
  connect(): void;
  disconnect(): Promise<void>;
  sendMessage(m: { to: string; body: string; type: string }): void;
  sendPresence(p?: { to?: string }): void;
  ping(to: string): Promise<unknown>;
}
interface StanzaLib {
  createClient(o: Record<string, unknown>): StanzaAgent;
}

/** stanza over its websocket transport. */
export async function stanzaClient(url: string, username: string, password: string, resource: string, domain = 'localhost'): Promise<WsClient> {
  const specifier = 'stanza';
  const lib = (await import(specifier)) as StanzaLib;
  const client = lib.createClient({
    jid: `${username}@${domain}`, password, resource, server: domain,
    transports: { websocket: url, bosh: false }, autoReconnect: false,
  });
  const seer = new Seer();
  let disconnected!: () => void;
  const gone = new Promise<void>((resolve) => { disconnected = resolve; });
  client.on('disconnected', () => disconnected());
  client.on('message', (m) => seer.push({ kind: 'message', from: m.from, type: m.type, body: m.body }));
  client.on('presence', (p) => seer.push({ kind: 'presence', from: p.from, type: p.type, body: undefined }));
  await withTimeout(new Promise<void>((resolve, reject) => {
    client.on('session:started', () => resolve());
    client.on('auth:failed', () => reject(new Error('stanza: auth failed')));
    client.connect();
  }), 10_000, 'stanza login');
  return {
    library: 'stanza',
    jid: String(client.jid),
    seen: seer.seen,
    sendMessage: (to, body) => client.sendMessage({ to, body, type: 'chat' }),
    sendPresence: (to) => client.sendPresence(to === undefined ? {} : { to }),
    ping: async () => { await client.ping(domain); },
    next: (pred, ms) => seer.next(pred, ms, 'stanza'),
    stop: async () => {
      void client.disconnect();
      await withTimeout(gone, 5000, 'stanza disconnect');
    },
  };
}
