/**
 * @module cli/prosody/stores/muc
 * Prosody's MUC data on a `muc` Component host (mod_muc 0.12): one room record per room in
 * `config/<room>.dat` (converted by muc-room.ts), the list of persistent rooms in the host-wide
 * `persistent.dat` (`["room@host"] = true`), live occupants of swapped-out rooms in `state`,
 * room vCards of the community module mod_vcard_muc in `vcard_muc/<room>.dat` (Prosody 13
 * keeps them in `vcard/`, see vcard.ts) and room history
 * (mod_muc_mam) in `muc_log`. Persistent rooms are written as StoredRoom values to the muc
 * component's `muc_rooms` store (lib/core/muc-api.ts), a room vCard's photo as the room's
 * `avatar` there; everything left out is reported with why.
 * Store folders are read in name order and host-wide files last, so a room exists by the
 * time its vCard is read, and the persistent list is checked against what was imported.
 */
import { createHash } from 'node:crypto';
import { parseJid } from '../../../core/jid.js';
import type { StoredRoom } from '../../../core/muc-api.js';
import type { ImportContext, StoreFile, StoreImporter } from '../importer.js';
import { LuaTable } from '../lua-value.js';
import { MUC_OPTIONS } from '../../../modules/muc/options.js';
import { convertRoom, vcardPhoto } from './muc-room.js';
import { toJsonElement } from './stanza.js';

/** The muc component's room store (muc-api.ts StoredRoom, keyed by localpart). */
export const ROOMS_STORE = 'muc_rooms';
/** Prosody's component module, which is ours too. */
const MUC_MODULE = 'muc';

const MUC_STORES = new Set(['config', 'persistent', 'state', 'vcard_muc', 'muc_log']);

/** Room localparts that had a config file, per import run (the report is one per run). */
const seen = new WeakMap<object, Set<string>>();
const seenOn = (ctx: ImportContext): Set<string> => {
  const key = ctx.report as object;
  let set = seen.get(key);
  if (!set) seen.set(key, (set = new Set()));
  return set;
};
const roomKey = (ctx: ImportContext, localpart: string): string => `${localpart}@${ctx.host}`;

/** How Prosody read an unset `_data.archiving`: off without mod_muc_mam, else its muc_log_by_default (true by default). */
function logByDefault(ctx: ImportContext): boolean {
  const modules = ctx.option?.('modules_enabled');
  if (!Array.isArray(modules) || !modules.includes('muc_mam')) return false;
  const v = ctx.option?.('muc_log_by_default');
  return typeof v === 'boolean' ? v : true;
}

function importRoom(ctx: ImportContext, file: StoreFile): void {
  const what = `MUC room '${file.user}@${ctx.host}'`;
  if (file.kind !== 'dat' || file.user === undefined) return ctx.report.skip(file.where, what, 'expected a room file (config/<room>.dat)');
  const converted = convertRoom(file.value as never, file.user, ctx.host, { logging: logByDefault(ctx) });
  if (typeof converted === 'string') return ctx.report.skip(file.where, what, converted);
  const { localpart, dropped } = converted;
  let { room } = converted;
  seenOn(ctx).add(roomKey(ctx, localpart));
  const name = `MUC room '${localpart}@${ctx.host}'`;
  if (ctx.driver.get(ctx.host, ROOMS_STORE, localpart) !== undefined) return ctx.report.skip(file.where, name, 'a room of that name exists here already (left as it is)');
  for (const d of dropped) ctx.report.skip(file.where, `${name}: ${d.what}`, d.why);
  // our rooms keep at most max_history_messages (Prosody's option of that name bounds it too)
  const maxHistory = ctx.option?.('max_history_messages');
  const max = typeof maxHistory === 'number' ? maxHistory : MUC_OPTIONS.max_history_messages.default;
  if (room.config.historyLength > max) {
    ctx.report.skip(file.where, `${name}: history length ${room.config.historyLength}`, `max_history_messages is ${max} here (the room keeps ${max})`);
    room = { ...room, config: { ...room.config, historyLength: max } };
  }
  ctx.driver.set(ctx.host, ROOMS_STORE, localpart, room);
  ctx.report.count(ctx.host, 'MUC rooms');
  ctx.report.count(ctx.host, 'MUC affiliations', Object.keys(room.affiliations).length);
}

/** The host-wide list: every persistent room should have had its record. */
function checkPersistentList(ctx: ImportContext, file: StoreFile): void {
  if (!(file.value instanceof LuaTable)) return ctx.report.skip(file.where, 'the list of persistent rooms', 'it is not a table of room JIDs');
  const had = seenOn(ctx);
  for (const [raw, flag] of file.value.fields()) {
    if (flag !== true) continue;
    const jid = parseJid(raw);
    if (!jid?.local || jid.domain !== ctx.host) { ctx.report.skip(file.where, `persistent room ${JSON.stringify(raw)}`, `it is not a room JID on ${ctx.host}`); continue; }
    // Prosody drops a listed room without a record too (mod_muc: "Missing data for room")
    if (!had.has(roomKey(ctx, jid.local))) ctx.report.skip(file.where, `MUC room '${jid.bare}'`, 'it is listed as persistent but has no config record');
  }
}

/** A room vCard (mod_vcard_muc's `vcard_muc` store, Prosody 13's `vcard`): its PHOTO becomes the room avatar (XEP-0486). */
export function importRoomVcard(ctx: ImportContext, file: StoreFile): void {
  const what = `MUC room vCard of '${file.user}@${ctx.host}'`;
  const localpart = parseJid(`${file.user ?? ''}@${ctx.host}`)?.local;
  if (file.kind !== 'dat' || localpart === undefined) return ctx.report.skip(file.where, what, 'expected a room vCard file (vcard_muc/<room>.dat)');
  const room = ctx.driver.get(ctx.host, ROOMS_STORE, localpart) as StoredRoom | undefined;
  if (!room) return ctx.report.skip(file.where, what, 'the room is not among the rooms here');
  const el = toJsonElement(file.value as never);
  if (typeof el === 'string') return ctx.report.skip(file.where, what, el);
  const photo = vcardPhoto(el);
  if (typeof photo === 'string') return ctx.report.skip(file.where, what, photo);
  // XEP-0486 §3 / XEP-0153: the avatar hash is the SHA-1 of the image bytes, in hex
  const hash = createHash('sha1').update(Buffer.from(photo.data, 'base64')).digest('hex');
  ctx.driver.set(ctx.host, ROOMS_STORE, localpart, { ...room, avatar: { hash, ...photo } } satisfies StoredRoom);
  ctx.report.count(ctx.host, 'MUC room avatars');
}

export const mucImporter: StoreImporter = {
  stores: (s) => MUC_STORES.has(s),
  importFile(ctx, file) {
    if (ctx.component !== MUC_MODULE) {
      return ctx.report.skip(file.where, `store '${file.store}'`, ctx.component === undefined ? 'no importer for this store on a VirtualHost' : `no importer for this store on a '${ctx.component}' component`);
    }
    switch (file.store) {
      case 'config': return importRoom(ctx, file);
      case 'persistent': return file.user === undefined ? checkPersistentList(ctx, file) : ctx.report.skip(file.where, 'store \'persistent\'', 'expected the host-wide persistent.dat');
      case 'vcard_muc': return importRoomVcard(ctx, file);
      case 'state': return ctx.report.skip(file.where, `occupants of MUC room '${file.user ?? '?'}@${ctx.host}'`, 'who was in a room when Prosody stopped: they join again');
      default: return ctx.report.skip(file.where, `MUC history${file.user ? ` of '${file.user}@${ctx.host}'` : ''}`, 'room history (muc_log) is not imported in this version');
    }
  },
};
