/**
 * The scripted client: connects over TCP or WebSocket, authenticates (SCRAM or PLAIN),
 * binds a resource (the JID's, or one the server generates) and then queues every element
 * it receives for the runner to compare, in arrival order.
 */
import { NS_BIND, NS_PING, NS_SASL, xml, type Element } from '../core/xml.js';
import { connectTcp, connectWebSocket, type StreamConnection } from './connection.js';
import { CLIENT_MECHANISMS, saslClient } from './sasl-client.js';

/** Where a scripted client connects. */
export type ClientEndpoint = { readonly transport: 'tcp'; readonly host: string; readonly port: number } | { readonly transport: 'websocket'; readonly url: string };

export interface ScriptedClientOptions {
  readonly endpoint: ClientEndpoint;
  /** user@host or user@host/resource. */
  readonly jid: string;
  readonly password: string;
  /** SASL mechanism; default: the best offered that the client speaks. */
  readonly mechanism?: string;
  /** Bound on each wait of the login (ms). */
  readonly timeoutMs: number;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
const localName = (el: Element): string => el.name.slice(el.name.indexOf(':') + 1);

export class ScriptedClient {
  #conn!: StreamConnection;
  #queue: Element[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  #barriers = new Map<string, () => void>();
  #barrierSeq = 0;
  #fullJid = '';
  readonly domain: string;

  private constructor(readonly options: ScriptedClientOptions) {
    this.domain = options.jid.slice(options.jid.indexOf('@') + 1).split('/')[0]!;
  }

  /** Connect, authenticate and bind. Rejects with the reason when any of it fails. */
  static async connect(options: ScriptedClientOptions): Promise<ScriptedClient> {
    const c = new ScriptedClient(options);
    const events = { element: (el: Element) => c.#push(el), closed: () => { c.#closed = true; c.#wake(); } };
    const ep = options.endpoint;
    c.#conn = ep.transport === 'tcp' ? await connectTcp(ep.host, ep.port, events) : await connectWebSocket(ep.url, events);
    try {
      await c.#login();
    } catch (err) {
      await c.#conn.close(options.timeoutMs);
      throw err;
    }
    return c;
  }

  /** The bound full JID. */
  get fullJid(): string { return this.#fullJid; }
  /** Whether the connection has ended. */
  get closed(): boolean { return this.#closed; }

  send(el: Element): void { this.#conn.send(el); }

  /** The next received element, or undefined when none arrives within `ms` or the stream ended. */
  async next(ms: number): Promise<Element | undefined> {
    const deadline = Date.now() + ms;
    while (this.#queue.length === 0 && !this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.#waiter = undefined; resolve(); }, left);
        this.#waiter = () => { clearTimeout(timer); this.#waiter = undefined; resolve(); };
      });
    }
    return this.#queue.shift();
  }

  /** Elements received and not yet consumed. */
  get pending(): readonly Element[] { return this.#queue; }

  /**
   * A round trip with the server (an XEP-0199 ping it answers, or an error: either is a
   * reply): everything the server sent this client before it has then been received. The
   * reply is not queued.
   */
  async barrier(ms: number): Promise<void> {
    if (this.#closed) return;
    const id = `scansion-barrier-${++this.#barrierSeq}`;
    const done = new Promise<void>((resolve) => this.#barriers.set(id, resolve));
    this.send(xml('iq', { type: 'get', id, to: this.domain }, xml('ping', { xmlns: NS_PING })));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
    clearTimeout(timer);
    this.#barriers.delete(id);
  }

  /** Close the stream and wait (bounded) for the connection to end. */
  async disconnect(ms: number): Promise<void> {
    if (this.#closed) return;
    await this.#conn.close(ms);
  }

  #push(el: Element): void {
    const id = el.attrs.id as string | undefined;
    if (el.name === 'iq' && id !== undefined && this.#barriers.has(id) && (el.attrs.type === 'result' || el.attrs.type === 'error')) {
      this.#barriers.get(id)!();
      return;
    }
    this.#queue.push(el);
    this.#wake();
  }

  #wake(): void { this.#waiter?.(); }

  async #expect(name: string, what: string): Promise<Element> {
    const el = await this.next(this.options.timeoutMs);
    if (!el) throw new Error(`${this.options.jid}: ${this.#closed ? 'the connection closed' : 'timed out'} waiting for ${what}`);
    if (localName(el) !== name) throw new Error(`${this.options.jid}: expected ${what}, got ${el.toString()}`);
    return el;
  }

  async #login(): Promise<void> {
    const { jid, password } = this.options;
    const username = jid.slice(0, jid.indexOf('@'));
    const slash = jid.indexOf('/');
    const resource = slash === -1 ? undefined : jid.slice(slash + 1);
    this.#conn.open(this.domain);
    let features = await this.#expect('features', 'stream features');
    const offered = features.getChild('mechanisms', NS_SASL)?.getChildren('mechanism').map((m) => m.getText().trim()) ?? [];
    const mechanism = this.options.mechanism ?? CLIENT_MECHANISMS.find((m) => offered.includes(m));
    if (!mechanism || !offered.includes(mechanism)) {
      throw new Error(`${jid}: no usable SASL mechanism (offered: ${offered.join(', ') || 'none'}; wanted ${this.options.mechanism ?? CLIENT_MECHANISMS.join(' or ')})`);
    }
    const sasl = saslClient(mechanism, username, password);
    this.send(xml('auth', { xmlns: NS_SASL, mechanism }, b64(sasl.initial()) || '='));
    // RFC 6120 §6.4: challenge/response until success or failure.
    while (true) {
      const el = await this.next(this.options.timeoutMs);
      if (!el) throw new Error(`${jid}: no SASL outcome`);
      if (el.name === 'challenge') {
        this.send(xml('response', { xmlns: NS_SASL }, b64(sasl.challenge(unb64(el.getText()))) || '='));
      } else if (el.name === 'success') {
        sasl.success(unb64(el.getText()));
        break;
      } else if (el.name === 'failure') {
        throw new Error(`${jid}: authentication failed (${el.children.map((c) => (typeof c === 'string' ? c : c.name)).join(' ')})`);
      } else {
        throw new Error(`${jid}: unexpected ${el.toString()} during SASL`);
      }
    }
    this.#conn.open(this.domain);
    features = await this.#expect('features', 'stream features after authentication');
    if (!features.getChild('bind', NS_BIND)) throw new Error(`${jid}: the server offers no resource binding`);
    // RFC 6120 §7: bind the JID's resource, or let the server generate one.
    this.send(xml('iq', { type: 'set', id: 'scansion-bind' }, xml('bind', { xmlns: NS_BIND }, resource === undefined ? null : xml('resource', {}, resource))));
    const result = await this.#expect('iq', 'the resource binding result');
    const bound = result.getChild('bind', NS_BIND)?.getChildText('jid');
    if (result.attrs.type !== 'result' || !bound) throw new Error(`${jid}: resource binding failed: ${result.toString()}`);
    this.#fullJid = bound;
  }
}
