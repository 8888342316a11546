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
  /** Its serialised length (what it holds in memory, roughly). */
  readonly chars: number;
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

/** A room's in-memory history ring, bounded in messages (historylength) and characters. */
export class History {
  #entries: Entry[] = [];
  #chars = 0;

  /** `maxChars`: most serialised characters kept (muc_max_history_chars). */
  constructor(private readonly roomJid: string, private readonly maxChars: number) {}

  /** Keep a broadcast message (a copy with a delay stamp), dropping the oldest beyond `length` or the size bound. */
  push(stanza: Element, when: number, length: number): void {
    if (length <= 0) { this.clear(); return; }
    const kept = withDelay(withAttrs(stanza, { to: undefined }), this.roomJid, when);
    const chars = serialize(kept).length;
    this.#entries.push({ stanza: kept, when, chars });
    this.#chars += chars;
    this.trim(length);
  }

  /** Drop the oldest entries beyond `length` (a lowered historylength) or beyond the size bound. */
  trim(length: number): void {
    let drop = Math.max(0, this.#entries.length - length);
    let chars = this.#chars;
    for (let i = 0; i < drop; i++) chars -= this.#entries[i]!.chars;
    while (drop < this.#entries.length && chars > this.maxChars) chars -= this.#entries[drop++]!.chars;
    if (drop > 0) this.#entries.splice(0, drop);
    this.#chars = chars;
  }

  clear(): void {
    this.#entries = [];
    this.#chars = 0;
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
