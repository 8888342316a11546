/**
 * @module presence/stanza
 * Small stanza helpers for presence handling: priorities and the valid presence types.
 */
import type { Element } from '../../core/api.js';

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
