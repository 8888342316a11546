/**
 * @module muc/options
 * mod_muc's options, with Prosody's names and defaults (restrict_room_creation, the
 * muc_room_default_* family, max_history_messages, muc_room_locking, muc_room_lock_timeout,
 * muc_max_nick_length), and the limits that bound what a room service holds.
 */
import { option, INVALID } from '../../core/api.js';
import type { PrivateMessagePolicy, Role } from '../../core/muc-api.js';
import { MUC_ADMIN_OPTIONS } from './admin-options.js';

/** Who may create rooms, as Prosody writes it: false (anyone), 'local' (users of the parent host), true (admins). */
export type RoomCreators = boolean | 'local';

function parseCreators(raw: unknown): RoomCreators | typeof INVALID {
  if (raw === false || raw === 'false') return false;
  if (raw === true || raw === 'true' || raw === 'admin') return true;
  if (raw === 'local') return 'local';
  return INVALID;
}

const ROLES: readonly Role[] = ['visitor', 'participant', 'moderator'];

export const MUC_OPTIONS = {
  ...MUC_ADMIN_OPTIONS,
  restrict_room_creation: option.custom<RoomCreators>({
    default: false,
    describe: 'false, "local" or true',
    parse: parseCreators,
    doc: "Who may create rooms (Prosody's name): false (anyone), \"local\" (users of the host the component is named under, and admins), true (the component's admins only).",
  }),
  component_admins_as_room_owners: option.boolean({
    default: true,
    doc: "The component's admins are owners of every room (Prosody's name).",
  }),
  muc_room_default_public: option.boolean({ default: false, doc: 'New rooms are listed in the service\'s disco#items (muc#roomconfig_publicroom).' }),
  muc_room_default_persistent: option.boolean({ default: false, doc: 'New rooms are persistent (muc#roomconfig_persistentroom).' }),
  muc_room_default_members_only: option.boolean({ default: false, doc: 'New rooms are members-only (muc#roomconfig_membersonly).' }),
  muc_room_default_moderated: option.boolean({ default: false, doc: 'New rooms are moderated (muc#roomconfig_moderatedroom).' }),
  muc_room_default_public_jids: option.boolean({ default: false, doc: "New rooms are non-anonymous: everyone sees occupants' real JIDs (muc#roomconfig_whois = anyone)." }),
  muc_room_default_change_subject: option.boolean({ default: false, doc: 'Participants (not only moderators) of new rooms may change the subject (muc#roomconfig_changesubject).' }),
  muc_room_default_allow_member_invites: option.boolean({ default: false, doc: 'Occupants of new rooms may invite others (muc#roomconfig_allowinvites).' }),
  muc_room_default_history_length: option.integer({ default: 20, min: 0, doc: 'Messages new rooms keep for history on join (muc#roomconfig_historylength), at most max_history_messages.' }),
  muc_room_default_language: option.string<string | undefined>({ default: undefined, doc: 'The language of new rooms (muc#roomconfig_lang); default: the creating presence\'s xml:lang.' }),
  muc_room_default_allow_pm: option.oneOf<PrivateMessagePolicy>(['anyone', 'participants', 'moderators', 'none'], {
    default: 'anyone',
    doc: 'Who may send private messages in new rooms (muc#roomconfig_allowpm).',
  }),
  muc_room_default_presence_broadcast: option.array(option.oneOf<Role>(['visitor', 'participant', 'moderator'], { default: 'participant' }), {
    default: ROLES,
    doc: 'Roles whose presence new rooms broadcast (muc#roomconfig_presencebroadcast).',
  }),
  max_history_messages: option.integer({ default: 20, min: 0, max: 1000, doc: 'Largest history length a room may be configured with (messages kept in memory per room).' }),
  muc_max_history_chars: option.integer({
    default: 1_000_000, min: 1000,
    doc: "Most characters of serialised messages one room keeps as history in memory; the oldest go first beyond it (whatever the room's history length).",
  }),
  muc_room_locking: option.boolean({ default: true, doc: 'A new room is locked (XEP-0045 §10.1) until its owner configures it or asks for an instant room.' }),
  muc_room_lock_timeout: option.integer({ default: 300, min: 1, doc: 'Seconds a new room may stay locked; a room still locked then is destroyed.' }),
  muc_max_nick_length: option.integer({ default: 23, min: 1, max: 1023, doc: 'Longest nickname (characters); a longer one is refused with not-acceptable.' }),
  muc_max_rooms: option.integer({ default: 10000, min: 1, doc: 'Most rooms live at once on the component; creating another is refused with resource-constraint.' }),
  muc_max_occupants: option.integer({ default: 1000, min: 1, doc: "Most occupants one room holds (owners and admins may still join); a room's maxusers may only lower it." }),
  muc_max_sessions_per_nick: option.integer({ default: 20, min: 1, doc: 'Most sessions of one user joined under one nickname.' }),
  muc_room_cache_size: option.integer({ default: 100, min: 0, doc: "Empty persistent rooms kept in memory (with their history) before they are unloaded (Prosody's name)." }),
  muc_occupant_iq_timeout: option.integer({
    default: 120, min: 1, max: 3600,
    doc: 'Seconds the room remembers an iq request it forwarded to an occupant; an answer after that is dropped.',
  }),
  muc_max_pending_iq: option.integer({
    default: 10000, min: 1,
    doc: 'Most iq requests between occupants awaiting an answer on the component; more are refused with resource-constraint.',
  }),
  muc_occupant_iq: option.oneOf(['forward', 'refuse'], {
    default: 'forward',
    doc: "iq requests to an occupant's JID: 'forward' them to the occupant (XEP-0045 §7.2.x, answers routed back), or 'refuse' with service-unavailable.",
  }),
};
