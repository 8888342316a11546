/**
 * @module session
 * Session: one client's XMPP stream (RFC 6120), whatever carries it. It owns the stream
 * state machine, stream features, the pre-auth/pre-bind gates, stanza dispatch (stamp `from`,
 * route) and the one close path. Transports feed it and carry its output; it never knows which.
 *
 *                 streamOpened                 resetStream()  (SASL success, STARTTLS)
 *   connected ─────────────────▶ open ─────────────────────────────▶ restarting
 *       │                         │ ◀────────── streamOpened ───────────┘ │
 *       │ close(reason)           │ close(reason) · streamClosed ·        │ close(reason)
 *       │                         │ transportError · readTimeout→false    │
 *       ▼                         ▼                                       ▼
 *    closing: pre-session-close, unbind (pre-resource-unbind, resource-unbind), queued
 *       │     output re-routed, [header], [<stream:error/>], sendClose, then wait
 *       │     c2s_close_timeout for the peer's close (only if its stream is open)
 *       ▼
 *    closed: transport.end(code), c2s-closed
 *
 *   disconnected() (the peer vanished) goes straight to closed from any state.
 *
 * Nothing sent to a session is lost in silence: output waits in a bounded queue while the
 * client reads (session-output.ts), and whatever a closing session can no longer carry is
 * re-routed (reroute.ts): to another resource, to offline storage, or back to its sender.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from './log.js';
import { parseJid, type Jid } from './jid.js';
import type { EventBus } from './events.js';
import type { ServerApi } from './server-api.js';
import type { Transport, StreamAttrs } from './transport.js';
import { xml, NS_STREAMS, type Element } from './xml.js';
import { closeCodeFor } from './stream-errors.js';
import { judgeHeader, noFeaturesReason } from './session-elements.js';
import type { SessionSettings } from './session-options.js';
import type { CloseReason } from './session-events.js';
import { errorReply } from './router.js';
import type { OutputOwner } from './session-output.js';
import type { ServerStats } from './stats.js';
import { turnBudget, type Inbound, type InputLimiter, type InputOwner } from './session-input.js';
import { Connection } from './session-connection.js';
import { SessionFilters } from './session-filters.js';
import { rerouteUndeliverable } from './reroute.js';
import { dispatchElement, receivedOutsideOpen, routeReply } from './session-dispatch.js';
import type { ReceiveObserver, SendFilter, Session, SessionState, TransportSession } from './session-view.js';


/** What a session needs from its registry (internal wiring; modules use SessionRegistry). */
export interface SessionContext {
  readonly server: ServerApi;
  /** The session options of a host ('*': the global section). */
  settings(host: string): SessionSettings;
  /** The bound session with this full JID. */
  get(fullJid: string): Session | undefined;
  bound(session: Session): void;
  unbound(session: Session): void;
  /** The session authenticated (it no longer counts against the unauthenticated limits). */
  authenticated(session: Session): void;
  removed(session: Session): void;
}


/**
 * The session of one client connection: both faces of session-view.ts (where its members are
 * documented), the stream state machine above, and the one close path.
 */
export class ClientSession implements TransportSession, OutputOwner, InputOwner {
  readonly id: string = randomBytes(9).toString('base64url');
  /** Made on first use: most idle sessions never log (about 230 bytes each otherwise). */
  #log: Logger | undefined;
  readonly data: Record<string, unknown> = {};
  readonly connectedAt = Date.now();
  lastInputAt = this.connectedAt;
  priority = 0;
  presence: Element | undefined;
  interested = false;
  settings: SessionSettings;
  #type: 'c2s_unauthed' | 'c2s' = 'c2s_unauthed';
  #host: string | undefined;
  #username: string | undefined;
  #jid: Jid | undefined;
  readonly #ctx: SessionContext;
  readonly #server: ServerApi;
  #state: SessionState = 'connected';
  #bound = false;
  #closeReason: CloseReason | undefined;
  #authTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  /** The connection carrying the stream (a detached one while hibernating). */
  #conn: Connection;
  /** Stream-level modules' hooks on this session (undefined: none, the common case). */
  #filters: SessionFilters | undefined;

  constructor(ctx: SessionContext, transport: Transport) {
    this.#ctx = ctx;
    this.#server = ctx.server;
    this.settings = ctx.settings('*');
    this.#conn = new Connection(this, transport, turnBudget(this.settings));
    const timeout = this.settings.c2s_timeout;
    if (timeout > 0) {
      this.#authTimer = setTimeout(() => {
        if (!this.authenticated) this.close({ condition: 'connection-timeout', text: 'Not authenticated in time (c2s_timeout)' });
      }, timeout * 1000);
      this.#authTimer.unref();
    }
  }

  get log(): Logger { return this.#log ??= this.#server.log.child({ session: this.id }); }
  get transport(): Transport { return this.#conn.transport; }
  get hibernating(): boolean { return this.#state === 'hibernating'; }
  get type(): 'c2s_unauthed' | 'c2s' { return this.#type; }
  get host(): string | undefined { return this.#host; }
  get username(): string | undefined { return this.#username; }
  get resource(): string | undefined { return this.#jid?.resource; }
  get jid(): Jid | undefined { return this.#jid; }
  get streamId(): string | undefined { return this.#conn.streamId; }
  get lang(): string { return this.#conn.lang; }
  get state(): SessionState { return this.#state; }
  get authenticated(): boolean { return this.#type === 'c2s'; }
  get closed(): boolean { return this.#state === 'closing' || this.#state === 'closed'; }
  get secure(): boolean { return this.transport.secure; }
  get encrypted(): boolean { return this.transport.encrypted; }
  get ip(): string { return this.transport.ip; }
  get bareJid(): string | undefined {
    return this.jid?.bare ?? (this.username !== undefined && this.host !== undefined ? `${this.username}@${this.host}` : undefined);
  }
  get fullJid(): string | undefined { return this.jid?.full; }
  get bound(): boolean { return this.#bound; }
  get writable(): boolean { return !this.closed && this.#conn.output.writable; }
  get pendingOutput(): number { return this.#conn.output.held; }
  get inputLimiter(): InputLimiter | undefined { return this.#conn.input.limiter; }
  set inputLimiter(limiter: InputLimiter | undefined) { this.#conn.input.limiter = limiter; }

  /**
   * Through the send filters to the client. Once the session is closing, `el` is re-routed
   * instead (reroute.ts) and false returned. While hibernating, the filters (stream
   * management's queue) take what the client should get on resumption.
   */
  send(el: Element): boolean {
    return this.#send(el, undefined);
  }

  release(el: Element, after: SendFilter): boolean {
    return this.#send(el, after);
  }

  #send(el: Element, after: SendFilter | undefined): boolean {
    const state = this.#state;
    if (state === 'closing' || state === 'closed') {
      this.#undeliverable(el);
      return false;
    }
    const filters = this.#filters;
    if (filters !== undefined) {
      const out = filters.filter(el, this, after);
      if (out === undefined) return true;
      el = out;
    }
    if (state === 'hibernating') {
      this.log.debug({ name: el.name }, 'nothing took an element for a hibernating session');
      return true;
    }
    this.#conn.output.send(el);
    return true;
  }

  addSendFilter(fn: SendFilter, priority = 0): void {
    (this.#filters ??= new SessionFilters()).addSend(fn, priority);
  }

  removeSendFilter(fn: SendFilter): void {
    this.#filters?.removeSend(fn);
  }

  addReceiveObserver(fn: ReceiveObserver): void {
    (this.#filters ??= new SessionFilters()).addObserver(fn);
  }

  removeReceiveObserver(fn: ReceiveObserver): void {
    this.#filters?.removeObserver(fn);
  }

  setDropHandler(keep: ((reason: CloseReason) => boolean) | undefined): void {
    (this.#filters ??= new SessionFilters()).dropHandler = keep;
  }

  whenWritable(fn: () => void): void {
    if (!this.closed) this.#conn.output.whenWritable(fn);
  }

  // ---- transport-facing inputs (each in order with the peer's other input) -------------------

  streamOpened(attrs: StreamAttrs): void {
    this.#conn.input.push({ kind: 'open', attrs });
  }

  /** Answer a stream header with ours and the features. */
  #open(attrs: StreamAttrs): void {
    const state = this.#state;
    if (state === 'closing' || state === 'closed') return;
    if (state !== 'open') this.#conn.peerOpened(attrs);
    const verdict = judgeHeader(attrs, state, this.host, (d) => this.#server.isLocalHost(d), (d) => this.transport.selectHost?.(d));
    const peer = attrs.from !== undefined ? parseJid(attrs.from)?.bare : undefined;
    if ('close' in verdict) {
      if (verdict.sendHeader !== undefined) {
        this.#host = verdict.sendHeader;
        this.#conn.sendHeader(verdict.sendHeader, peer);
      }
      this.close(verdict.close);
      return;
    }
    const { domain, first } = verdict;
    this.#host = domain;
    this.#conn.sendHeader(domain, peer);
    this.#state = 'open';
    if (first) {
      this.settings = this.#ctx.settings(domain);
      this.#conn.input.budget = turnBudget(this.settings);
      this.transport.setMaxStanzaSize(this.settings.c2s_unauthed_stanza_size_limit);
    }
    this.#sendFeatures();
    if (first && !this.closed) this.transport.opened?.(domain);
  }

  received(el: Element): void {
    this.#conn.input.element(el);
  }

  streamClosed(): void {
    this.#conn.input.push({ kind: 'close' });
  }

  transportError(condition: string, text?: string, code?: number): void {
    this.#conn.input.push({ kind: 'error', condition, text, code });
  }

  inputBytes(bytes: number): void {
    this.lastInputAt = Date.now();
    this.#conn.input.bytes(bytes);
  }

  drained(): void {
    this.#conn.output.drained();
  }

  /**
   * The connection is gone: process what it had already sent, then end through the one close
   * path (pre-session-close with a `dropped` reason, unbind, re-routing) without waiting.
   */
  disconnected(err?: Error): void {
    this.#conn.alive = false;
    if (this.#state === 'closed') return;
    while (this.#conn.input.waiting > 0 && (this.#state as SessionState) !== 'closed') this.#conn.input.flushOne();
    this.#conn.peerOpen = false;
    if (this.#state === 'closing') {
      this.#destroy();
      return;
    }
    if (this.#state === 'hibernating') return;
    const reason: CloseReason = { text: err?.message ?? 'connection lost', dropped: true };
    let keep = false;
    try {
      keep = this.#bound && this.#filters?.dropHandler?.(reason) === true;
    } catch (e) {
      this.log.error({ err: e }, 'a drop handler failed');
    }
    if (keep) this.#hibernate();
    else this.close(reason);
  }

  holdInput(): void {
    this.#conn.input.hold();
  }

  releaseInput(): void {
    this.#conn.input.release();
  }

  /** @internal (InputOwner) process one inbound item, in order. */
  process(item: Inbound): void {
    if (item.kind === 'open') {
      try {
        this.#open(item.attrs);
      } catch (err) {
        this.log.error({ err }, 'error while opening the stream');
        this.close('internal-server-error');
      }
      return;
    }
    if (item.kind === 'element') {
      this.processElement(item.el);
      return;
    }
    this.#conn.peerOpen = false;
    if (this.#state === 'closing') this.#destroy();
    else if (item.kind === 'close') this.close();
    else this.close({ condition: item.condition, text: item.text, code: item.code });
  }

  /** @internal (InputOwner) process one element, in order. */
  processElement(el: Element): void {
    this.#filters?.observe(el, this);
    try {
      if (this.#state === 'open') dispatchElement(this, this.#server, this.#bus(), el);
      else receivedOutsideOpen(this, this.#server, this.#bus(), el);
    } catch (err) {
      this.log.error({ err }, 'error while processing an element');
      this.close('internal-server-error');
    }
  }

  /** @internal (OutputOwner) the client's queue is full: answer the sender (RFC 6120 §8.3.3.18). */
  refuse(el: Element): void {
    const from = el.attrs.from as string | undefined;
    if (from === undefined || from === this.fullJid) return;
    this.log.debug({ name: el.name, from }, 'output queue full; stanza refused');
    routeReply(this, this.#server, errorReply(el, 'wait', 'resource-constraint', 'The recipient is not reading fast enough; try again later'));
  }

  /** @internal (OutputOwner) the server's counters. */
  get serverStats(): ServerStats { return this.#server.stats; }

  /** @internal (OutputOwner) over the limit without reading for the grace period. */
  slowReader(held: number): void {
    const t = this.transport;
    this.log.info({ ip: this.ip, held, transport: t.kind }, 'client does not read its data; closing');
    this.close({ condition: 'resource-constraint', text: `The client does not read fast enough (${t.bufferLimitOptions})`, code: 1013 });
  }

  /**
   * The transport saw no input for network_settings.read_timeout: run the `c2s-read-timeout`
   * chain (a module may answer: true keeps the session, false closes it); when nobody answers,
   * the transport's own keepalive decides (no keepalive, or a dead connection, closes it).
   */
  readTimeout(): void {
    if (this.closed) return;
    let result = this.#safeFire('c2s-read-timeout', { session: this });
    // No module took it: the transport's own keepalive (TCP whitespace, a WebSocket ping).
    if (result === undefined) result = this.transport.keepalive?.() ?? false;
    if (result === false) this.close({ condition: 'connection-timeout', text: 'No data from the client (read timeout)' });
  }

  // ---- module-facing actions ---------------------------------------------------------------

  /**
   * The one close path: pre-session-close, our header if none was sent yet (RFC 6120 §4.9.1.2),
   * the stream error if `reason` has a condition, our stream close, then c2s_close_timeout for
   * the peer's close before the transport ends. A string is a condition. Idempotent.
   */
  close(reason?: CloseReason | string): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const r: CloseReason | undefined = typeof reason === 'string' ? { condition: reason } : reason;
    this.#closeReason = r;
    this.#state = 'closing';
    this.#safeFire('pre-session-close', { session: this, reason: r });
    // RFC 6121 §8.5.3.2: from now on stanzas for this resource go elsewhere, not to a dying stream.
    this.#unbind();
    for (const el of this.#conn.output.end()) this.#undeliverable(el);
    const condition = r?.condition;
    try {
      this.#conn.sendClosing(this.host ?? this.#server.hostNames[0] ?? 'localhost', condition, r?.text);
    } catch (err) {
      this.log.debug({ err }, 'could not send the stream close');
    }
    if (condition !== undefined) this.log.info({ condition, text: r?.text, ip: this.ip, jid: this.jid?.full }, 'closing session with a stream error');
    else this.log.debug({ text: r?.text }, 'closing session');
    // RFC 6120 §4.4: wait for the peer's close, but not forever.
    const wait = this.settings.c2s_close_timeout;
    if (this.#conn.peerOpen && this.#conn.alive && wait > 0) {
      this.#closeTimer = setTimeout(() => {
        this.log.debug('no stream close from the peer in time; dropping the connection');
        this.#destroy();
      }, wait * 1000);
      this.#closeTimer.unref();
    } else {
      this.#destroy();
    }
  }

  /** A stanza this session can no longer carry (it is closing): re-route, never drop in silence. */
  #undeliverable(el: Element): void {
    try {
      rerouteUndeliverable(this.#server, this, el, this.#bus());
    } catch (err) {
      this.log.error({ err, name: el.name }, 'could not re-route a stanza of a closing session');
    }
  }

  /** Expect a new stream header (after STARTTLS <proceed/> or SASL <success/>, RFC 6120 §4.3.3). */
  resetStream(): void {
    if (this.closed) return;
    this.#state = 'restarting';
    this.#conn.sentOpen = false;
    this.transport.restartStream();
  }

  /**
   * SASL succeeded for `username` (normalised): the session becomes 'c2s', gets the
   * authenticated stanza size limit, and expects a stream restart (RFC 6120 §6.4.6).
   */
  setAuthenticated(username: string): void {
    if (this.authenticated) throw new Error('session is already authenticated');
    if (this.host === undefined || !parseJid(`${username}@${this.host}`)) throw new Error(`cannot authenticate '${username}' on this session`);
    this.#authenticate(username);
    this.transport.setMaxStanzaSize(this.settings.c2s_stanza_size_limit);
    this.resetStream();
  }

  /**
   * Bind a resource (RFC 6120 §7); a server-generated one when `resource` is empty. Conflict
   * policy: the new session wins; the old one is unbound now and closed with `conflict`.
   * The caller (bind module) validates the resource first; an invalid one throws.
   */
  bindResource(resource?: string): string {
    if (!this.authenticated || this.username === undefined || this.host === undefined) throw new Error('bindResource before authentication');
    if (this.#bound || this.closed) throw new Error('the session is already bound or closing');
    const res = resource ? resource.normalize('NFC') : randomBytes(9).toString('base64url');
    const jid = parseJid(`${this.username}@${this.host}/${res}`);
    if (!jid || jid.resource === undefined) throw new Error('invalid resource');
    this.#bind(jid, 'Replaced by a new connection for the same resource');
    return jid.resource;
  }

  takeOver(from: Session): void {
    if (!(from instanceof ClientSession) || from === this) throw new Error('takeOver: not another session of this server');
    if (from.#bound || !from.authenticated || from.username !== this.username || from.host !== this.host || from.closed) {
      throw new Error('takeOver: the new session must be authenticated as the same account, not bound, not closing');
    }
    if (!this.#bound || this.closed) throw new Error('takeOver: this session is not bound or is closing');
    const wasLive = this.#state !== 'hibernating';
    // The two sessions swap connections: this one keeps its resource, presence, module state
    // and now the new connection's stream; `from` ends on the old connection (if any is left).
    const old = this.#conn;
    this.#conn = from.#conn;
    from.#conn = old;
    this.#conn.moveTo(this);
    old.moveTo(from);
    old.discardOutput(); // the resumed queue holds whatever the old connection had not taken
    this.#state = 'open';
    this.lastInputAt = Date.now();
    // XEP-0198 §5: the connection that is replaced ends with a conflict.
    from.close(wasLive ? { condition: 'conflict', text: 'Replaced by a resumed session' } : { text: 'merged into a resumed session' });
  }

  /** The connection is gone; the session lives on without one (stream management). */
  #hibernate(): void {
    this.#state = 'hibernating';
    const old = this.#conn;
    old.end(); // the send filters (stream management) hold what was sent
    this.#conn = Connection.detached(this, old.transport.ip, old.transport.secure, turnBudget(this.settings));
    this.log.debug({ jid: this.fullJid }, 'session hibernating');
  }

  /**
   * @internal (registry) A session restored without a connection, e.g. after a restart for a
   * client that may resume it: authenticated, bound to `resource`, hibernating.
   */
  restore(host: string, username: string, resource: string): void {
    const jid = parseJid(`${username}@${host}/${resource}`);
    if (!jid || jid.local === undefined || jid.resource === undefined || !this.#server.isLocalHost(host)) throw new Error('restore: invalid JID');
    this.#host = host;
    this.settings = this.#ctx.settings(host);
    this.#authenticate(jid.local);
    this.#state = 'hibernating';
    this.#conn.alive = false;
    this.#conn.peerOpen = false;
    this.#bind(jid, 'Replaced by a restored session');
  }

  /** The session speaks for `username` from now on (SASL success, or a restored session). */
  #authenticate(username: string): void {
    this.#username = username;
    this.#type = 'c2s';
    // forget the timer too: a cleared Timeout (and its closure) would stay for the session's life
    clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    this.#ctx.authenticated(this);
  }

  /** Bind `jid`; a session already bound to it is replaced: closed with `conflict` (`why`). */
  #bind(jid: Jid, why: string): void {
    const old = this.#ctx.get(jid.full);
    if (old && old !== this) {
      old.close({ condition: 'conflict', text: why });
      if (old instanceof ClientSession) old.#unbind();
    }
    this.#jid = jid;
    this.#bound = true;
    this.#ctx.bound(this);
    this.#safeFire('resource-bind', { session: this });
  }

  // ---- internals ---------------------------------------------------------------------------

  #bus(): EventBus {
    return (this.host !== undefined ? this.#server.hostEvents(this.host) : undefined) ?? this.#server.events;
  }

  #safeFire(event: string, payload: Record<string, unknown>): unknown {
    try {
      return this.#bus().fire(event, payload);
    } catch (err) {
      this.log.error({ err, event }, 'event handler failed');
      return undefined;
    }
  }

  #sendFeatures(): void {
    const features = xml('stream:features', { 'xmlns:stream': NS_STREAMS });
    this.#safeFire('stream-features', { session: this, features });
    if (this.closed) return;
    if (features.children.length === 0 && !this.#bound) {
      const insecure = !this.authenticated && !this.secure && this.settings.c2s_require_encryption;
      if (insecure) this.log.warn({ ip: this.ip, kind: this.transport.kind }, 'no stream features to offer on an insecure connection; check the encryption settings');
      this.close(noFeaturesReason(this.authenticated, insecure, this.transport.insecureHint));
      return;
    }
    this.transport.send(features);
  }

  #unbind(): void {
    if (!this.#bound) return;
    const reason = this.#closeReason;
    this.#safeFire('pre-resource-unbind', { session: this, reason });
    this.#bound = false;
    this.#ctx.unbound(this);
    this.#safeFire('resource-unbind', { session: this, reason });
  }

  #destroy(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#authTimer);
    clearTimeout(this.#closeTimer);
    this.#conn.input.end();
    this.#unbind();
    for (const el of this.#conn.output.end()) this.#undeliverable(el);
    const r = this.#closeReason;
    try {
      this.transport.end(r?.code ?? closeCodeFor(r?.condition), r?.text);
    } catch (err) {
      this.log.debug({ err }, 'transport end failed');
    }
    this.#conn.alive = false;
    this.#ctx.removed(this);
    this.#safeFire('c2s-closed', { session: this, reason: r });
    this.log.debug({ jid: this.jid?.full, condition: r?.condition }, 'session closed');
  }
}
