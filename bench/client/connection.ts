/**
 * @module bench/client/connection
 * One load-generator connection: a `ws` client that sets up an XMPP session over RFC 7395
 * (<open/>, SCRAM-SHA-1 or -256, bind, stream management when asked, initial presence) with
 * hand-written framing, resumes a stream management session (XEP-0198 §5), or, in relay
 * mode, just opens the socket. After setup every inbound WebSocket message goes to `onStanza`.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { ScramClient, type ScramMechanism } from './scram.js';
import { NS_SM, type SmClient } from './sm.js';
import { NS_FRAMING, attribute, childText, elementName, escapeXml, innerText, localName } from './stanza-text.js';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';

/** Where and as whom to connect. */
export interface ConnectionOptions {
  /** ws:// URL of the XMPP WebSocket endpoint, or of the relay. */
  readonly url: string;
  /** 'xmpp': a full XMPP session; 'relay': the raw ws relay (no XMPP). */
  readonly mode: 'xmpp' | 'relay';
  /** The XMPP domain (`to` of <open/>). */
  readonly domain: string;
  readonly user: string;
  readonly password: string;
  readonly resource: string;
  /** Relay mode: the id of the peer this connection sends to. */
  readonly peer?: string;
  /** Source address (several 127.x addresses spread ephemeral ports). */
  readonly localAddress?: string;
  /** Give up on setup (or on a graceful close) after this many ms. */
  readonly timeoutMs: number;
  /**
   * Stream management (XEP-0198): enabled after binding, or the state of the session that
   * resume() takes over. Its <r/> and <a/> never reach `onStanza`.
   */
  readonly sm?: SmClient;
  /** The SASL mechanism (default SCRAM-SHA-1). */
  readonly mechanism?: ScramMechanism;
}

/** How long each part of the setup took, in ms since the connection started. */
export interface SetupTimes {
  wsOpen: number;
  authenticated: number;
  bound: number;
  /** The server reflected the initial presence (RFC 6121 §4.2.2): the session is fully up. */
  available: number;
}

/** What resume() got: the session back, or <failed/> (then, on request, a new session). */
export interface ResumeOutcome {
  readonly resumed: boolean;
  /** The <failed/> element when not resumed. */
  readonly failure?: string;
  /** ms since the connection started: socket open, authenticated, <resumed/> or <failed/>. */
  readonly wsOpen: number;
  readonly authenticated: number;
  readonly answered: number;
}

/** A load-generator connection. */
export class BenchConnection {
  readonly options: ConnectionOptions;
  /** The bound full JID (xmpp mode) once set up. */
  jid = '';
  /** Every inbound message after setup. */
  onStanza: (text: string) => void = () => {};
  /** Called once if the connection ends while not being closed by us. */
  onLost: (why: string) => void = () => {};
  times: SetupTimes | undefined;
  #ws: WebSocket | undefined;
  #closing = false;
  #ready = false;
  #queue: string[] = [];
  #waiter: ((text: string | Error) => void) | undefined;
  #ended: Error | undefined;
  #socket: Socket | undefined;
  #corked = false;

  constructor(options: ConnectionOptions) {
    this.options = options;
  }

  /**
   * Open the socket and set the session up; rejects with the reason it failed. With `prime`,
   * stop after deriving the SCRAM keys (untimed warm-up: real clients keep derived keys,
   * RFC 5802 §5.1), then close.
   */
  async connect(prime = false): Promise<SetupTimes> {
    const times = await this.#setup(async (t0, wsOpen): Promise<SetupTimes> => {
      if (this.options.mode === 'relay') return { wsOpen, authenticated: wsOpen, bound: wsOpen, available: wsOpen };
      await this.#authenticate(prime);
      const authenticated = performance.now() - t0;
      if (prime) {
        await this.close();
        return { wsOpen, authenticated: 0, bound: 0, available: 0 };
      }
      await this.#bind();
      const bound = performance.now() - t0;
      await this.#enable();
      await this.#presence();
      return { wsOpen, authenticated, bound, available: performance.now() - t0 };
    });
    if (!prime) this.times = times;
    return times;
  }

  /**
   * Resume the stream management session of `options.sm` on this new connection (XEP-0198
   * §5: SASL, then <resume previd h/>). The re-sent stanzas go to `onStanza`. When the server
   * answers <failed/> and `bindIfFailed`, go on as a new session (bind, initial presence).
   */
  async resume(bindIfFailed = false): Promise<ResumeOutcome> {
    const sm = this.options.sm;
    if (sm === undefined) throw new Error('resume() needs options.sm');
    return this.#setup(async (t0, wsOpen) => {
      await this.#authenticate(false);
      const authenticated = performance.now() - t0;
      // XEP-0198 §5: on the restarted stream, before binding
      const features = await this.#openStream();
      if (!features.includes(NS_SM)) throw new Error(`stream management not offered: ${features.slice(0, 300)}`);
      sm.active = false; // counting goes on from <resumed/>
      this.send(sm.resumeText());
      while (true) {
        const text = await this.#next();
        const name = localName(elementName(text));
        if (name === 'resumed') return { resumed: true, wsOpen, authenticated, answered: performance.now() - t0 };
        if (name !== 'failed') continue;
        const answered = performance.now() - t0;
        if (bindIfFailed) {
          await this.#bindOnOpenStream();
          await this.#presence();
        }
        return { resumed: false, failure: text, wsOpen, authenticated, answered };
      }
    });
  }

  /** Open the socket, run `steps` (setup), then hand every later message to `onStanza`. */
  async #setup<T>(steps: (t0: number, wsOpen: number) => Promise<T>): Promise<T> {
    const o = this.options;
    const t0 = performance.now();
    const url = o.mode === 'relay' ? `${o.url}?me=${encodeURIComponent(o.user)}&peer=${encodeURIComponent(o.peer ?? '')}` : o.url;
    const ws = new WebSocket(url, o.mode === 'xmpp' ? 'xmpp' : undefined, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: o.timeoutMs,
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    });
    this.#ws = ws;
    ws.once('upgrade', (res: IncomingMessage) => { this.#socket = res.socket; });
    const sm = o.sm;
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (sm !== undefined && sm.inbound(text, this.#sendText) === 'nonza') return;
      if (this.#ready) this.onStanza(text);
      else this.#push(text);
    });
    ws.on('close', (code: number) => this.#end(new Error(`closed ${code}`)));
    ws.on('error', (err: Error) => this.#end(err));
    const timer = setTimeout(() => { this.#end(new Error('setup timeout')); ws.terminate(); }, o.timeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
        ws.once('close', (code: number) => reject(new Error(`closed ${code} before open`)));
      });
      const out = await steps(t0, performance.now() - t0);
      if (this.#closing) return out; // prime: already closed
      this.#ready = true;
      for (const text of this.#queue.splice(0)) this.onStanza(text);
      return out;
    } catch (err) {
      this.terminate();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send one complete element (one WebSocket message, RFC 7395 §3.3.3). */
  send(text: string): void {
    // Everything sent in one tick leaves in one write (like a client that batches its output),
    // so the generator spends its CPU on load rather than on syscalls.
    const socket = this.#socket;
    if (socket !== undefined && !this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    this.#ws!.send(text);
  }

  /** End of the tick: write what send() queued. */
  flush(): void {
    this.#corked = false;
    this.#socket?.uncork();
  }

  /** Bytes queued in the socket but not yet written. */
  get buffered(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** True while the socket is open and not being closed. */
  get open(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN && !this.#closing;
  }

  /** With stream management: acknowledge everything received so far (<a h/>). */
  ackNow(): void {
    const sm = this.options.sm;
    if (sm?.active && this.#ws?.readyState === WebSocket.OPEN) this.send(sm.ackText());
  }

  /**
   * Close gracefully: <close/> (RFC 7395 §3.6), then wait for the server to end the socket.
   * With stream management, everything received is acknowledged first, so the server has
   * nothing to re-route (to offline storage) when the session ends.
   */
  async close(): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (ws.readyState === WebSocket.OPEN) {
      if (this.options.mode === 'xmpp') {
        this.ackNow();
        ws.send(`<close xmlns="${NS_FRAMING}"/>`);
      } else ws.close(1000);
    }
    const timer = setTimeout(() => ws.terminate(), this.options.timeoutMs);
    await closed;
    clearTimeout(timer);
  }

  /** Drop the socket at once: no <close/>, no WebSocket close (a stream management session hibernates). */
  terminate(): void {
    this.#closing = true;
    this.#ws?.terminate();
  }

  #push(text: string): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(text);
    } else {
      this.#queue.push(text);
    }
  }

  #end(err: Error): void {
    if (this.#ended) return;
    this.#ended = err;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(err);
    if (this.#ready && !this.#closing) this.onLost(err.message);
  }

  /** The next inbound message during setup; a stream error or close is a failure. */
  async #next(): Promise<string> {
    const queued = this.#queue.shift();
    let text: string | Error;
    if (queued !== undefined) text = queued;
    else if (this.#ended) text = this.#ended;
    else text = await new Promise<string | Error>((resolve) => { this.#waiter = resolve; });
    if (text instanceof Error) throw text;
    const name = localName(elementName(text));
    if (name === 'error' && elementName(text).startsWith('stream')) throw new Error(`stream error: ${text.slice(0, 300)}`);
    if (name === 'close') throw new Error('server closed the stream during setup');
    return text;
  }

  async #expect(name: string): Promise<string> {
    const text = await this.#next();
    if (localName(elementName(text)) !== name) throw new Error(`expected <${name}>, got: ${text.slice(0, 200)}`);
    return text;
  }

  /** <open/> and stream features (RFC 7395 §3.4); returns the features element. */
  async #openStream(): Promise<string> {
    this.send(`<open xmlns="${NS_FRAMING}" to="${escapeXml(this.options.domain)}" version="1.0"/>`);
    await this.#expect('open');
    return this.#expect('features');
  }

  /** SCRAM-SHA-1 or SCRAM-SHA-256 (RFC 5802, RFC 7677, RFC 6120 §6). */
  async #authenticate(prime: boolean): Promise<void> {
    const features = await this.#openStream();
    const mechanism = this.options.mechanism ?? 'SCRAM-SHA-1';
    if (!features.includes(`>${mechanism}<`)) throw new Error(`${mechanism} not offered: ${features.slice(0, 300)}`);
    const scram = new ScramClient(this.options.user, this.options.password, mechanism);
    this.send(`<auth xmlns="${NS_SASL}" mechanism="${mechanism}">${Buffer.from(scram.first()).toString('base64')}</auth>`);
    const challenge = await this.#next();
    if (localName(elementName(challenge)) !== 'challenge') throw new Error(`SASL: ${challenge.slice(0, 200)}`);
    const final = await scram.final(Buffer.from(innerText(challenge), 'base64').toString());
    if (prime) return;
    this.send(`<response xmlns="${NS_SASL}">${Buffer.from(final).toString('base64')}</response>`);
    const success = await this.#next();
    if (localName(elementName(success)) !== 'success') throw new Error(`SASL: ${success.slice(0, 200)}`);
    if (!scram.verify(Buffer.from(innerText(success), 'base64').toString())) throw new Error('SASL: bad server signature');
  }

  /** Restart the stream and bind the resource (RFC 6120 §7). */
  async #bind(): Promise<void> {
    const features = await this.#openStream();
    if (!features.includes(NS_BIND)) throw new Error('bind not offered');
    await this.#bindOnOpenStream();
  }

  /** Bind the resource on the stream already restarted. */
  async #bindOnOpenStream(): Promise<void> {
    this.send(`<iq xmlns="jabber:client" type="set" id="bind1"><bind xmlns="${NS_BIND}"><resource>${escapeXml(this.options.resource)}</resource></bind></iq>`);
    while (true) {
      const text = await this.#next();
      if (localName(elementName(text)) !== 'iq' || attribute(text, 'id') !== 'bind1') continue;
      if (attribute(text, 'type') !== 'result') throw new Error(`bind failed: ${text.slice(0, 200)}`);
      this.jid = childText(text, 'jid') ?? '';
      if (!this.jid) throw new Error('bind result without a JID');
      return;
    }
  }

  /** XEP-0198 §3: <enable/> after binding, when asked for; done at <enabled/>. */
  async #enable(): Promise<void> {
    const sm = this.options.sm;
    if (sm === undefined) return;
    this.send(sm.enableText());
    while (true) {
      const text = await this.#next();
      const name = localName(elementName(text));
      if (name === 'enabled') return;
      if (name === 'failed') throw new Error(`stream management not enabled: ${text.slice(0, 200)}`);
    }
  }

  /** Send from the stream management state (acks), while the socket is open. */
  readonly #sendText = (text: string): void => {
    if (this.#ws?.readyState === WebSocket.OPEN) this.send(text);
  };

  /** Initial presence; done when the server reflects it to us (RFC 6121 §4.2.2). */
  async #presence(): Promise<void> {
    this.send('<presence xmlns="jabber:client"/>');
    while (true) {
      const text = await this.#next();
      if (localName(elementName(text)) === 'presence' && attribute(text, 'from') === this.jid && attribute(text, 'type') === undefined) return;
    }
  }
}

function uncork(c: BenchConnection): void {
  c.flush();
}
