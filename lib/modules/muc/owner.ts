/**
 * @module muc/owner
 * The owner's protocol (XEP-0045 §10, muc#owner): the configuration form, instant rooms
 * (§10.1.2), configuring (§10.2) with its notifications (104, 170-173; members-only removes
 * non-members, 322), cancelling a new room (§10.1.3) and destroying a room (§10.9).
 */
import { errorReply, iqResult, parseForm, parseJid, xml, type Element, type Jid } from '../../core/api.js';
import { NS_MUC_OWNER, type RoomConfig } from '../../core/muc-api.js';
import { applyConfigForm, configForm } from './config-form.js';
import type { MucContext } from './context.js';
import type { Room } from './room.js';

/** An owner's muc#owner iq to a room: the answer (undefined when already sent). */
export function handleOwnerIq(ctx: MucContext, room: Room, stanza: Element, from: Jid): Element | undefined {
  // §10: owners only
  if (room.affiliation(from.bare) !== 'owner') return errorReply(stanza, 'auth', 'forbidden');
  const query = stanza.getChild('query', NS_MUC_OWNER)!;
  if (stanza.attrs.type === 'get') {
    // §10.1.3, §10.2: the configuration form
    return iqResult(stanza, xml('query', { xmlns: NS_MUC_OWNER }, configForm(ctx, room)));
  }
  const destroy = query.getChild('destroy');
  if (destroy) {
    // §10.9: destroy, with an optional alternate venue and reason
    const alternate = destroy.attrs.jid as string | undefined;
    if (alternate !== undefined && !parseJid(alternate)) return errorReply(stanza, 'modify', 'jid-malformed');
    room.destroy({ alternate, reason: destroy.getChildText('reason') ?? undefined, password: destroy.getChildText('password') ?? undefined });
    return iqResult(stanza);
  }
  const x = query.getChild('x', 'jabber:x:data');
  const form = parseForm(x);
  if (!form) return errorReply(stanza, 'modify', 'bad-request');
  if (form.type === 'cancel') {
    // §10.1.3: cancelling the initial configuration destroys the new room
    if (room.locked) room.destroy();
    return iqResult(stanza);
  }
  if (form.type !== 'submit') return errorReply(stanza, 'modify', 'bad-request');
  const result = applyConfigForm(ctx, room, form);
  if ('error' in result) return errorReply(stanza, 'modify', 'not-acceptable', result.error);
  ctx.send(iqResult(stanza));
  applyConfig(ctx, room, result.config, result.changed, form.fields);
  return undefined;
}

/** Apply a configuration: unlock (§10.1.2), save, announce, enforce members-only. */
export function applyConfig(ctx: MucContext, room: Room, config: RoomConfig, changed: readonly (keyof RoomConfig)[],
  fields: ReadonlyMap<string, readonly string[]> = new Map()): void {
  const before = room.config;
  const wasLocked = room.locked;
  room.config = config;
  room.locked = false;
  room.lockTimer?.cancel();
  room.lockTimer = undefined;
  room.history.trim(config.historyLength);
  room.save();
  ctx.module.fire('muc-config-submitted', { room, fields, changed });
  // §10.2.1: tell the occupants what changed
  if (!wasLocked && changed.length > 0) {
    const codes = [104];
    if (changed.includes('whois')) codes.push(config.whois === 'anyone' ? 172 : 173);
    if (changed.includes('logging')) codes.push(config.logging ? 170 : 171);
    room.notify(codes);
  }
  // §9.4 (members-only): occupants without affiliation leave, status 322
  if (config.membersOnly && !before.membersOnly) {
    for (const occ of [...room.occupants()]) {
      if (room.affiliation(occ.bareJid) === 'none') room.removeOccupant(occ.nick, [322]);
    }
  }
  if (room.occupantCount === 0 && !room.destroyed) room.owner.emptied(room);
}
