/**
 * @module mam/options
 * The options of the mam module, with Prosody's names and defaults (mod_mam):
 * default_archive_policy, archive_expires_after, archive_cleanup_interval,
 * max_archive_query_results, dont_archive_namespaces; plus our bound on one cleanup run.
 */
import { option, INVALID } from '../../core/api.js';
import { parseExpiry } from '../../core/mam-api.js';

/** XEP-0441 / Prosody: what is archived when no always/never rule matches. */
export type ArchivePolicy = 'always' | 'roster' | 'never';

export const MAM_OPTIONS = {
  default_archive_policy: option.custom<ArchivePolicy>({
    default: 'always',
    describe: 'true (always), false (never), or "roster"',
    parse: (raw) => (raw === true || raw === 'always' ? 'always' : raw === false || raw === 'never' ? 'never' : raw === 'roster' ? 'roster' : INVALID),
    doc: 'What is archived for a user who has set no preference (XEP-0313 prefs default): true, false or "roster".',
  }),
  archive_expires_after: option.custom<number>({
    default: 7 * 86_400,
    describe: 'seconds, a duration like "1d", "2w", "6m", "1y", or "never"',
    parse: parseExpiry,
    doc: 'How long archived messages are kept ("1w" by default, as Prosody); "never" keeps them.',
  }),
  archive_cleanup_interval: option.integer({ default: 4 * 3600, min: 1, max: 7 * 86_400, doc: 'Seconds between runs of the archive expiry.' }),
  archive_cleanup_limit: option.integer({
    default: 100_000, min: 1, max: 100_000_000,
    doc: 'Most expired messages one cleanup run deletes (in chunks of 1,000 between other work); the rest waits for the next run.',
  }),
  max_archive_query_results: option.integer({ default: 50, min: 1, max: 10_000, doc: 'Largest page of a MAM query (a larger RSM max is capped).' }),
  dont_archive_namespaces: option.array(option.string({ default: '' }), {
    default: ['http://jabber.org/protocol/chatstates'],
    doc: 'Messages whose only payloads are in these namespaces are not archived.',
  }),
};
