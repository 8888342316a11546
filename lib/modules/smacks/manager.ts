/**
 * @module smacks/manager
 * Stream management on one host (XEP-0198): enabling it on a bound session, counting and
 * acknowledging stanzas both ways, asking for acks, hibernating a session whose connection was
 * cut, resuming it on a new connection of either transport, and ending it: a session that
 * times out, closes or overflows never takes an unacknowledged stanza with it (they are
 * re-routed: to another resource, offline storage, or back to the sender as an error).
 */
import { randomBytes } from 'node:crypto';
import { serialize, withAttrs, xml, NS_STANZAS, type Element, type MapStore, type ModuleApi, type Session } from '../../core/api.js';
import type { SmacksOptions } from './options.js';
import { isStanza, parseH, StreamState } from './state.js';

/** The final `h` of an ended session, kept for a late `<resume/>` (XEP-0198 §5). */
interface OldSession {
  readonly h: number;
  readonly when: number;
}

/** The payload of the smacks-* events. */
export interface SmacksEvent {
  readonly session: Session;
}

const SEND_FILTER_PRIORITY = 0;

export class StreamManager {
  readonly #module: ModuleApi<SmacksOptions>;
  readonly #states = new WeakMap<Session, StreamState>();
  /** Resumption ids of live and hibernating sessions. */
  readonly #tokens = new Map<string, Session>();
  readonly #old: MapStore<OldSession>;
  /** Clients that said they are inactive (XEP-0352, csi_simple's events) before enabling. */
  readonly #inactiveBeforeEnable = new WeakSet<Session>();
  /** The options read on every stanza, read once (a reload makes a new manager). */
  readonly #maxQueue: number;
  readonly #maxUnacked: number;
  readonly #maxInactiveUnacked: number;
  /**
   * When queued stanzas were sent, for their XEP-0203 delay stamp on resumption: a clock
   * refreshed four times a second (clock()), not a Date.now() per stanza.
   */
  #now = Date.now();

  constructor(module: ModuleApi<SmacksOptions>) {
    this.#module = module;
    this.#old = module.openMap<OldSession>('smacks_h');
    const o = module.options;
    this.#maxQueue = o.smacks_max_queue_size;
    this.#maxUnacked = o.smacks_max_unacked_stanzas;
    this.#maxInactiveUnacked = o.smacks_max_inactive_unacked_stanzas;
  }

  /** Refresh the clock of the delay stamps (the module calls this every 250 ms). */
  clock(): void {
    this.#now = Date.now();
  }

  state(session: Session): StreamState | undefined {
    return this.#states.get(session);
  }

  /** Sessions with a resumption id (for the restart: persist them all). */
  resumable(): Session[] {
    return [...this.#tokens.values()];
  }

  setInactive(session: Session, inactive: boolean): void {
    const state = this.#states.get(session);
    if (state === undefined) {
      // Not enabled yet: remembered for when it is.
      if (inactive) this.#inactiveBeforeEnable.add(session);
      else this.#inactiveBeforeEnable.delete(session);
      return;
    }
    state.inactive = inactive;
    if (!inactive) this.#maybeRequestAck(session, state);
  }

  // ---- the protocol ------------------------------------------------------------------------

  /** `<enable/>` (XEP-0198 §3): only once, and only after resource binding. */
  enable(session: Session, stanza: Element, xmlns: string): void {
    if (!session.bound || this.#states.has(session)) {
      session.send(failed(xmlns, 'unexpected-request'));
      return;
    }
    const state = new StreamState(xmlns);
    const resume = stanza.attrs.resume === 'true' || stanza.attrs.resume === '1';
    const o = this.#module.options;
    if (resume) {
      state.token = randomBytes(18).toString('base64url');
      // XEP-0198 §5: the client may prefer a shorter resumption time (never a longer one).
      const wanted = parseH(stanza.attrs.max);
      state.maxSeconds = wanted !== undefined && wanted > 0 ? Math.min(wanted, o.smacks_hibernation_time) : o.smacks_hibernation_time;
    }
    this.#install(session, state);
    session.send(xml('enabled', {
      xmlns, id: state.token, resume: resume ? 'true' : undefined,
      max: resume ? String(Math.round(state.maxSeconds)) : undefined,
      location: resume && o.smacks_location !== '' ? o.smacks_location : undefined,
    }));
  }

  /**
   * Brings a session this instance does not hold here by its resumption id (from storage, or
   * from the node that holds it); set by the module. `resume` waits for it, then looks again.
   */
  fetchElsewhere: ((session: Session, previd: string) => Promise<void>) | undefined;

  /** The live session holding a resumption id on this instance, if any. */
  holder(token: string): Session | undefined {
    return this.#tokens.get(token);
  }

  /** `<r/>`: answered with `<a h/>` (XEP-0198 §4) once what it counts is stored. */
  request(session: Session, xmlns: string): void {
    const state = this.#states.get(session);
    if (state === undefined) {
      session.send(failed(xmlns, 'unexpected-request'));
      return;
    }
    // what the client learns was received is stored first (archive rows are written in batches,
    // maybe by a worker thread): the count now, the answer once it is stored
    const h = String(state.handled);
    void this.#module.server.whenStored().then(() => {
      if (!session.closed) session.send(xml('a', { xmlns: state.xmlns, h }));
    });
  }

  /** `<a h/>` from the client. */
  acknowledged(session: Session, stanza: Element): void {
    const state = this.#states.get(session);
    if (state === undefined) return;
    const h = parseH(stanza.attrs.h);
    if (h === undefined) {
      session.close({ condition: 'invalid-xml', text: "<a/> needs an 'h' attribute: an unsigned 32-bit integer (XEP-0198 §4)" });
      return;
    }
    if (!state.ack(h)) {
      this.#tooHigh(session, state, h);
      return;
    }
    state.awaitingAck = false;
    clearTimeout(state.ackTimer);
    state.ackTimer = undefined;
    this.#maybeRequestAck(session, state);
  }

  /** `<resume previd h/>` on a new connection, after SASL and before binding (XEP-0198 §5). */
  resume(session: Session, stanza: Element, xmlns: string, fetched = false): void {
    if (!session.authenticated || session.bound || this.#states.has(session)) {
      session.send(failed(xmlns, 'unexpected-request'));
      return;
    }
    const previd = stanza.attrs.previd as string | undefined;
    const h = parseH(stanza.attrs.h);
    const target = previd === undefined ? undefined : this.#tokens.get(previd);
    if (target === undefined && previd !== undefined && session.username !== undefined && this.fetchElsewhere !== undefined && !fetched) {
      // Not held here: another instance sharing the storage may hold it or have stored it
      // (a restart, a drained or taken-over node). Input waits until it is here or not.
      const fetch = this.fetchElsewhere;
      session.holdInput();
      void fetch(session, previd).catch((err: unknown) => {
        session.log.error({ err }, 'looking for a session to resume elsewhere failed');
      }).finally(() => {
        if (session.closed) return;
        this.resume(session, stanza, xmlns, true);
        session.releaseInput();
      });
      return;
    }
    const state = target === undefined ? undefined : this.#states.get(target);
    if (target === undefined || state === undefined || target.username !== session.username || target.closed) {
      // The id names nothing resumable for this account: item-not-found, with the final h if known.
      const old = previd !== undefined && session.username !== undefined ? this.#old.get(session.username, previd) : undefined;
      session.send(failed(xmlns, 'item-not-found', old?.h));
      return;
    }
    if (h === undefined) {
      session.send(failed(xmlns, 'bad-request'));
      return;
    }
    if (!state.ack(h)) {
      session.send(failed(xmlns, 'undefined-condition', state.handled, xml('handled-count-too-high', { xmlns: state.xmlns, h: String(h), 'send-count': String(state.sent) })));
      return;
    }
    clearTimeout(state.hibernationTimer);
    state.hibernationTimer = undefined;
    state.awaitingAck = false;
    target.takeOver(session);
    // `<resumed/>`, then the stanzas the client had not acknowledged, in order (they stay
    // unacknowledged), all past the filters before ours: they were counted and judged already.
    const filter = state.filter!;
    this.#module.server.flushWrites(); // as for <a/>: what h counts is stored
    target.release(xml('resumed', { xmlns: state.xmlns, previd, h: String(state.handled) }), filter);
    for (const el of state.pending(this.#module.host)) target.release(el, filter);
    target.log.info({ jid: target.fullJid, ip: target.ip, transport: target.transport.kind, resent: state.unacked }, 'stream resumed');
    this.#module.fire('smacks-hibernation-end', { session: target });
    this.#maybeRequestAck(target);
  }

  // ---- installing on a session -------------------------------------------------------------

  /** Count, queue and keep the session: filters, an observer and the drop handler. */
  #install(session: Session, state: StreamState): void {
    this.#states.set(session, state);
    state.inactive = this.#inactiveBeforeEnable.has(session);
    if (state.token !== undefined) this.#tokens.set(state.token, session);
    session.addReceiveObserver((el) => { if (isStanza(el)) state.received(); });
    state.filter = (el, s) => this.#outgoing(s, state, el);
    session.addSendFilter(state.filter, SEND_FILTER_PRIORITY);
    if (state.token !== undefined) session.setDropHandler(() => this.#hibernate(session, state));
  }

  /** A session restored after a restart (restart.ts): hibernating with its counters and queue. */
  adopt(session: Session, state: StreamState, remainingMs: number): void {
    this.#install(session, state);
    this.#startHibernation(session, state, remainingMs);
    this.#checkHeldBytes(session, state);
  }

  #outgoing(session: Session, state: StreamState, el: Element): Element | undefined {
    if (!isStanza(el)) return el;
    state.queue(el, this.#now);
    if (state.unacked > this.#maxQueue) {
      // Unbounded memory is never the answer: the session ends and its queue is re-routed.
      session.log.info({ jid: session.fullJid, queued: state.unacked }, 'stream management queue full; closing');
      session.close({ condition: 'resource-constraint', text: 'Too many unacknowledged stanzas (smacks_max_queue_size)' });
      return undefined;
    }
    if (session.hibernating) {
      state.heldBytes += serialize(el).length;
      this.#checkHeldBytes(session, state);
      return undefined;
    }
    this.#maybeRequestAck(session, state);
    return el;
  }

  /** A sleeping session holds at most smacks_max_hibernation_bytes; beyond, it ends (re-routing all). */
  #checkHeldBytes(session: Session, state: StreamState): void {
    if (state.heldBytes <= this.#module.options.smacks_max_hibernation_bytes || session.closed) return;
    session.log.info({ jid: session.fullJid, bytes: state.heldBytes }, 'hibernating session holds too much; ending it');
    session.close({ text: 'Too much held for a hibernating session (smacks_max_hibernation_bytes)' });
  }

  /**
   * Ask for an ack (one request out at a time): after the current input when more than the threshold
   * is unacknowledged, or once the oldest unacknowledged stanza has waited smacks_max_ack_delay.
   */
  #maybeRequestAck(session: Session, state = this.#states.get(session)): void {
    if (state === undefined || state.awaitingAck || state.ackScheduled || session.hibernating || session.closed || state.unacked === 0) return;
    const max = state.inactive ? this.#maxInactiveUnacked : this.#maxUnacked;
    if (state.unacked > max) {
      // Once the current input is handled (one <r/> for a burst), and before the transport's
      // corked writes go out, so the request shares their write.
      state.ackScheduled = true;
      process.nextTick(() => {
        state.ackScheduled = false;
        if (state.unacked > max) this.#sendRequest(session, state);
      });
      return;
    }
    const delay = this.#module.options.smacks_max_ack_delay;
    if (state.delayTimer === undefined && delay > 0) {
      state.delayTimer = setTimeout(() => {
        state.delayTimer = undefined;
        this.#sendRequest(session, state);
      }, delay * 1000);
      state.delayTimer.unref();
    }
  }

  #sendRequest(session: Session, state: StreamState): void {
    if (state.awaitingAck || session.hibernating || session.closed || state.unacked === 0) return;
    state.awaitingAck = true;
    clearTimeout(state.delayTimer);
    state.delayTimer = undefined;
    session.send(xml('r', { xmlns: state.xmlns }));
    const delay = this.#module.options.smacks_max_ack_delay;
    if (delay > 0) {
      // Unanswered for that long: the client may be gone without a cut we can see.
      clearTimeout(state.ackTimer);
      state.ackTimer = setTimeout(() => {
        state.ackTimer = undefined;
        if (state.awaitingAck && !session.closed) this.#module.fire('smacks-ack-delayed', { session });
      }, delay * 1000);
      state.ackTimer.unref();
    }
  }

  /** XEP-0198 §4: an ack for more than was sent is a stream error. */
  #tooHigh(session: Session, state: StreamState, h: number): void {
    session.log.info({ jid: session.fullJid, h, sent: state.sent }, 'client acknowledged more stanzas than were sent');
    session.send(xml('failed', { xmlns: state.xmlns, h: String(state.handled) },
      xml('undefined-condition', { xmlns: NS_STANZAS }),
      xml('handled-count-too-high', { xmlns: state.xmlns, h: String(h), 'send-count': String(state.sent) })));
    session.close({ condition: 'undefined-condition', text: `The client acknowledged ${h} stanzas but only ${state.sent} were sent (handled-count-too-high, XEP-0198 §4)` });
  }

  // ---- hibernation and the end -------------------------------------------------------------

  /** The connection was cut (the drop handler): hibernate unless the server is stopping. */
  #hibernate(session: Session, state: StreamState): boolean {
    if (this.#module.server.stopping || state.token === undefined) return false;
    this.#limitHibernated(session);
    this.#startHibernation(session, state, state.maxSeconds * 1000);
    session.log.info({ jid: session.fullJid, queued: state.unacked }, 'connection lost; session hibernating');
    setImmediate(() => {
      this.#module.fire('smacks-hibernation-start', { session });
      this.#checkHeldBytes(session, state);
    });
    return true;
  }

  #startHibernation(session: Session, state: StreamState, ms: number): void {
    state.clearTimers();
    state.awaitingAck = false;
    state.heldBytes = state.queuedBytes();
    state.hibernationTimer = setTimeout(() => {
      state.hibernationTimer = undefined;
      if (!session.hibernating) return;
      session.log.info({ jid: session.fullJid, queued: state.unacked }, 'hibernation timed out');
      this.#module.fire('smacks-hibernation-timeout', { session });
      session.close({ text: 'stream management hibernation timed out (smacks_hibernation_time)' });
    }, Math.max(0, ms));
    state.hibernationTimer.unref();
  }

  /** smacks_max_hibernated_sessions: the oldest hibernating session of the account ends first. */
  #limitHibernated(session: Session): void {
    if (session.username === undefined || session.host === undefined) return;
    const sleeping = this.#module.server.sessions.ofUser(session.host, session.username).filter((s) => s !== session && s.hibernating);
    const excess = sleeping.length + 1 - this.#module.options.smacks_max_hibernated_sessions;
    for (const s of sleeping.slice(0, Math.max(0, excess))) s.close({ text: 'too many hibernating sessions (smacks_max_hibernated_sessions)' });
  }

  /**
   * The session is ending (its resource is unbound): forget its id (keeping its final h), and
   * re-route what the client never acknowledged, unless it was persisted for a restart.
   */
  ended(session: Session): void {
    const state = this.#states.get(session);
    if (state === undefined) return;
    state.clearTimers();
    if (state.token !== undefined) {
      this.#tokens.delete(state.token);
      this.#remember(session, state.token, state.handled);
    }
    if (state.persisted) return;
    for (const { el, at } of state.drain()) {
      this.#module.fire('smacks-stanza-rerouted', { session, stanza: el });
      session.send(this.#unseen(session, el, at)); // the session is closing: the core re-routes it (reroute.ts)
    }
  }

  /**
   * A message to the bare JID also reached the user's resources that were there when it was
   * routed, so the core does not re-route it. When every other available resource came later
   * (a new login instead of a resumption), only this session had it: it is re-routed as a
   * message for this gone resource (RFC 6121 §8.5.3.2.1), which reaches them or offline storage.
   */
  #unseen(session: Session, el: Element, at: number): Element {
    const to = el.attrs.to as string | undefined;
    if (el.name !== 'message' || to === undefined || to === session.fullJid || session.host === undefined || session.username === undefined) return el;
    const others = this.#module.server.sessions.available(session.host, session.username);
    if (others.some((s) => s !== session && s.connectedAt <= at)) return el;
    return withAttrs(el, { to: session.fullJid });
  }

  /** XEP-0198 §5: the final h of an ended session, for a late `<resume/>` (smacks_max_old_sessions). */
  #remember(session: Session, token: string, h: number): void {
    const user = session.username;
    const max = this.#module.options.smacks_max_old_sessions;
    if (user === undefined || max === 0) return;
    this.#old.set(user, token, { h, when: Date.now() });
    const all = Object.entries(this.#old.all(user)).sort((a, b) => a[1].when - b[1].when);
    for (const [old] of all.slice(0, Math.max(0, all.length - max))) this.#old.set(user, old, undefined);
  }
}

/** `<failed/>` with a condition (and `h` when known, XEP-0198 §5). */
function failed(xmlns: string, condition: string, h?: number, extra?: Element): Element {
  return xml('failed', { xmlns, h: h === undefined ? undefined : String(h) }, xml(condition, { xmlns: NS_STANZAS }), extra);
}
