/**
 * Test helper for group chat with real client libraries, over WebSocket or TCP: @xmpp/client
 * (no MUC helpers of its own: the test sends XEP-0045 stanzas and reads the elements it gets)
 * and stanza (its own MUC plugin: joinRoom, kick, 'groupchat' and 'muc:*' events).
 */
import { createClient, type Agent } from 'stanza';
import type { Element } from '../../lib/core/xml.js';
import { StanzaTcpTransport } from './stanza-tcp.js';
import { installWebSocketGlobal } from './ws-clients.js';

/** Where a client connects: the WebSocket URL, or the c2s port for TCP. */
export type Endpoint = { readonly transport: 'websocket'; readonly url: string } | { readonly transport: 'tcp'; readonly port: number };

/** The parts of @xmpp/client used here. */
interface XmppJs {
  on(event: 'stanza', fn: (el: Element) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  start(): Promise<{ toString(): string }>;
  stop(): Promise<void>;
  send(el: Element): Promise<void>;
  iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
  reconnect: { stop(): void };
}

/** An @xmpp/client user: its bound JID, send, iq, and the next received element matching. */
export interface XmppJsUser {
  readonly jid: string;
  send(el: Element): Promise<void>;
  iq(el: Element): Promise<Element>;
  next(pred: (el: Element) => boolean, what: string, ms?: number): Promise<Element>;
  stop(): Promise<void>;
}

/** Log in with @xmpp/client at `at` as user@localhost. */
export async function xmppjsUser(at: Endpoint, username: string, password: string, resource: string): Promise<XmppJsUser> {
  if (at.transport === 'websocket') installWebSocketGlobal();
  const specifier = '@xmpp/client';
  const lib = (await import(specifier)) as { client(o: Record<string, unknown>): XmppJs };
  const service = at.transport === 'websocket' ? at.url : `xmpp://127.0.0.1:${at.port}`;
  const c = lib.client({ service, domain: 'localhost', username, password, resource });
  c.reconnect.stop();
  const pending: Element[] = [];
  const waiters: { pred: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  c.on('stanza', (el) => {
    const i = waiters.findIndex((w) => w.pred(el));
    if (i === -1) pending.push(el);
    else waiters.splice(i, 1)[0]!.resolve(el);
  });
  c.on('error', () => undefined); // failures surface through start(), iq() and next()
  const jid = String(await c.start());
  return {
    jid,
    send: (el) => c.send(el),
    iq: (el) => c.iqCaller.request(el, 5000),
    next: (pred, what, ms = 5000) => {
      const i = pending.findIndex(pred);
      if (i !== -1) return Promise.resolve(pending.splice(i, 1)[0]!);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (el: Element) => { clearTimeout(t); resolve(el); } };
        const t = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`@xmpp/client ${jid}: timed out waiting for ${what}`)); }, ms);
        waiters.push(w);
      });
    },
    stop: async () => { await c.stop().catch(() => undefined); },
  };
}

/** Log in with stanza at `at` as user@localhost; resolves once the session has started. */
export async function stanzaUser(at: Endpoint, username: string, password: string, resource: string): Promise<Agent> {
  if (at.transport === 'websocket') installWebSocketGlobal();
  const client = createClient({
    jid: `${username}@localhost`, password, resource, server: 'localhost', autoReconnect: false,
    ...(at.transport === 'websocket'
      ? { transports: { websocket: at.url, bosh: false }, transportPreferenceOrder: ['websocket'] }
      : { transports: { tcp: `xmpp://127.0.0.1:${at.port}` }, transportPreferenceOrder: ['tcp'] }),
  });
  if (at.transport === 'tcp') client.transports.tcp = StanzaTcpTransport;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stanza ${username}: no session within 10 s`)), 10_000);
    client.on('session:started', () => { clearTimeout(timer); resolve(); });
    client.on('auth:failed', () => { clearTimeout(timer); reject(new Error(`stanza ${username}: auth failed`)); });
    client.connect();
  });
  return client;
}
