/**
 * Test helper: small clients over WebSocket (WsProbe) or TCP (WireClient) with one API, for
 * the attack and no-loss tests. Messages carry unique tokens in their bodies; a client can
 * say which tokens it received, measure a ping round trip, stop and resume reading, and
 * close cleanly (reading everything the server sent before its close).
 */
import { login as tcpLogin, type WireClient } from './wire-client.js';
import { wsLogin, type WsProbe } from './ws-probe.js';

export type Transport = 'ws' | 'tcp';

export interface TokenClient {
  readonly jid: string;
  readonly kind: Transport;
  /** Send raw XML (one or more stanzas). */
  send(text: string): void;
  /** Everything received so far, as text. */
  received(): string;
  /** Tokens found in the bodies of received messages that are not errors, in order. */
  tokens(): string[];
  /** Tokens of received message errors that carry the original body, in order. */
  bouncedTokens(): string[];
  /** How many message errors (bounces) were received, with or without the original. */
  messageErrors(): number;
  /** Send a ping to the server and resolve with the round trip in ms. */
  ping(ms?: number): Promise<number>;
  /** Wait until `pred(received text)` holds. */
  waitFor(pred: (text: string) => boolean, ms?: number, what?: string): Promise<void>;
  pauseReading(): void;
  resumeReading(): void;
  /** Whether the connection has ended. */
  readonly ended: boolean;
  /** Resolves when the connection has ended. */
  readonly closed: Promise<void>;
  /** Send our stream close and read until the server ends the connection. */
  closeCleanly(ms?: number): Promise<void>;
  destroy(): void;
}

const TOKEN = /<message\b(?![^>]*type=["']error["'])[^>]*>(?:(?!<\/message>)[\s\S])*?<body>(tok-[^<]+)<\/body>/g;
const ERRORS = /<message\b(?=[^>]*type=["']error["'])[^>]*>/g;
const BOUNCED = /<message\b(?=[^>]*type=["']error["'])[^>]*>(?:(?!<\/message>)[\s\S])*?<body>(tok-[^<]+)<\/body>/g;

function matches(re: RegExp, text: string): string[] {
  const out: string[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1]!);
  return out;
}

let pings = 0;

function wsClient(probe: WsProbe, jid: string): TokenClient {
  const text = (): string => probe.messages.join('\n');
  const client: TokenClient = {
    jid,
    kind: 'ws',
    send: (t) => probe.sendText(t),
    received: text,
    tokens: () => matches(TOKEN, text()),
    bouncedTokens: () => matches(BOUNCED, text()),
    messageErrors: () => text().match(ERRORS)?.length ?? 0,
    async ping(ms = 10_000) {
      const id = `p${++pings}`;
      const start = performance.now();
      probe.sendText(`<iq type='get' id='${id}' to='localhost' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`);
      const answered = (): boolean => probe.messages.some((m) => m.startsWith('<iq') && m.includes(`id="${id}"`));
      await probe.waitFor(() => answered() || probe.isEnded, ms, `ping ${id}`);
      if (!answered()) throw new Error(`connection ended before ping ${id} was answered`);
      return performance.now() - start;
    },
    async waitFor(pred, ms = 10_000, what = 'a condition') {
      await probe.waitFor(() => pred(text()) || probe.isEnded, ms, what);
      if (!pred(text())) throw new Error(`connection ended while waiting for ${what}`);
    },
    pauseReading: () => probe.socket.pause(),
    resumeReading: () => probe.socket.resume(),
    get ended() { return probe.isEnded; },
    closed: probe.ended,
    async closeCleanly(ms = 15_000) {
      if (!probe.isEnded) probe.sendText("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
      await probe.waitEnd(ms);
    },
    destroy: () => probe.destroy(),
  };
  return client;
}

function tcpClient(c: WireClient, jid: string): TokenClient {
  return {
    jid,
    kind: 'tcp',
    send: (t) => c.write(t),
    received: () => c.text,
    tokens: () => matches(TOKEN, c.text),
    bouncedTokens: () => matches(BOUNCED, c.text),
    messageErrors: () => c.text.match(ERRORS)?.length ?? 0,
    async ping(ms = 10_000) {
      const id = `p${++pings}`;
      const start = performance.now();
      c.write(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
      await c.expect(new RegExp(`<iq\\b[^>]*id=["']${id}["']`), ms);
      return performance.now() - start;
    },
    waitFor: (pred, ms = 10_000, what = 'a condition') => waitText(c, pred, ms, what),
    pauseReading: () => c.socket.pause(),
    resumeReading: () => c.socket.resume(),
    get ended() { return c.isClosed; },
    closed: c.closed,
    async closeCleanly(ms = 15_000) {
      if (!c.isClosed) c.write('</stream:stream>');
      await Promise.race([c.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('no end of connection')), ms).unref())]);
    },
    destroy: () => c.destroy(),
  };
}

/** Poll `c.text` until `pred` holds. */
function waitText(c: WireClient, pred: (text: string) => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const check = (): void => {
      if (pred(c.text)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timeout waiting for ${what}; received ${c.text.length} chars: ${c.text.slice(-300)}`));
      if (c.isClosed) return reject(new Error(`connection closed while waiting for ${what}: ${c.text.slice(-300)}`));
      setTimeout(check, 5);
    };
    check();
  });
}

/** Log in over `kind` as `user` (PLAIN; the server must allow it on that transport). */
export async function connectToken(kind: Transport, ports: { ws: number; tcp: number }, user: string, password: string, resource?: string): Promise<TokenClient> {
  if (kind === 'ws') {
    const { probe, jid } = await wsLogin(ports.ws, user, password, { resource });
    return wsClient(probe, jid);
  }
  const { client, jid } = await tcpLogin(ports.tcp, user, password, resource);
  return tcpClient(client, jid);
}

/** A chat message carrying `token`, optionally padded to about `size` bytes. */
export function tokenMessage(to: string, token: string, size = 0, type = 'chat'): string {
  const pad = size > 0 ? `<pad xmlns='urn:example:pad'>${'x'.repeat(Math.max(0, size - 120))}</pad>` : '';
  return `<message to='${to}' type='${type}' id='${token}'><body>${token}</body>${pad}</message>`;
}

/** Duplicates in a list. */
export function duplicates(list: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const x of list) (seen.has(x) ? dup : seen).add(x);
  return [...dup];
}
