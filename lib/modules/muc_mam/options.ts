/**
 * @module muc_mam/options
 * The options of the room archive, with Prosody's names and defaults (mod_muc_mam):
 * muc_log_by_default, muc_log_all_rooms, muc_log_expires_after, max_archive_query_results;
 * plus the interval and bound of one expiry run (Prosody runs it daily, unbounded).
 */
import { option } from '../../core/api.js';
import { parseExpiry } from '../../core/mam-api.js';

export const MUC_MAM_OPTIONS = {
  muc_log_by_default: option.boolean({ default: true, doc: 'New rooms archive their messages (muc#roomconfig_enablearchiving on) unless their owner turns it off.' }),
  muc_log_all_rooms: option.boolean({ default: false, doc: 'Every room archives its messages, whatever its configuration (owners cannot turn it off).' }),
  muc_log_expires_after: option.custom<number>({
    default: 7 * 86_400,
    describe: 'seconds, a duration like "1d", "2w", "6m", "1y", or "never"',
    parse: parseExpiry,
    doc: 'How long room messages are kept in the room archive ("1w" by default, as Prosody); "never" keeps them.',
  }),
  muc_log_cleanup_interval: option.integer({ default: 86_400, min: 1, max: 7 * 86_400, doc: 'Seconds between runs of the room archive expiry (daily, as Prosody).' }),
  muc_log_cleanup_limit: option.integer({
    default: 100_000, min: 1, max: 100_000_000,
    doc: 'Most expired room messages one cleanup run deletes (in chunks of 1,000 between other work); the rest waits for the next run.',
  }),
  max_archive_query_results: option.integer({ default: 50, min: 1, max: 10_000, doc: 'Largest page of a MAM query (a larger RSM max is capped).' }),
};
