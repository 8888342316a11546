/**
 * @module cli/prosody/stores/muc-room
 * One Prosody 0.12 room record (mod_muc's `config` store, written by `room:freeze()`) as our
 * StoredRoom. Two shapes exist: the new one (`new_muc_storage_format`, Prosody's default) keeps
 * `_jid`, `_data`, `_affiliation_data` and one top-level `["bare@jid"] = "affiliation"` entry
 * per affiliated JID; the old one keeps `jid`, `_data`, `_affiliations` and `_affiliation_data`.
 * `_data` holds only what was set: missing fields take Prosody's defaults (the room behaved
 * with those), which are listed here. What has no equivalent is returned as dropped.
 */
import { parseJid } from '../../../core/jid.js';
import type { AffiliationEntry, Role, RoomConfig, RoomSubject, StoredRoom } from '../../../core/muc-api.js';
import { LuaTable, type LuaValue } from '../lua-value.js';

/** Prosody 0.12's room defaults where `_data` has no value (muc/*.lib.lua). */
export const PROSODY_ROOM_DEFAULTS: RoomConfig = Object.freeze({
  name: '',
  description: '',
  language: '',
  persistent: false,
  public: true, // hidden.lib.lua: not hidden
  membersOnly: false,
  moderated: false,
  password: '',
  whois: 'moderators', // whois.lib.lua
  historyLength: 20, // history.lib.lua default_history_length
  allowInvites: false,
  allowPrivateMessages: 'anyone', // 0.12 has no muc#roomconfig_allowpm: everyone may
  changeSubject: false,
  logging: false,
  presenceBroadcast: ['visitor', 'participant', 'moderator'] as Role[], // presence_broadcast.lib.lua
});

const AFFILIATIONS = new Set(['owner', 'admin', 'member', 'outcast']);
const ROLES: readonly Role[] = ['moderator', 'participant', 'visitor', 'none'];
/** _data fields read below, and fields that are state rather than configuration. */
const KNOWN = new Set([
  'name', 'description', 'language', 'persistent', 'hidden', 'members_only', 'moderated', 'password', 'whois',
  'history_length', 'allow_member_invites', 'changesubject', 'archiving', 'presence_broadcast', 'subject',
  'subject_from', 'subject_time', 'locked', 'occupant_id_salt', 'default_history_messages',
]);

export interface ConvertedRoom {
  /** The room's localpart, normalised. */
  readonly localpart: string;
  readonly room: StoredRoom;
  /** What was not carried over, each with why. */
  readonly dropped: { what: string; why: string }[];
}

/** How `_data.archiving` reads when unset (mod_muc_mam's muc_log_by_default, when it was loaded). */
export interface RoomImportDefaults { readonly logging: boolean }

const str = (v: LuaValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: LuaValue | undefined, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);

/** Convert a `config` record of room `node` on `host`; a string says why it cannot be. */
export function convertRoom(record: LuaValue, node: string, host: string, defaults: RoomImportDefaults, now = Date.now()): ConvertedRoom | string {
  if (!(record instanceof LuaTable)) return 'the file does not hold a room record';
  const data = record.get('_data');
  if (!(data instanceof LuaTable)) return 'the record has no _data';
  const jidText = str(record.get('_jid')) ?? str(record.get('jid')) ?? `${node}@${host}`;
  const jid = parseJid(jidText);
  if (!jid?.local || jid.resource !== undefined) return `its JID ${JSON.stringify(jidText)} is not a room JID`;
  if (jid.domain !== host) return `its JID ${jid.bare} is not on ${host}`;
  if (data.get('destroyed') === true) return 'the room was destroyed (a tombstone)';
  if (data.get('persistent') !== true) return 'the room is not persistent (Prosody kept it on disk only while it was idle)';

  const dropped: { what: string; why: string }[] = [];
  for (const key of data.fields().keys()) {
    if (!KNOWN.has(key)) dropped.push({ what: `room setting '${key}'`, why: 'this server has no such room setting' });
  }
  const d = PROSODY_ROOM_DEFAULTS;
  const whois = str(data.get('whois'));
  const history = data.get('history_length');
  const config: RoomConfig = {
    name: str(data.get('name')) ?? d.name,
    description: str(data.get('description')) ?? d.description,
    language: str(data.get('language')) ?? d.language,
    persistent: true,
    public: !bool(data.get('hidden'), !d.public),
    membersOnly: bool(data.get('members_only'), d.membersOnly),
    moderated: bool(data.get('moderated'), d.moderated),
    password: str(data.get('password')) ?? d.password,
    whois: whois === 'anyone' ? 'anyone' : 'moderators',
    historyLength: typeof history === 'number' && Number.isSafeInteger(history) && history >= 0 ? history : d.historyLength,
    allowInvites: bool(data.get('allow_member_invites'), d.allowInvites),
    allowPrivateMessages: d.allowPrivateMessages,
    changeSubject: bool(data.get('changesubject'), d.changeSubject),
    logging: bool(data.get('archiving'), defaults.logging),
    presenceBroadcast: broadcastRoles(data.get('presence_broadcast')) ?? d.presenceBroadcast,
  };
  return { localpart: jid.local, room: { version: 1, config, affiliations: affiliations(record, dropped), subject: subject(data, jid.bare), created: now }, dropped };
}

/** presence_broadcast.lib.lua: `{ visitor = true, participant = true, ... }`. */
function broadcastRoles(v: LuaValue | undefined): Role[] | undefined {
  if (!(v instanceof LuaTable)) return undefined;
  return ROLES.filter((r) => v.get(r) === true);
}

/** subject.lib.lua: text, occupant JID that set it (or the room's), seconds. */
function subject(data: LuaTable, room: string): RoomSubject | undefined {
  const text = str(data.get('subject'));
  if (text === undefined || text === '') return undefined;
  const from = parseJid(str(data.get('subject_from')));
  const time = data.get('subject_time');
  return {
    text,
    ...(from?.bare === room && from.resource !== undefined ? { nick: from.resource } : {}),
    when: typeof time === 'number' && Number.isFinite(time) ? Math.round(time * 1000) : 0,
  };
}

function affiliations(record: LuaTable, dropped: { what: string; why: string }[]): Record<string, AffiliationEntry> {
  const table = record.get('_affiliations');
  const pairs: [string, LuaValue][] = table instanceof LuaTable
    ? [...table.fields()] // the old format
    : [...record.fields()].filter(([k, v]) => !k.startsWith('_') && k !== 'jid' && typeof v === 'string');
  const extraTable = record.get('_affiliation_data');
  const extra = new Map<string, LuaValue>();
  if (extraTable instanceof LuaTable) for (const [k, v] of extraTable.fields()) { const b = parseJid(k)?.bare; if (b) extra.set(b, v); }
  const out: Record<string, AffiliationEntry> = {};
  for (const [raw, value] of pairs) {
    const jid = parseJid(raw);
    if (!jid || jid.resource !== undefined) { dropped.push({ what: `affiliation of ${JSON.stringify(raw)}`, why: 'it is not a bare JID' }); continue; }
    if (typeof value !== 'string' || !AFFILIATIONS.has(value)) {
      dropped.push({ what: `affiliation of ${jid.bare}`, why: `${JSON.stringify(value)} is not an affiliation` });
      continue;
    }
    const more = extra.get(jid.bare);
    const nick = more instanceof LuaTable ? str(more.get('reserved_nickname')) : undefined;
    if (more instanceof LuaTable && more.get('hats') !== undefined) dropped.push({ what: `hats of ${jid.bare}`, why: 'this server has no room hats' });
    out[jid.bare] = { affiliation: value as AffiliationEntry['affiliation'], ...(nick ? { nick } : {}) };
  }
  return out;
}

/** mod_vcard_muc (community): the room's vCard; its PHOTO is the XEP-0486 avatar. */
export function vcardPhoto(vcard: { n: string; c: readonly unknown[] }): { type: string; data: string } | string {
  if (vcard.n !== 'vCard') return `the stored element is <${vcard.n}/>, not <vCard/>`;
  const child = (el: { c: readonly unknown[] }, name: string): { n: string; c: readonly unknown[] } | undefined =>
    el.c.find((c): c is { n: string; c: readonly unknown[] } => typeof c === 'object' && c !== null && (c as { n?: string }).n === name);
  const text = (el: { c: readonly unknown[] } | undefined): string => (el?.c ?? []).filter((c) => typeof c === 'string').join('').replace(/\s+/g, '');
  const photo = child(vcard, 'PHOTO');
  if (!photo) return 'the vCard has no PHOTO';
  const data = text(child(photo, 'BINVAL'));
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return 'its PHOTO has no base64 BINVAL';
  return { type: text(child(photo, 'TYPE')), data }; // no TYPE: none (vcard_muc answers without it)
}
