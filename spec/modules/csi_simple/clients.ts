/**
 * Test helper for the csi_simple tests: one client interface over TCP (the raw stream of
 * im-clients.ts) and over WebSocket (WsProbe, each message parsed with ltx), exposing the
 * features offered after authentication and a step between authentication and binding, so a
 * test runs the same on both transports.
 */
import { parse } from 'ltx';
import { xml, serialize, type Element } from '../../../lib/core/xml.js';
import { PASSWORD, type ImServer } from '../../helpers/im-server.js';
import { rawStream } from '../../helpers/im-clients.js';
import { reportedListeners } from '../../helpers/server.js';
import { WsProbe } from '../../helpers/ws-probe.js';

export type Kind = 'tcp' | 'ws';
export const NS_CSI = 'urn:xmpp:csi:0';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';

export interface CsiClient {
  readonly kind: Kind;
  readonly jid: string;
  /** The stream features after authentication. */
  readonly features: Element;
  /** Every element received after binding, in order. */
  readonly received: readonly Element[];
  send(el: Element): void;
  /** The first element received after binding (buffered or future) matching `pred`; it is consumed. */
  next(pred: (el: Element) => boolean, what?: string, ms?: number): Promise<Element>;
  /** Send an iq and wait for its answer. */
  iq(el: Element): Promise<Element>;
  /** `<inactive/>` or `<active/>` (XEP-0352 §4.2). */
  indicate(state: 'active' | 'inactive'): void;
  /** Whether the connection has ended. */
  readonly ended: boolean;
  stop(): Promise<void>;
}

/** What a test may do between authentication and binding. */
export type BeforeBind = (write: (text: string) => void) => void | Promise<void>;

/** The http port of the server (the websocket module must be enabled). */
export function httpPort(s: ImServer): number {
  const l = reportedListeners(s.server).find((x) => x.service === 'http');
  if (!l) throw new Error('no http listener: enable the websocket module');
  return l.port;
}

/** A raw transport after binding: write text, and a list of parsed elements that grows. */
interface Wire {
  readonly jid: string;
  readonly features: Element;
  write(text: string): void;
  /** Parse what arrived; false when nothing more can arrive. */
  poll(): Element[];
  wait(pred: () => boolean, ms: number, what: string): Promise<void>;
  readonly ended: boolean;
  stop(): Promise<void>;
}

async function tcpWire(s: ImServer, user: string, resource: string, beforeBind?: BeforeBind): Promise<Wire> {
  const stream = await rawStream(s.port);
  stream.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64')}</auth>`);
  const outcome = await stream.next((el) => el.name === 'success' || el.name === 'failure', 'SASL outcome');
  if (outcome.name !== 'success') throw new Error('login failed');
  const features = await stream.restart();
  await beforeBind?.((t) => stream.write(t));
  stream.write(`<iq type='set' id='bind1'><bind xmlns='${NS_BIND}'><resource>${resource}</resource></bind></iq>`);
  const bound = await stream.next((el) => el.name === 'iq' && el.attrs.id === 'bind1', 'bind result');
  const jid = bound.getChild('bind')?.getChildText('jid');
  if (!jid) throw new Error('bind failed');
  let ended = false;
  void stream.closed.then(() => { ended = true; });
  let seen = stream.received.length;
  return {
    jid,
    features,
    write: (t) => stream.write(t),
    poll: () => stream.received.slice(seen, (seen = stream.received.length)),
    wait: async (pred, ms, what) => {
      const deadline = Date.now() + ms;
      while (!pred()) {
        if (ended || Date.now() > deadline) throw new Error(`${ended ? 'connection ended' : 'timed out'} waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    get ended() { return ended; },
    stop: () => stream.close(),
  };
}

async function wsWire(s: ImServer, user: string, resource: string, beforeBind?: BeforeBind): Promise<Wire> {
  const probe = await WsProbe.connect(httpPort(s), { host: 'localhost' });
  await probe.open();
  const answer = await probe.authPlain(user, PASSWORD);
  if (!answer.startsWith('<success')) throw new Error(`login failed: ${answer}`);
  const [, featuresText] = await probe.open();
  await beforeBind?.((t) => probe.sendText(t));
  const jid = await probe.bind(resource);
  let seen = probe.messages.length;
  return {
    jid,
    features: parse(featuresText) as unknown as Element,
    write: (t) => probe.sendText(t),
    poll: () => probe.messages.slice(seen, (seen = probe.messages.length)).map((m) => parse(m) as unknown as Element),
    wait: async (pred, ms, what) => {
      await probe.waitFor(() => pred() || probe.isEnded, ms, what);
      if (!pred()) throw new Error(`connection ended waiting for ${what}`);
    },
    get ended() { return probe.isEnded; },
    async stop() {
      if (!probe.isEnded) probe.sendText("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
      await probe.waitEnd(5000).catch(() => probe.destroy());
    },
  };
}

let ids = 0;

/** Connect `user/resource` over `kind` and bind (after `beforeBind`, when given). */
export async function connect(kind: Kind, s: ImServer, user: string, resource: string, beforeBind?: BeforeBind): Promise<CsiClient> {
  const wire = kind === 'tcp' ? await tcpWire(s, user, resource, beforeBind) : await wsWire(s, user, resource, beforeBind);
  const received: Element[] = [];
  const pending: Element[] = [];
  const take = (): void => {
    for (const el of wire.poll()) {
      received.push(el);
      pending.push(el);
    }
  };
  const next = async (pred: (el: Element) => boolean, what = 'a stanza', ms = 5000): Promise<Element> => {
    let found: Element | undefined;
    await wire.wait(() => {
      take();
      const i = pending.findIndex(pred);
      if (i !== -1) found = pending.splice(i, 1)[0];
      return found !== undefined;
    }, ms, what);
    return found!;
  };
  const send = (el: Element): void => {
    if (kind === 'ws' && el.attrs.xmlns === undefined && ['message', 'presence', 'iq'].includes(el.name)) el.attrs.xmlns = 'jabber:client';
    wire.write(serialize(el));
  };
  return {
    kind,
    jid: wire.jid,
    features: wire.features,
    get received() { take(); return received; },
    send,
    next,
    async iq(el) {
      const id = (el.attrs.id as string | undefined) ?? `csi${++ids}`;
      el.attrs.id = id;
      send(el);
      return next((r) => r.name === 'iq' && r.attrs.id === id && (r.attrs.type === 'result' || r.attrs.type === 'error'), `iq ${id} answer`);
    },
    indicate: (state) => wire.write(serialize(xml(state, { xmlns: NS_CSI }))),
    get ended() { return wire.ended; },
    stop: () => wire.stop(),
  };
}

/** The features a client sees before authenticating, over `kind`. */
export async function featuresBeforeAuth(kind: Kind, s: ImServer): Promise<Element> {
  if (kind === 'tcp') {
    const stream = await rawStream(s.port);
    await stream.close();
    return stream.features;
  }
  const probe = await WsProbe.connect(httpPort(s), { host: 'localhost' });
  const [, text] = await probe.open();
  probe.destroy();
  return parse(text) as unknown as Element;
}

/** Send `<inactive/>` before authenticating; resolves with the condition of the stream error that follows. */
export async function inactiveBeforeAuth(kind: Kind, s: ImServer): Promise<string | undefined> {
  const inactive = `<inactive xmlns='${NS_CSI}'/>`;
  if (kind === 'tcp') {
    const stream = await rawStream(s.port);
    stream.write(inactive);
    const error = await stream.next((el) => el.name === 'stream:error', 'a stream error');
    await stream.close();
    return error.getChildElements()[0]?.name;
  }
  const probe = await WsProbe.connect(httpPort(s), { host: 'localhost' });
  await probe.open();
  probe.sendText(inactive);
  const m = await probe.until(/^<stream:error[\s\S]*$/);
  probe.destroy();
  return (parse(m[0]) as unknown as Element).getChildElements()[0]?.name;
}
