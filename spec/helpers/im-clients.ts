/**
 * Test clients for the IM modules: a wrapper around the real `@xmpp/client` library, and an
 * independent scripted client over a raw TCP socket (SASL PLAIN, bind, then stanzas), both with
 * a buffered "wait for the next matching stanza" helper.
 */
import { connect, type Socket } from 'node:net';
import { Parser } from '@xmpp/xml';
import { xml, serialize, type Element } from '../../lib/core/xml.js';

/** A connected client that has bound a resource. */
export interface ImClient {
  /** The bound full JID. */
  readonly jid: string;
  /** Every stanza received so far (in order). */
  readonly received: Element[];
  send(el: Element): Promise<void>;
  /** Send an iq and wait for its result (rejects with the error condition on type='error'). */
  iq(el: Element): Promise<Element>;
  /** The first received stanza (buffered or future) matching `pred`; it is consumed. */
  next(pred: (el: Element) => boolean, what?: string, ms?: number): Promise<Element>;
  /** Whether a matching stanza arrived (without waiting, without consuming). */
  has(pred: (el: Element) => boolean): boolean;
  stop(): Promise<void>;
}

/** A stanza collector with waiters, shared by both clients. */
class Inbox {
  readonly received: Element[] = [];
  #pending: Element[] = [];
  #waiters: { pred: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];

  push(el: Element): void {
    this.received.push(el);
    const i = this.#waiters.findIndex((w) => w.pred(el));
    if (i !== -1) {
      const [w] = this.#waiters.splice(i, 1);
      w!.resolve(el);
    } else {
      this.#pending.push(el);
    }
  }

  next(pred: (el: Element) => boolean, what = 'a stanza', ms = 5000): Promise<Element> {
    const i = this.#pending.findIndex(pred);
    if (i !== -1) return Promise.resolve(this.#pending.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve: (el: Element) => { clearTimeout(timer); resolve(el); } };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  has(pred: (el: Element) => boolean): boolean {
    return this.#pending.some(pred);
  }
}

/** The parts of @xmpp/client these tests use (it ships no type declarations). */
interface XmppJsClient {
  on(event: 'stanza', fn: (el: Element) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  start(): Promise<{ toString(): string }>;
  stop(): Promise<void>;
  send(el: Element): Promise<void>;
  iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
  reconnect: { stop(): void };
}

/** Connect with @xmpp/client over TCP (xmpp://127.0.0.1:port) and bind `resource`. */
export async function xmppJsClient(port: number, username: string, password: string, resource?: string): Promise<ImClient> {
  return xmppJsClientAt(`xmpp://127.0.0.1:${port}`, username, password, resource);
}

/**
 * Connect with @xmpp/client to `service` (`xmpp://…` over TCP, or `ws://…/xmpp-websocket` over
 * WebSocket once a global WebSocket is installed: ws-clients.ts installWebSocketGlobal) and bind `resource`.
 */
export async function xmppJsClientAt(service: string, username: string, password: string, resource?: string): Promise<ImClient> {
  const specifier = '@xmpp/client';
  const lib = (await import(specifier)) as { client(o: Record<string, unknown>): XmppJsClient };
  const c = lib.client({ service, domain: 'localhost', username, password, resource });
  c.reconnect.stop();
  // @xmpp/connection gives each step (open, starttls) 2 s by default: too short on a loaded CI machine
  (c as unknown as { timeout: number }).timeout = 10_000;
  const inbox = new Inbox();
  c.on('stanza', (el) => inbox.push(el));
  c.on('error', () => undefined); // failures surface through start(), iq() and next()
  const jid = String(await c.start());
  return {
    jid,
    received: inbox.received,
    send: (el) => c.send(el),
    iq: (el) => c.iqCaller.request(el, 5000),
    next: (pred, what, ms) => inbox.next(pred, what, ms),
    has: (pred) => inbox.has(pred),
    stop: async () => { await c.stop().catch(() => undefined); },
  };
}

/** A raw XMPP stream over TCP, before authentication. */
export interface RawStream {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  /** The features of the current stream. */
  features: Element;
  write(data: string | Element): void;
  next(pred: (el: Element) => boolean, what?: string, ms?: number): Promise<Element>;
  has(pred: (el: Element) => boolean): boolean;
  readonly received: Element[];
  /** Open a new stream on the same connection (after SASL success) and read its features. */
  restart(): Promise<Element>;
  close(): Promise<void>;
}

/** Connect to 127.0.0.1:port, open a stream to localhost and read the features. */
export async function rawStream(port: number): Promise<RawStream> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const inbox = new Inbox();
  let parser: Parser;
  const reset = (): void => {
    parser = new Parser();
    parser.on('element', (el: Element) => inbox.push(el));
    parser.on('error', () => socket.destroy());
  };
  reset();
  socket.on('data', (d) => parser.write(d.toString('utf8')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const write = (data: string | Element): void => { socket.write(typeof data === 'string' ? data : serialize(data)); };
  const open = async (): Promise<Element> => {
    write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
    return inbox.next((el) => el.name === 'stream:features', 'stream features');
  };
  const stream: RawStream = {
    socket,
    closed,
    features: await open(),
    write,
    next: (pred, what, ms) => inbox.next(pred, what, ms),
    has: (pred) => inbox.has(pred),
    received: inbox.received,
    restart: async () => {
      reset();
      stream.features = await open();
      return stream.features;
    },
    close: async () => {
      if (socket.destroyed) return;
      write('</stream:stream>');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
      socket.destroy();
    },
  };
  return stream;
}

/**
 * An independent client: a scripted conversation over a raw TCP socket, parsed with a plain
 * XML stream parser. SASL PLAIN (the server must allow it without TLS), then resource binding.
 */
export async function rawClient(port: number, username: string, password: string, resource = 'raw'): Promise<ImClient & { stream: RawStream }> {
  const stream = await rawStream(port);
  const mechs = stream.features.getChild('mechanisms')?.getChildren('mechanism').map((m) => m.getText()) ?? [];
  if (!mechs.includes('PLAIN')) {
    await stream.close();
    throw new Error(`PLAIN not offered (got ${mechs.join(', ')})`);
  }
  const token = Buffer.from(`\0${username}\0${password}`).toString('base64');
  stream.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${token}</auth>`);
  const outcome = await stream.next((el) => el.name === 'success' || el.name === 'failure', 'SASL outcome');
  if (outcome.name !== 'success') {
    await stream.close();
    throw Object.assign(new Error(`SASL failed: ${outcome.getChildElements()[0]?.name}`), { condition: outcome.getChildElements()[0]?.name });
  }
  await stream.restart();
  stream.write(xml('iq', { type: 'set', id: 'bind1' }, xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' }, xml('resource', {}, resource))));
  const bound = await stream.next((el) => el.name === 'iq' && el.attrs.id === 'bind1', 'bind result');
  const jid = bound.getChild('bind')?.getChildText('jid');
  if (bound.attrs.type !== 'result' || !jid) throw new Error('bind failed');
  let ids = 0;
  return {
    jid,
    stream,
    received: stream.received,
    send: async (el: Element) => { stream.write(el); },
    iq: async (el: Element) => {
      const id = (el.attrs.id as string | undefined) ?? `raw${++ids}`;
      el.attrs.id = id;
      stream.write(el);
      const reply = await stream.next((r) => r.name === 'iq' && r.attrs.id === id && (r.attrs.type === 'result' || r.attrs.type === 'error'), `iq ${id} reply`);
      if (reply.attrs.type === 'error') {
        const condition = reply.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;
        throw Object.assign(new Error(`iq error: ${condition}`), { condition });
      }
      return reply;
    },
    next: (pred, what, ms) => stream.next(pred, what, ms),
    has: (pred) => stream.has(pred),
    stop: () => stream.close(),
  };
}

/** Predicates for `next()`. */
export const is = {
  message: (from?: string) => (el: Element) => el.name === 'message' && (from === undefined || String(el.attrs.from).startsWith(from)),
  presence: (from?: string, type?: string) => (el: Element) =>
    el.name === 'presence' && (from === undefined || String(el.attrs.from).startsWith(from)) && el.attrs.type === type,
  rosterPush: (jid: string) => (el: Element) =>
    el.name === 'iq' && el.attrs.type === 'set' && el.getChild('query', 'jabber:iq:roster')?.getChild('item')?.attrs.jid === jid,
};
