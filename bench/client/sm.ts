/**
 * @module bench/client/sm
 * The client side of stream management (XEP-0198, urn:xmpp:sm:3) for the load generator:
 * counting the stanzas received since <enabled/> (or since <resumed/>, continuing the count),
 * acknowledging every `ackEvery` of them with <a h/>, answering the server's <r/> at once,
 * and the <enable/> and <resume/> nonzas. One instance per logical session: a resumed
 * connection takes over the state of the connection that was cut.
 */
import { attribute } from './stanza-text.js';

export const NS_SM = 'urn:xmpp:sm:3';

/** How a load-generator client does stream management. */
export interface SmSettings {
  /** Send <a h/> each time this many more stanzas arrived (0: only in answer to <r/>). */
  readonly ackEvery: number;
  /** Ask for resumption (<enable resume='true'/>), as mobile clients do. */
  readonly resume: boolean;
}

/** What an inbound WebSocket message was, for the connection. */
export type SmInbound = 'stanza' | 'nonza' | 'other';

/** Whether a top-level element is a stanza (what XEP-0198 counts): message, presence or iq. */
function isStanza(text: string): boolean {
  return text.startsWith('<message') || text.startsWith('<presence') || text.startsWith('<iq');
}

/** The start tag names `<name` exactly (followed by a space, '/' or '>'). */
function startsElement(text: string, name: string): boolean {
  if (!text.startsWith(name)) return false;
  const c = text.charCodeAt(name.length);
  return c === 32 || c === 47 || c === 62 || c === 9 || c === 10 || c === 13;
}

/** One session's stream management state, on the client side. */
export class SmClient {
  readonly settings: SmSettings;
  /** Counting (after <enabled/> or <resumed/>). */
  active = false;
  /** The resumption id from <enabled id/>. */
  id: string | undefined;
  /** The resumption time the server granted (<enabled max/>), seconds. */
  max: number | undefined;
  /** Stanzas received since enabling (uint32, XEP-0198 §4). */
  h = 0;
  /** <a/> sent (counting those answering <r/>). */
  acksSent = 0;
  /** <r/> received from the server. */
  requests = 0;
  /** h at the last <a/> we sent. */
  #lastAcked = 0;

  constructor(settings: SmSettings) {
    this.settings = settings;
  }

  /** The <enable/> nonza. */
  enableText(): string {
    return `<enable xmlns="${NS_SM}"${this.settings.resume ? ' resume="true"' : ''}/>`;
  }

  /** The <resume/> nonza for the session this state belongs to. */
  resumeText(): string {
    if (this.id === undefined) throw new Error('no resumption id (was <enable resume="true"/> answered?)');
    return `<resume xmlns="${NS_SM}" previd="${this.id}" h="${this.h}"/>`;
  }

  /** Our <a h/> now. */
  ackText(): string {
    this.#lastAcked = this.h;
    this.acksSent++;
    return `<a xmlns="${NS_SM}" h="${this.h}"/>`;
  }

  /**
   * Look at one inbound message before anything else does: counts stanzas, answers <r/> and
   * acknowledges every `ackEvery` stanzas through `send`; 'nonza' ones are consumed here.
   */
  inbound(text: string, send: (text: string) => void): SmInbound {
    if (this.active) {
      if (isStanza(text)) {
        this.h = (this.h + 1) >>> 0;
        const every = this.settings.ackEvery;
        if (every > 0 && ((this.h - this.#lastAcked) >>> 0) >= every) send(this.ackText());
        return 'stanza';
      }
      if (startsElement(text, '<r')) {
        this.requests++;
        send(this.ackText());
        return 'nonza';
      }
      if (startsElement(text, '<a')) return 'nonza';
      return 'other';
    }
    // Counting starts with the element after <enabled/> or <resumed/>; these are seen here,
    // synchronously, because stanzas may follow in the same read.
    if (startsElement(text, '<enabled')) {
      this.active = true;
      this.id = attribute(text, 'id');
      const max = attribute(text, 'max');
      this.max = max === undefined ? undefined : Number(max);
    } else if (startsElement(text, '<resumed')) {
      this.active = true;
    }
    return 'other';
  }
}

/** The acks all clients sent and the <r/> they got, over some sessions' states. */
export function smTotals(states: readonly (SmClient | undefined)[], ackEvery: number): { ackEvery: number; acks: number; requests: number } {
  let acks = 0;
  let requests = 0;
  for (const s of states) {
    acks += s?.acksSent ?? 0;
    requests += s?.requests ?? 0;
  }
  return { ackEvery, acks, requests };
}
