/**
 * @module presence/stanza
 * Small stanza helpers for presence handling: copies with changed addresses (stanzas are shared
 * between recipients, so they are never mutated), priorities and the valid presence types.
 */
import { xml, type Element } from '../../core/api.js';

/** A copy of `stanza` with some attributes replaced (undefined removes one); children are shared. */
export function withAttrs(stanza: Element, attrs: Record<string, string | undefined>): Element {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...stanza.attrs, ...attrs })) if (v !== undefined && v !== null) merged[k] = String(v);
  const copy = xml(stanza.name, merged);
  copy.children = stanza.children.slice();
  return copy;
}

/** RFC 6121 §4.7.2.3: priority is an integer from -128 to 127; absent or invalid means 0. */
export function parsePriority(stanza: Element): number {
  const text = stanza.getChildText('priority')?.trim();
  if (!text || !/^[+-]?\d{1,4}$/.test(text)) return 0;
  return Math.max(-128, Math.min(127, Number(text)));
}

/** The presence types RFC 6121 §4.7.1 allows (undefined = available). */
export const PRESENCE_TYPES: ReadonlySet<string | undefined> = new Set([undefined, 'unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error']);

/** The subscription-related types (RFC 6121 §3). */
export const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);
