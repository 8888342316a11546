/**
 * @module http_file_share/options
 * The options of `http_file_share` (Prosody's names and defaults where Prosody has the option):
 * sizes and quotas, file types, lifetimes, who may upload, and the slot token's secret.
 */
import { INVALID, option } from '../../core/api.js';
import type { OptionValues } from '../../core/api.js';

/** A MIME type pattern: `type/subtype`, `type/*` (RFC 6838 §4.2 restricted names). */
const TYPE_PATTERN = /^(?:[a-z0-9][a-z0-9!#$&^_.+-]*\/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]*)|\*\/\*)$/i;

function optionalSize(raw: unknown): number | undefined | typeof INVALID {
  if (raw === undefined || raw === null) return undefined;
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? raw : INVALID;
}

const typeList = option.array(option.string({ default: '', pattern: TYPE_PATTERN, patternText: 'that is a MIME type ("image/png") or "type/*"' }), { default: [] });

export const FILE_SHARE_OPTIONS = {
  http_file_share_size_limit: option.integer({
    default: 10 * 1024 * 1024, min: 0,
    doc: 'Largest file in bytes (XEP-0363 file-too-large above it; announced as max-file-size in disco#info).',
  }),
  http_file_share_allowed_file_types: option.custom<readonly string[]>({
    default: [], describe: 'an array of MIME types ("image/png") or "type/*" patterns', parse: (raw) => typeList.parse(raw),
    doc: 'Content types a slot may be requested for, e.g. ["image/*", "video/mp4"]; empty: any type.',
  }),
  http_file_share_safe_file_types: option.custom<readonly string[]>({
    default: ['image/*', 'video/*', 'audio/*', 'text/plain'], describe: 'an array of MIME types or "type/*" patterns', parse: (raw) => typeList.parse(raw),
    doc: 'Types served inline; every other type is served with Content-Disposition: attachment (a download, never rendered).',
  }),
  http_file_share_expires_after: option.integer({
    default: 7 * 86400, min: -1,
    doc: 'Seconds an uploaded file is kept, then deleted with its metadata in the background; -1: never.',
  }),
  http_file_share_daily_quota: option.custom<number | undefined>({
    default: undefined, describe: 'a number of bytes (a non-negative integer)', parse: optionalSize,
    doc: 'Bytes one user may request slots for in 24 hours (XEP-0363 resource-constraint above it); unset: 10 times http_file_share_size_limit.',
  }),
  http_file_share_global_quota: option.custom<number | undefined>({
    default: undefined, describe: 'a number of bytes (a non-negative integer)', parse: optionalSize,
    doc: 'Bytes all stored files of this component may take (resource-constraint above it); unset: no limit but the daily quotas and expiry.',
  }),
  http_file_share_access: option.array(option.string({ default: '' }), {
    default: [],
    doc: 'JIDs and domains allowed to upload; empty: the users of the VirtualHost the component is named under (any VirtualHost of this server when it is under none).',
  }),
  http_file_share_secret: option.string<string | undefined>({
    default: undefined,
    doc: 'Secret signing the slot tokens (PUT authorization); unset: a random one kept in storage, so slots survive a restart.',
  }),
  http_file_share_slot_expires_after: option.integer({
    default: 300, min: 1,
    doc: 'Seconds a slot stays open for its upload (the PUT is refused with 410 after); Prosody fixes 300.',
  }),
  http_file_share_filename_max_length: option.integer({
    default: 255, min: 1, max: 4096,
    doc: 'Longest file name in bytes (UTF-8) a slot may be requested for (bad-request above it).',
  }),
  http_file_share_expiry_batch: option.integer({
    default: 1000, min: 1,
    doc: 'Most expired files deleted by one background run (runs at start, then hourly, and continue while some remain).',
  }),
};

export type FileShareOptions = OptionValues<typeof FILE_SHARE_OPTIONS>;

/** Whether a content type is matched by a list of types and `type/*` patterns. */
export function typeMatches(list: readonly string[], type: string): boolean {
  const t = type.toLowerCase();
  const major = t.split('/')[0];
  return list.some((p) => {
    const q = p.toLowerCase();
    return q === '*/*' || q === t || q === `${major}/*`;
  });
}
