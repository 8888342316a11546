/**
 * @module session-output
 * What a session has to send and its client has not read yet. Elements go straight to the
 * transport while its buffer is below a high-water mark; beyond it they wait in a queue that
 * the transport's drain empties, so a burst never counts against the client. A queue over the
 * transport's `maxBufferedBytes` refuses stanzas (bounced to their sender, never dropped in
 * silence), and a client that stays over it without draining anything for the transport's
 * `slowReaderGraceMs` is a slow reader: its session ends with resource-constraint. When the
 * session ends, whatever is still queued is handed back for re-routing.
 */
import type { Transport } from './transport.js';
import { serialize, type Element } from './xml.js';
import { countStanza, type ServerStats, type StanzaCounts } from './stats.js';

/** Shared by every output that queues nothing (most of them): no array per session. */
const NONE: never[] = [];

/** Bytes the transport may hold before further output waits in the queue. */
export const SEND_HIGH_WATER = 64 * 1024;

/** What the output needs from its session. */
export interface OutputOwner {
  readonly transport: Transport;
  /** The output is over its limit: refuse this stanza to its sender (resource-constraint). */
  refuse(el: Element): void;
  /** The client drained nothing for the grace period while over the limit. */
  slowReader(held: number): void;
  /** The server's counters (stanzas out, back-pressure events). */
  readonly serverStats: ServerStats;
}

/** How often a congested output checks its client's progress (ms, at most). */
const CHECK_MS = 1000;

/** An element waiting for the transport, with its serialised size (and text, from `by`). */
interface Queued {
  readonly el: Element;
  readonly bytes: number;
  /** What `by.serialize` made of `el` (undefined when that transport cannot serialise). */
  readonly text: string | undefined;
  readonly by: Transport;
}

/**
 * Whether `el` may be refused when the output is full: requests and messages can be bounced
 * (RFC 6120 §8.3); presence may be dropped (RFC 6121 §4.3.2, §8.5); results, errors and
 * nonzas answer the client's own requests and are always kept.
 */
function refusable(el: Element): 'bounce' | 'drop' | 'keep' {
  const name = el.name;
  const type = el.attrs.type as string | undefined;
  if (name === 'message') return type === 'error' ? 'drop' : 'bounce';
  if (name === 'presence') return 'drop';
  if (name === 'iq') return type === 'get' || type === 'set' ? 'bounce' : 'keep';
  return 'keep';
}

export class SessionOutput {
  #owner: OutputOwner;
  #queue: Queued[] = NONE;
  #head = 0;
  #queuedBytes = 0;
  #waiters: (() => void)[] = NONE;
  /** When the client last drained something (ms), while over the limit. */
  #progressAt = 0;
  #lastBuffered = 0;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;
  /** The server's count of stanzas out (the same server's after a rebind). */
  readonly #out: StanzaCounts;

  constructor(owner: OutputOwner) {
    this.#owner = owner;
    this.#out = owner.serverStats.stanzasOut;
  }

  /** A resumed session takes over this output with its connection. */
  rebind(owner: OutputOwner): void {
    this.#owner = owner;
  }

  /** Bytes held for the client: in the transport plus in the queue. */
  get held(): number {
    return this.#owner.transport.bufferedAmount + this.#queuedBytes;
  }

  /** Nothing is queued and the transport is below its high-water mark. */
  get writable(): boolean {
    return this.#head === this.#queue.length && this.#owner.transport.bufferedAmount < SEND_HIGH_WATER;
  }

  /** Hand `el` to the transport now, or queue it; refuse it when over the limit. */
  send(el: Element): void {
    const transport = this.#owner.transport;
    if (this.#head === this.#queue.length && transport.bufferedAmount < SEND_HIGH_WATER) {
      transport.send(el);
      countStanza(this.#out, el.name);
      return;
    }
    // Serialised once, here: the text is what the transport writes when the queue drains.
    const text = transport.serialize !== undefined && transport.sendSerialized !== undefined ? transport.serialize(el) : undefined;
    const bytes = text !== undefined ? text.length : serialize(el).length;
    if (this.held + bytes > transport.maxBufferedBytes) {
      const policy = refusable(el);
      this.#overLimit();
      if (policy === 'bounce') {
        this.#owner.serverStats.countBackPressure(transport.kind, 'refused');
        this.#owner.refuse(el);
        return;
      }
      if (policy === 'drop') {
        this.#owner.serverStats.countBackPressure(transport.kind, 'dropped');
        return;
      }
    }
    if (this.#queue === NONE) {
      // The start of a congestion episode (the queue is dropped again once it is empty).
      this.#queue = [];
      this.#owner.serverStats.countBackPressure(transport.kind, 'queued');
    }
    countStanza(this.#out, el.name);
    this.#queue.push({ el, bytes, text, by: transport });
    this.#queuedBytes += bytes;
  }

  /** Call `fn` once the output is writable again (at once, on a later turn, when it already is). */
  whenWritable(fn: () => void): void {
    if (this.#ended) return;
    if (this.#waiters === NONE) this.#waiters = [];
    this.#waiters.push(fn);
    if (this.writable) setImmediate(() => this.#flush());
  }

  /** The transport flushed data to the peer: move queued elements on, wake waiters. */
  drained(): void {
    this.#progressAt = Date.now();
    this.#flush();
  }

  #flush(): void {
    if (this.#ended) return;
    const transport = this.#owner.transport;
    const queue = this.#queue;
    while (this.#head < queue.length && transport.bufferedAmount < SEND_HIGH_WATER) {
      const item = queue[this.#head]!;
      queue[this.#head++] = undefined as unknown as Queued;
      this.#queuedBytes -= item.bytes;
      // A resumed session's new connection may frame differently: its own serialisation then.
      if (item.text !== undefined && item.by === transport) transport.sendSerialized!(item.text);
      else transport.send(item.el);
    }
    if (this.#head === queue.length) {
      this.#queue = NONE;
      this.#head = 0;
      this.#queuedBytes = 0;
    } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#waiters.length > 0 && this.writable) {
      const waiters = this.#waiters;
      this.#waiters = NONE;
      for (const fn of waiters) fn();
    }
  }

  /** The session ends: stop, and return what was never handed to the transport. */
  end(): Element[] {
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiters = NONE;
    const rest = this.#queue.slice(this.#head).map((q) => q.el);
    this.#queue = NONE;
    this.#head = 0;
    this.#queuedBytes = 0;
    return rest;
  }

  /** Something was refused: watch whether the client drains, and give up after the grace. */
  #overLimit(): void {
    if (this.#timer !== undefined) return;
    this.#progressAt = Date.now();
    this.#lastBuffered = this.#owner.transport.bufferedAmount;
    const grace = this.#owner.transport.slowReaderGraceMs;
    const check = (): void => {
      this.#timer = undefined;
      if (this.#ended) return;
      const transport = this.#owner.transport;
      const buffered = transport.bufferedAmount;
      const now = Date.now();
      // A trickling reader makes progress too: its transport buffer shrinks between checks.
      if (buffered < this.#lastBuffered) this.#progressAt = now;
      this.#lastBuffered = buffered;
      // Everything was flushed: the client caught up.
      if (this.#head === this.#queue.length && buffered === 0) return;
      if (now - this.#progressAt >= grace) {
        this.#owner.serverStats.countBackPressure(transport.kind, 'slow_reader');
        this.#owner.slowReader(this.held);
        return;
      }
      this.#timer = setTimeout(check, Math.min(CHECK_MS, grace));
      this.#timer.unref();
    };
    this.#timer = setTimeout(check, Math.min(CHECK_MS, grace));
    this.#timer.unref();
  }
}
