/**
 * @module muc/history
 * Discussion history (XEP-0045 §7.2.15): a room keeps its last `historyLength` groupchat
 * messages in memory, each stamped with a `<delay/>` from the room; a joining occupant asks
 * for a part of it with `<history maxchars maxstanzas seconds since/>`.
 */
import { serialize, withAttrs, withDelay, type Element } from '../../core/api.js';
import { NS_MUC, type HistoryRequest } from '../../core/muc-api.js';

interface Entry {
  /** The message as broadcast (from = occupant JID), with its delay stamp; no `to`. */
  readonly stanza: Element;
  readonly when: number;
}

/** Largest `maxchars`/`maxstanzas` value read from a request (bigger means "all"). */
const MAX_REQUEST = 1_000_000_000;

function nonNegative(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{1,12}$/.test(v)) return undefined;
  return Math.min(Number(v), MAX_REQUEST);
}

/** The history request of a join presence (`<x xmlns=muc><history/></x>`), or {} for the default. */
export function parseHistoryRequest(presence: Element): HistoryRequest {
  const h = presence.getChild('x', NS_MUC)?.getChild('history');
  if (!h) return {};
  const since = typeof h.attrs.since === 'string' ? Date.parse(h.attrs.since) : NaN;
  return {
    maxchars: nonNegative(h.attrs.maxchars),
    maxstanzas: nonNegative(h.attrs.maxstanzas),
    seconds: nonNegative(h.attrs.seconds),
    since: Number.isFinite(since) ? since : undefined,
  };
}

/** A room's in-memory history ring. */
export class History {
  #entries: Entry[] = [];

  constructor(private readonly roomJid: string) {}

  /** Keep a broadcast message (a copy with a delay stamp), dropping the oldest beyond `length`. */
  push(stanza: Element, when: number, length: number): void {
    if (length <= 0) { this.#entries = []; return; }
    this.#entries.push({ stanza: withDelay(withAttrs(stanza, { to: undefined }), this.roomJid, when), when });
    this.trim(length);
  }

  /** Drop the oldest entries beyond `length` (a lowered historylength). */
  trim(length: number): void {
    if (this.#entries.length > length) this.#entries.splice(0, this.#entries.length - length);
  }

  clear(): void {
    this.#entries = [];
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * The messages a request selects, oldest first, addressed to `to` (XEP-0045 §7.2.15): the
   * newest ones within every limit given; maxchars counts each whole stanza as sent.
   */
  select(request: HistoryRequest, to: string, now = Date.now()): Element[] {
    const out: Element[] = [];
    let chars = 0;
    const after = Math.max(
      request.seconds !== undefined ? now - request.seconds * 1000 : -Infinity,
      request.since !== undefined ? request.since : -Infinity,
    );
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      if (request.maxstanzas !== undefined && out.length >= request.maxstanzas) break;
      const e = this.#entries[i]!;
      if (e.when < after) break;
      const stanza = withAttrs(e.stanza, { to });
      if (request.maxchars !== undefined) {
        chars += serialize(stanza).length;
        if (chars > request.maxchars) break;
      }
      out.push(stanza);
    }
    return out.reverse();
  }
}
