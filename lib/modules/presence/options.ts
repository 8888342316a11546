/**
 * @module presence/options
 * The presence module's options: the roster size (every path that adds a roster item checks
 * it; declared here because rosters are presence's) and the bounds on pending inbound
 * subscription requests (RFC 6121 §3.1.3), which are stored and delivered at every sign-in.
 */
import { option, type OptionSpecs } from '../../core/api.js';

export const PRESENCE_OPTIONS = {
  max_roster_items: option.integer({
    default: 1000, min: 1,
    doc: 'Most contacts one roster may hold; adding more is refused with not-allowed (RFC 6121 §2.3.3).',
  }),
  max_pending_subscriptions: option.integer({
    default: 100, min: 1,
    doc: 'Most inbound subscription requests one user may have waiting for an answer (RFC 6121 §3.1.3). A request beyond it is not stored or delivered; its sender gets a presence error resource-constraint (type wait).',
  }),
  max_subscription_status_length: option.integer({
    default: 1024, min: 0,
    doc: 'Longest <status/> text, in characters, of a stored subscription request (RFC 6121 §3.1.3); longer ones are truncated.',
  }),
  max_subscription_request_size: option.integer({
    default: 4096, min: 256,
    doc: "Largest stored subscription request in bytes (the subscribe stanza without its 'from' and 'to'); extended content that does not fit is dropped, statuses are shortened last.",
  }),
} satisfies OptionSpecs;
