/**
 * @module muc/config-form
 * The room configuration form (XEP-0045 §10.2, FORM_TYPE muc#roomconfig, Prosody's field set)
 * and reading a submitted one into a RoomConfig.
 */
import { buildForm, parseBoolean, type Element, type FormField, type ParsedForm } from '../../core/api.js';
import { NS_MUC_ROOMCONFIG, type PrivateMessagePolicy, type Role, type RoomConfig } from '../../core/muc-api.js';
import type { MucContext } from './context.js';
import type { Room } from './room.js';

const PM_POLICIES: readonly PrivateMessagePolicy[] = ['anyone', 'participants', 'moderators', 'none'];
const BROADCAST_ROLES: readonly Role[] = ['visitor', 'participant', 'moderator'];
const bool = (b: boolean): string => (b ? '1' : '0');

/** The form an owner fills in (§10.2), with the fields other modules add (`muc-config-form`). */
export function configForm(ctx: MucContext, room: Room): Element {
  const c = room.config;
  const fields: FormField[] = [
    { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Title', value: c.name },
    { var: 'muc#roomconfig_roomdesc', type: 'text-single', label: 'Description', value: c.description },
    { var: 'muc#roomconfig_lang', type: 'text-single', label: 'Language tag for room (e.g. \'en\', \'de\', \'fr\' etc.)', value: c.language },
    { var: 'muc#roomconfig_persistentroom', type: 'boolean', label: 'Persistent (room is kept when empty)', value: bool(c.persistent) },
    { var: 'muc#roomconfig_publicroom', type: 'boolean', label: 'Include room information in public lists', value: bool(c.public) },
    { var: 'muc#roomconfig_membersonly', type: 'boolean', label: 'Only allow members to join', value: bool(c.membersOnly) },
    { var: 'muc#roomconfig_moderatedroom', type: 'boolean', label: 'Moderated (only occupants with voice may speak)', value: bool(c.moderated) },
    { var: 'muc#roomconfig_passwordprotectedroom', type: 'boolean', label: 'Password protected', value: bool(c.password !== '') },
    { var: 'muc#roomconfig_roomsecret', type: 'text-private', label: 'Password', value: c.password },
    {
      var: 'muc#roomconfig_whois', type: 'list-single', label: 'Addresses (JIDs) of room occupants may be viewed by:', value: c.whois,
      options: [['moderators', 'Moderators only'], ['anyone', 'Anyone']],
    },
    { var: 'muc#roomconfig_historylength', type: 'text-single', label: `Number of messages kept as history (at most ${ctx.options.max_history_messages})`, value: String(c.historyLength) },
    { var: 'muc#roomconfig_allowinvites', type: 'boolean', label: 'Allow members to invite new members', value: bool(c.allowInvites) },
    {
      var: 'muc#roomconfig_allowpm', type: 'list-single', label: 'Allow private messages from', value: c.allowPrivateMessages,
      options: [['anyone', 'Everyone'], ['participants', 'Participants'], ['moderators', 'Moderators'], ['none', 'Nobody']],
    },
    { var: 'muc#roomconfig_changesubject', type: 'boolean', label: 'Allow anyone to set the room\'s subject', value: bool(c.changeSubject) },
    { var: 'muc#roomconfig_enablelogging', type: 'boolean', label: 'Archive discussion', value: bool(c.logging) },
    {
      var: 'muc#roomconfig_presencebroadcast', type: 'list-multi', label: 'Roles whose presence is broadcast', value: [...c.presenceBroadcast],
      options: BROADCAST_ROLES.map((r) => r),
    },
    { var: 'muc#roomconfig_maxusers', type: 'text-single', label: `Maximum number of occupants (0: ${ctx.options.muc_max_occupants})`, value: String(c.maxUsers ?? 0) },
  ];
  ctx.module.fire('muc-config-form', { room, fields });
  return buildForm('form', NS_MUC_ROOMCONFIG, fields, 'Configuration for room');
}

/** Reading a submitted form: the new configuration, or why it is refused (XEP-0045 §10.2). */
export type ConfigResult = { readonly config: RoomConfig; readonly changed: readonly (keyof RoomConfig)[] } | { readonly error: string };

function count(v: string | undefined, max: number): number | undefined | false {
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v.trim())) return false;
  return Math.min(Number(v), max);
}

export function applyConfigForm(ctx: MucContext, room: Room, form: ParsedForm): ConfigResult {
  if (form.formType !== undefined && form.formType !== NS_MUC_ROOMCONFIG) return { error: 'Unknown FORM_TYPE' };
  const c = room.config;
  const next: Record<string, unknown> = { ...c };
  const f = (name: string): string | undefined => form.fields.get(`muc#roomconfig_${name}`)?.[0];
  const flag = (name: string, key: keyof RoomConfig): string | undefined => {
    const raw = f(name);
    if (raw === undefined) return undefined;
    const b = parseBoolean(raw);
    if (b === undefined) return `muc#roomconfig_${name} is not a boolean`;
    next[key] = b;
    return undefined;
  };
  // Texts are bounded by the stanza size limit (c2s_stanza_size_limit)
  const text = (name: string, key: keyof RoomConfig): string | undefined => {
    const raw = f(name);
    if (raw !== undefined) next[key] = raw;
    return undefined;
  };
  const problems = [
    text('roomname', 'name'), text('roomdesc', 'description'), text('lang', 'language'),
    flag('persistentroom', 'persistent'), flag('publicroom', 'public'), flag('membersonly', 'membersOnly'),
    flag('moderatedroom', 'moderated'), flag('allowinvites', 'allowInvites'), flag('changesubject', 'changeSubject'),
    flag('enablelogging', 'logging'), flag('enablearchiving', 'logging'),
  ];
  const whois = f('whois');
  if (whois !== undefined) {
    if (whois !== 'anyone' && whois !== 'moderators') problems.push('muc#roomconfig_whois must be anyone or moderators');
    else next.whois = whois;
  }
  const pm = f('allowpm');
  if (pm !== undefined) {
    if (!(PM_POLICIES as readonly string[]).includes(pm)) problems.push('muc#roomconfig_allowpm is not a known value');
    else next.allowPrivateMessages = pm;
  }
  const broadcast = form.fields.get('muc#roomconfig_presencebroadcast');
  if (broadcast !== undefined) {
    if (!broadcast.every((r) => (BROADCAST_ROLES as readonly string[]).includes(r))) problems.push('muc#roomconfig_presencebroadcast holds an unknown role');
    else next.presenceBroadcast = [...new Set(broadcast)] as Role[];
  }
  const history = count(f('historylength'), ctx.options.max_history_messages);
  if (history === false) problems.push('muc#roomconfig_historylength is not a number');
  else if (history !== undefined) next.historyLength = history;
  const maxUsers = count(f('maxusers'), ctx.options.muc_max_occupants);
  if (maxUsers === false) problems.push('muc#roomconfig_maxusers is not a number');
  else if (maxUsers !== undefined) next.maxUsers = maxUsers;
  // Password: passwordprotectedroom with roomsecret (Prosody: a secret alone protects too)
  const protectedRoom = parseBoolean(f('passwordprotectedroom'));
  const secret = f('roomsecret');
  if (protectedRoom === false) next.password = '';
  else if (secret !== undefined) next.password = secret;
  if (protectedRoom === true && next.password === '') problems.push('A password-protected room needs a muc#roomconfig_roomsecret');
  const problem = problems.find((p) => p !== undefined);
  if (problem !== undefined) return { error: problem };
  const config = next as unknown as RoomConfig;
  const changed = (Object.keys(config) as (keyof RoomConfig)[])
    .filter((k) => JSON.stringify(config[k]) !== JSON.stringify(c[k]));
  return { config, changed };
}
