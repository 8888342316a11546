/**
 * @module cluster/remote-session
 * A session bound on another node, as this node's modules see it: the `Session` view built
 * from the node's published record. `send` forwards the element to that node, which writes
 * it to its client as is (routing already ran here). What only the owning node can do
 * (send filters, observers, stream state, resumption) throws here: modules do those things
 * in `resource-bind` hooks, which run on the owning node only. Writes to `priority`,
 * `presence`, `interested` and `data` change this copy only; the owning node publishes the truth.
 */
import { parseElement, parseJid, type CloseReason, type Element, type Jid, type Logger, type ReceiveObserver, type SendFilter, type Session, type SessionSettings } from '../../core/api.js';
import type { SessionRecord } from './records.js';

/** What a remote session needs from the cluster module. */
export interface RemoteLink {
  /** Hand `el` to the node's session `full`; false when it cannot be sent now (it was bounced). */
  forward(node: string, full: string, el: Element): boolean;
  /** Ask the node to close its session `full`. */
  close(node: string, full: string, reason: CloseReason | undefined): void;
  settings(host: string): SessionSettings;
  readonly log: Logger;
}

/** The transport a remote session reports: it carries nothing here (kind 'cluster'). */
const NO_TRANSPORT: Session['transport'] = Object.freeze({
  kind: 'cluster', ip: '', secure: true, encrypted: false, canStartTls: false,
  bufferedAmount: 0, maxBufferedBytes: 0, slowReaderGraceMs: 0, bufferLimitOptions: '',
  sendOpen: () => undefined, send: () => undefined, sendClose: () => undefined, end: () => undefined,
  setMaxStanzaSize: () => undefined, restartStream: () => undefined,
});

function notHere(what: string): never {
  throw new Error(`${what} is not possible on a session held by another cluster node`);
}

export class RemoteSession implements Session {
  /** The node that holds the connection. */
  readonly node: string;
  readonly id: string;
  readonly log: Logger;
  readonly transport = NO_TRANSPORT;
  readonly type = 'c2s' as const;
  readonly streamId = undefined;
  readonly lang = 'en';
  readonly authenticated = true;
  readonly secure = true;
  readonly encrypted = false;
  readonly ip = '';
  readonly writable = true;
  readonly pendingOutput = 0;
  inputLimiter = undefined;
  readonly jid: Jid;
  readonly connectedAt: number;
  priority: number;
  interested: boolean;
  data: Record<string, unknown>;
  #record: SessionRecord;
  #presence: Element | undefined;
  #presenceParsed = false;
  #gone = false;
  readonly #link: RemoteLink;

  constructor(node: string, record: SessionRecord, link: RemoteLink) {
    this.node = node;
    this.#link = link;
    this.id = record.id;
    this.jid = parseJid(record.full)!;
    this.connectedAt = record.connectedAt;
    this.log = link.log.child({ session: record.id, node });
    this.#record = record;
    this.priority = record.priority;
    this.interested = record.interested;
    this.data = { ...record.data };
  }

  /** The node published a newer record of this session. */
  update(record: SessionRecord): void {
    this.#record = record;
    this.priority = record.priority;
    this.interested = record.interested;
    this.data = { ...record.data };
    this.#presenceParsed = false;
    this.#presence = undefined;
  }

  /** The session is no longer bound (its node unbound it, or the node is gone). */
  gone(): void {
    this.#gone = true;
  }

  get record(): SessionRecord { return this.#record; }
  get host(): string { return this.#record.host; }
  get username(): string { return this.#record.username; }
  get resource(): string { return this.#record.resource; }
  get bareJid(): string { return this.jid.bare; }
  get fullJid(): string { return this.jid.full; }
  get state(): 'open' | 'hibernating' | 'closed' { return this.#gone ? 'closed' : this.#record.hibernating ? 'hibernating' : 'open'; }
  get hibernating(): boolean { return this.#record.hibernating; }
  get closed(): boolean { return this.#gone; }
  get bound(): boolean { return !this.#gone; }
  get lastInputAt(): number { return this.connectedAt; }
  get settings(): SessionSettings { return this.#link.settings(this.host); }

  /** The last available presence (parsed from the record on first use). */
  get presence(): Element | undefined {
    if (!this.#presenceParsed) {
      this.#presenceParsed = true;
      this.#presence = this.#record.presence !== undefined ? parseElement(this.#record.presence) : undefined;
    }
    return this.#presence;
  }

  set presence(el: Element | undefined) {
    this.#presenceParsed = true;
    this.#presence = el;
  }

  send(el: Element): boolean {
    return this.#link.forward(this.node, this.jid.full, el);
  }

  release(el: Element): boolean {
    return this.send(el);
  }

  whenWritable(fn: () => void): void {
    setImmediate(() => { if (!this.#gone) fn(); });
  }

  close(reason?: CloseReason | string): void {
    if (this.#gone) return;
    this.#link.close(this.node, this.jid.full, typeof reason === 'string' ? { condition: reason } : reason);
  }

  holdInput(): void { /* the input is on the other node */ }
  releaseInput(): void { /* the input is on the other node */ }
  addSendFilter(_filter: SendFilter): void { notHere('addSendFilter'); }
  removeSendFilter(_filter: SendFilter): void { notHere('removeSendFilter'); }
  addReceiveObserver(_observer: ReceiveObserver): void { notHere('addReceiveObserver'); }
  removeReceiveObserver(_observer: ReceiveObserver): void { notHere('removeReceiveObserver'); }
  setDropHandler(): void { notHere('setDropHandler'); }
  takeOver(): void { notHere('takeOver'); }
  resetStream(): void { notHere('resetStream'); }
  setAuthenticated(): void { notHere('setAuthenticated'); }
  bindResource(): string { return notHere('bindResource'); }
}
