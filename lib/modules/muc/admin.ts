/**
 * @module muc/admin
 * The muc#admin protocol (XEP-0045 §8.2–8.5, §9.1–9.8, §10.3–10.8): reading the affiliation
 * and role lists, and changing roles and affiliations. A set is all-or-nothing: every item is
 * checked against the state the earlier items leave (privileges of §5, the last owner, reserved
 * nicknames) before any is applied; then each change goes through the room, which persists it
 * and tells present occupants, and users not in the room hear of theirs (notify.ts).
 */
import { errorReply, iqResult, xml, type Element, type Jid } from '../../core/api.js';
import { NS_MUC_ADMIN, type Affiliation, type Role } from '../../core/muc-api.js';
import { isRefusal, parseAdminItems, parseListRequest, type AdminItem } from './admin-items.js';
import { notifyAffiliationChange } from './notify.js';
import { sendOccupantsTo } from './presence.js';
import type { Occupant } from './occupant.js';
import {
  affiliationChangeRefusal, affiliationLimitRefusal, affiliationListRefusal, CONFLICT, lastOwnerRefusal, roleChangeRefusal, roleListRefusal, type Refusal,
} from './privileges.js';
import type { Room } from './room.js';

function refuse(stanza: Element, r: Refusal): Element {
  return errorReply(stanza, r.type, r.condition, r.text);
}

/** A muc#admin get (§8.5, §9.2, §9.5, §9.8, §10.5, §10.8): one list. */
export function adminGet(room: Room, stanza: Element, from: Jid, query: Element): Element {
  const request = parseListRequest(query);
  if (isRefusal(request)) return refuse(stanza, request);
  const reply = xml('query', { xmlns: NS_MUC_ADMIN });
  if (request.kind === 'affiliation') {
    const refusal = affiliationListRefusal(room.affiliation(from.bare), request.affiliation, room.config);
    if (refusal) return refuse(stanza, refusal);
    for (const [jid, entry] of room.affiliations()) {
      if (entry.affiliation !== request.affiliation) continue;
      // §9.2: items name affiliation and jid; the reserved nick and the reason when there are
      const item = xml('item', { affiliation: entry.affiliation, jid, nick: entry.nick || undefined });
      if (entry.reason !== undefined && entry.reason !== '') item.append(xml('reason', {}, entry.reason));
      reply.append(item);
    }
    return iqResult(stanza, reply);
  }
  const refusal = roleListRefusal(room.occupantOf(from.full)?.role ?? 'none');
  if (refusal) return refuse(stanza, refusal);
  for (const occ of room.occupants()) {
    // §8.5, §9.8: nick and role, with affiliation and (moderators see them) the real JID
    if (occ.role === request.role) reply.append(xml('item', { affiliation: occ.affiliation, jid: occ.primary, nick: occ.nick, role: occ.role }));
  }
  return iqResult(stanza, reply);
}

/** One checked change, ready to apply. */
type Change =
  | { readonly kind: 'affiliation'; readonly jid: string; readonly affiliation: Affiliation; readonly previous: Affiliation;
    readonly nick: string | undefined; readonly reason: string | undefined }
  | { readonly kind: 'role'; readonly occupant: Occupant; readonly role: Role; readonly reason: string | undefined };

/** The room's state as the items of one request change it, for checking them in order. */
class Plan {
  readonly changes: Change[] = [];
  readonly #affiliations = new Map<string, Affiliation>();
  readonly #roles = new Map<Occupant, Role>();
  readonly #nicks = new Map<string, string | undefined>();

  constructor(readonly room: Room) {}

  affiliation(jid: string): Affiliation {
    return this.#affiliations.get(jid) ?? this.room.affiliation(jid);
  }

  role(occ: Occupant): Role {
    return this.#roles.get(occ) ?? occ.role;
  }

  /** Who holds a reserved nickname once the earlier items are applied. */
  reservedBy(nick: string): string | undefined {
    for (const [jid, reserved] of this.#nicks) if (reserved === nick) return jid;
    const holder = this.room.reservedBy(nick);
    return holder !== undefined && this.#nicks.has(holder) ? undefined : holder;
  }

  /** How many more affiliated JIDs the room's list holds after the request (added less removed). */
  growth(): number {
    let n = 0;
    for (const [jid, a] of this.#affiliations) {
      const held = this.room.affiliations().has(jid);
      if (a !== 'none' && !held) n++;
      else if (a === 'none' && held) n--;
    }
    return n;
  }

  owners(): number {
    let n = 0;
    for (const [jid, entry] of this.room.affiliations()) if (!this.#affiliations.has(jid) && entry.affiliation === 'owner') n++;
    for (const a of this.#affiliations.values()) if (a === 'owner') n++;
    return n;
  }

  add(change: Change): void {
    this.changes.push(change);
    if (change.kind === 'role') {
      this.#roles.set(change.occupant, change.role);
      return;
    }
    this.#affiliations.set(change.jid, change.affiliation);
    this.#nicks.set(change.jid, change.nick);
  }
}

/**
 * In a semi-anonymous room, an occupant who gained or lost moderator status now sees the others'
 * real JIDs, or no longer does: it gets their presence again (XEP-0045 §7.2.4; as Prosody).
 */
function refreshVisibility(room: Room, occ: Occupant, before: Role): void {
  if (room.config.whois === 'anyone' || room.occupant(occ.nick) !== occ) return;
  if ((before === 'moderator') === (occ.role === 'moderator')) return;
  for (const session of occ.sessions.keys()) sendOccupantsTo(room, occ, session);
}

/** A present occupant named by an item: by nick, or by a real JID (full, or bare for any session). */
function occupantFor(room: Room, item: AdminItem): Occupant | undefined {
  if (item.nick) return room.occupant(item.nick);
  if (item.jid === undefined) return undefined;
  const byFull = room.occupantOf(item.jid);
  if (byFull) return byFull;
  for (const occ of room.occupants()) if (occ.bareJid === item.jid) return occ;
  return undefined;
}

/** The reserved nickname an affiliation change leaves (§9.1: outcasts lose theirs; '' unsets, §9.5). */
function nickAfter(room: Room, jid: string, item: AdminItem & { kind: 'affiliation' }): string | undefined {
  if (item.affiliation === 'outcast' || item.affiliation === 'none') return undefined;
  if (item.nick === '') return undefined;
  if (item.jid !== undefined && item.nick !== undefined) return item.nick;
  return room.affiliations().get(jid)?.nick;
}

function checkItem(plan: Plan, actor: { bare: string; full: string }, item: AdminItem): Change | Refusal {
  const { room } = plan;
  const actorAffiliation = plan.affiliation(actor.bare);
  if (item.kind === 'role') {
    const occ = occupantFor(room, item);
    if (!occ) return { type: 'cancel', condition: 'item-not-found', text: 'No such occupant' };
    const me = room.occupantOf(actor.full);
    const refusal = roleChangeRefusal(
      { affiliation: actorAffiliation, role: me ? plan.role(me) : 'none' },
      { affiliation: plan.affiliation(occ.bareJid), role: plan.role(occ) },
      item.role, occ === me);
    if (refusal) return refusal;
    return { kind: 'role', occupant: occ, role: item.role, reason: item.reason };
  }
  // Miranda's compatibility: an affiliation change naming an occupant by nick (as Prosody)
  const jid = item.jid ?? occupantFor(room, item)?.bareJid;
  if (jid === undefined) return { type: 'cancel', condition: 'item-not-found', text: 'No such occupant' };
  const previous = plan.affiliation(jid);
  const refusal = affiliationChangeRefusal(actorAffiliation, previous, item.affiliation, jid === actor.bare);
  if (refusal) return refusal;
  const nick = nickAfter(room, jid, item);
  if (nick !== undefined) {
    // §7.10, §9.5: a nickname is reserved for one user (conflict)
    const holder = plan.reservedBy(nick);
    const present = room.occupant(nick);
    if ((holder !== undefined && holder !== jid) || (present && present.bareJid !== jid)) return { ...CONFLICT, text: 'That nickname is taken' };
  }
  return { kind: 'affiliation', jid, affiliation: item.affiliation, previous, nick, reason: item.reason };
}

/**
 * A muc#admin set (§8.2–8.4, §9.1–9.7, §10.3–10.7): several items in one request are applied
 * all or none (§9.2: "SHOULD NOT apply any of the requested changes").
 */
export function adminSet(room: Room, stanza: Element, from: Jid, query: Element, limits: { maxItems: number; maxAffiliations: number }): Element {
  const items = parseAdminItems(query, limits.maxItems);
  if (isRefusal(items)) return refuse(stanza, items);
  const plan = new Plan(room);
  const ownersBefore = plan.owners();
  for (const item of items) {
    const change = checkItem(plan, { bare: from.bare, full: from.full }, item);
    if (isRefusal(change)) return refuse(stanza, change);
    plan.add(change);
  }
  const full = affiliationLimitRefusal(room.affiliations().size, plan.growth(), limits.maxAffiliations);
  if (full) return refuse(stanza, full);
  // §10.5, §10.6: the last owner stays (a room whose owners are only the component's admins has none listed)
  if (ownersBefore > 0) {
    const refusal = lastOwnerRefusal(plan.owners());
    if (refusal) return refuse(stanza, { ...refusal, text: 'A room keeps at least one owner' });
  }
  const actor = room.occupantOf(from.full)?.nick;
  for (const change of plan.changes) {
    if (change.kind === 'role') {
      // The occupant may have gone with an earlier item (a ban of its user)
      if (room.occupant(change.occupant.nick) !== change.occupant) continue;
      const before = change.occupant.role;
      room.setRole(change.occupant.nick, change.role, { reason: change.reason, actor });
      refreshVisibility(room, change.occupant, before);
      continue;
    }
    const occupants = [...room.occupants()].filter((o) => o.bareJid === change.jid);
    const present = occupants.length > 0;
    const roles = occupants.map((o) => o.role);
    room.setAffiliation(change.jid, change.affiliation, { reason: change.reason, actor, nick: change.nick ?? '' });
    occupants.forEach((o, i) => { refreshVisibility(room, o, roles[i]!); });
    // (a domain, §9.2, is nobody to tell)
    if (!present && change.previous !== change.affiliation && change.jid.includes('@')) {
      notifyAffiliationChange(room, { jid: change.jid, affiliation: change.affiliation, previous: change.previous, reason: change.reason, by: from });
    }
  }
  return iqResult(stanza);
}
