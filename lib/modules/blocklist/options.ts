/**
 * @module blocklist/options
 * The blocklist module's options (Prosody's names where Prosody has them).
 */
import { option, type OptionSpecs } from '../../core/api.js';

export const BLOCKLIST_OPTIONS = {
  bounce_blocked_messages: option.boolean({
    default: false,
    doc: 'Answer a chat or normal message from a blocked JID with service-unavailable (XEP-0191 §3.3) instead of dropping it in silence.',
  }),
  blocklist_cache_size: option.integer({
    default: 256, min: 1,
    doc: 'Block lists of users with no session kept in memory (most recently used); lists of connected users are always in memory.',
  }),
  max_blocklist_items: option.integer({
    default: 1000, min: 1,
    doc: 'Most JIDs one block list may hold; a block beyond it is refused with not-allowed.',
  }),
} satisfies OptionSpecs;
