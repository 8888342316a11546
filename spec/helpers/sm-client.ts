/**
 * Test helper: a raw client for stream management tests (XEP-0198), over TCP (WireClient) or
 * WebSocket (WsProbe), with one text-based API: log in with or without binding, enable,
 * resume, ack, read what arrives, cut the connection without a stream close.
 */
import { WireClient, authPlain, openStream } from './wire-client.js';
import { WsProbe } from './ws-probe.js';

export type Kind = 'tcp' | 'ws';
export const SM3 = 'urn:xmpp:sm:3';

export interface SmClient {
  readonly kind: Kind;
  jid: string;
  write(text: string): void;
  /** Wait for `re` in what arrived after the last match (consumed). */
  expect(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Everything received so far. */
  text(): string;
  /** Tokens of received non-error messages (`<body>tok-...</body>`), in order. */
  tokens(): string[];
  /** Stanzas received since stream management was enabled, for `h`. */
  stanzaCount(): number;
  cut(): void;
  /** WebSocket only: a Close frame (1001, going away) without `<close/>`, as a closing tab sends. */
  goAway?(): void;
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
}

const TOKEN = /<message\b(?![^>]*type=["']error["'])[^>]*>(?:(?!<\/message>)[\s\S])*?<body>(tok-[^<]+)<\/body>/g;
const STANZA = /<(message|presence|iq)\b/g;

/** Stanzas received since `<enabled/>` (what the server counts for `h`, XEP-0198 §4). */
function countStanzas(text: string): number {
  const start = text.search(/<enabled\b/);
  return start < 0 ? 0 : (text.slice(start).match(STANZA) ?? []).length;
}

function tokensOf(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) out.push(m[1]!);
  return out;
}

function tcp(c: WireClient): SmClient {
  return {
    kind: 'tcp', jid: '',
    write: (t) => c.write(t),
    expect: (re, ms) => c.expect(re, ms),
    text: () => c.text,
    tokens: () => tokensOf(c.text),
    stanzaCount: () => countStanzas(c.text),
    cut: () => c.destroy(),
    closed: c.closed,
    get isClosed() { return c.isClosed; },
  };
}

function ws(p: WsProbe): SmClient {
  let consumed = 0;
  const all = (): string => p.messages.join('');
  return {
    kind: 'ws', jid: '',
    write: (t) => p.sendText(t),
    async expect(re, ms = 5000) {
      let m: RegExpExecArray | null = null;
      await p.waitFor(() => {
        m = re.exec(all().slice(consumed));
        return m !== null || p.isEnded;
      }, ms, String(re));
      if (m === null) throw new Error(`connection ended before ${re}; received: ${all().slice(consumed)}`);
      const hit = m as RegExpExecArray;
      consumed += hit.index + hit[0].length;
      return hit;
    },
    text: all,
    tokens: () => tokensOf(all()),
    stanzaCount: () => countStanzas(all()),
    cut: () => p.destroy(),
    goAway: () => p.close(1001, 'going away'),
    closed: p.ended,
    get isClosed() { return p.isEnded; },
  };
}

/** Connect and authenticate with PLAIN, without binding (ready for `<resume/>` or a bind). */
export async function authenticated(kind: Kind, ports: { tcp: number; ws: number }, user: string, password: string): Promise<SmClient> {
  if (kind === 'tcp') {
    const c = await WireClient.connect(ports.tcp);
    await openStream(c);
    const answer = await authPlain(c, user, password);
    if (!answer.startsWith('<success')) throw new Error(`login failed: ${answer}`);
    await openStream(c);
    return tcp(c);
  }
  const p = await WsProbe.connect(ports.ws, { host: 'localhost' });
  await p.open();
  const answer = await p.authPlain(user, password);
  if (!answer.startsWith('<success')) throw new Error(`login failed: ${answer}`);
  await p.open();
  return ws(p);
}

/** Bind a resource on an authenticated client; returns the full JID. */
export async function bindResource(c: SmClient, resource: string): Promise<string> {
  c.write(`<iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  const m = await c.expect(/<jid>([^<]+)<\/jid>/);
  c.jid = m[1]!;
  return c.jid;
}

/** Log in, bind, enable stream management with resumption; returns the client and the resumption id. */
export async function smLogin(kind: Kind, ports: { tcp: number; ws: number }, user: string, password: string, resource: string): Promise<{ c: SmClient; id: string }> {
  const c = await authenticated(kind, ports, user, password);
  await bindResource(c, resource);
  c.write(`<enable xmlns='${SM3}' resume='true'/>`);
  const m = await c.expect(/<enabled\b[^>]*id=["']([^"']+)["'][^>]*\/>/);
  return { c, id: m[1]! };
}

/** Resume `id` having handled `h` stanzas; resolves with the server's `<resumed h>`. */
export async function resumeSession(c: SmClient, id: string, h: number): Promise<number> {
  c.write(`<resume xmlns='${SM3}' previd='${id}' h='${h}'/>`);
  const m = await c.expect(/<(resumed|failed)\b[^>]*>/);
  if (m[1] !== 'resumed') throw new Error(`resume failed: ${m[0]} ${c.text().slice(-300)}`);
  return Number(/h=["'](\d+)["']/.exec(m[0])?.[1]);
}
