/**
 * @module muc/privileges
 * The privilege tables of XEP-0045 §5 as functions: the ranks of roles and affiliations, the
 * default role an affiliation gets in a kind of room (§5.1.2), and who may change whose role
 * (§5.1.3, §8.2–8.5, §9.6–9.7) or affiliation (§5.2.3, §9.1–9.5, §10.3–10.7), answered with the
 * exact refusal (type and condition) the XEP names. Pure: no room, no I/O.
 */
import type { Affiliation, Role, RoomConfig } from '../../core/muc-api.js';

/** §5.2.1: outcast < none < member < admin < owner. */
export const AFFILIATION_RANK: Readonly<Record<Affiliation, number>> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };
/** §5.1.1: none < visitor < participant < moderator. */
export const ROLE_RANK: Readonly<Record<Role, number>> = { none: 0, visitor: 1, participant: 2, moderator: 3 };

export function isAffiliation(value: unknown): value is Affiliation {
  return typeof value === 'string' && Object.hasOwn(AFFILIATION_RANK, value);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && Object.hasOwn(ROLE_RANK, value);
}

/** A refusal as a stanza error: its type and RFC 6120 condition (and an optional text). */
export interface Refusal {
  readonly type: 'auth' | 'cancel' | 'modify' | 'wait';
  readonly condition: 'forbidden' | 'not-allowed' | 'conflict' | 'bad-request' | 'item-not-found' | 'jid-malformed' | 'not-acceptable' | 'resource-constraint';
  readonly text?: string;
}

export const FORBIDDEN: Refusal = { type: 'auth', condition: 'forbidden' };
export const NOT_ALLOWED: Refusal = { type: 'cancel', condition: 'not-allowed' };
export const CONFLICT: Refusal = { type: 'cancel', condition: 'conflict' };

/**
 * XEP-0045 §5.1.2: the role a user of this affiliation enters with. Outcasts, and unaffiliated
 * users of a members-only room, may not enter ('none').
 */
export function defaultRole(affiliation: Affiliation, config: Pick<RoomConfig, 'moderated' | 'membersOnly'>): Role {
  switch (affiliation) {
    case 'owner': case 'admin': return 'moderator';
    case 'member': return 'participant';
    case 'outcast': return 'none';
    case 'none':
      if (config.membersOnly) return 'none';
      return config.moderated ? 'visitor' : 'participant';
  }
}

/** Someone acting in a room: their affiliation, and their role when they are an occupant. */
export interface Actor {
  readonly affiliation: Affiliation;
  readonly role: Role;
}

/**
 * May `actor` give the occupant `target` the role `role`? Undefined when allowed.
 * - §8 (intro): only moderators change roles (forbidden);
 * - §8.2, §8.4: nobody acts on a higher affiliation (not-allowed);
 * - §8.4, §9.7: an admin or owner keeps voice and moderator status against anyone, and is
 *   kicked only by a higher affiliation (not-allowed);
 * - §9.6, §9.7: granting or revoking moderator status is an admin's (or owner's) act (forbidden);
 * - §8.2: kicking oneself is allowed (the XEP's MAY deny is not taken, as Prosody).
 */
export function roleChangeRefusal(actor: Actor, target: Actor, role: Role, self: boolean): Refusal | undefined {
  if (actor.role !== 'moderator') return FORBIDDEN;
  if (self) return role === 'none' || role === target.role ? undefined : NOT_ALLOWED;
  const actorRank = AFFILIATION_RANK[actor.affiliation];
  const targetRank = AFFILIATION_RANK[target.affiliation];
  if (targetRank > actorRank) return NOT_ALLOWED;
  if (targetRank >= AFFILIATION_RANK.admin && role !== target.role && (role !== 'none' || actorRank <= targetRank)) return NOT_ALLOWED;
  if ((role === 'moderator' || target.role === 'moderator') && actorRank < AFFILIATION_RANK.admin) return FORBIDDEN;
  return undefined;
}

/**
 * May `actor` (a bare JID's affiliation) change `target`'s affiliation from `current` to `next`?
 * Undefined when allowed. `self` when actor and target are the same bare JID.
 * - §9 (intro): only admins and owners change affiliations (forbidden);
 * - §10.3–10.7: only owners grant or revoke owner and admin (forbidden);
 * - §9.1: an admin may not ban (or otherwise change) an owner or another admin (not-allowed);
 * - §9.1: nobody bans themselves (conflict). The last-owner rule (§10.5) needs the whole room:
 *   see {@link lastOwnerRefusal}.
 */
export function affiliationChangeRefusal(actor: Affiliation, current: Affiliation, next: Affiliation, self: boolean): Refusal | undefined {
  if (AFFILIATION_RANK[actor] < AFFILIATION_RANK.admin) return FORBIDDEN;
  if (self && next === 'outcast') return CONFLICT;
  if (actor === 'owner') return undefined;
  if (next === 'owner' || next === 'admin') return FORBIDDEN;
  if (current === 'owner' || current === 'admin') return self ? FORBIDDEN : NOT_ALLOWED;
  return undefined;
}

/** muc_max_affiliations: a room holding `held` affiliations may take `adding` more (resource-constraint otherwise). */
export function affiliationLimitRefusal(held: number, adding: number, max: number): Refusal | undefined {
  return adding > 0 && held + adding > max ? { type: 'wait', condition: 'resource-constraint', text: `A room keeps at most ${max} affiliations` } : undefined;
}

/** §10.5, §10.6: a room keeps at least one owner (conflict when a change would leave none). */
export function lastOwnerRefusal(ownersAfter: number): Refusal | undefined {
  return ownersAfter < 1 ? CONFLICT : undefined;
}

/**
 * May `actor` read the list of users with affiliation `list` (§9.2, §9.5, §10.5, §10.8)?
 * Admins and owners read the lists up to their own rank (an admin not the owner list), as
 * Prosody; in a non-anonymous members-only room members read the member, admin and owner
 * lists too (§9.5 note).
 */
export function affiliationListRefusal(actor: Affiliation, list: Exclude<Affiliation, 'none'>,
  config: Pick<RoomConfig, 'membersOnly' | 'whois'>): Refusal | undefined {
  const rank = AFFILIATION_RANK[actor];
  if (rank >= AFFILIATION_RANK.admin && rank >= AFFILIATION_RANK[list]) return undefined;
  if (config.membersOnly && config.whois === 'anyone' && rank >= AFFILIATION_RANK.member && list !== 'outcast') return undefined;
  return FORBIDDEN;
}

/** §8.5, §9.8: only moderators read role lists. */
export function roleListRefusal(actorRole: Role): Refusal | undefined {
  return actorRole === 'moderator' ? undefined : FORBIDDEN;
}

/**
 * §7.8.2 and §9.5: may this user send a mediated invitation? Visitors may not (Prosody). In a
 * members-only room, where an invitation adds the invitee to the member list, only admins and
 * owners may, or members too when the room allows it (muc#roomconfig_allowinvites, Prosody's
 * allow_member_invites); in an open room any participant may (forbidden otherwise).
 */
export function inviteRefusal(inviter: Actor, config: Pick<RoomConfig, 'allowInvites' | 'membersOnly'>): Refusal | undefined {
  if (ROLE_RANK[inviter.role] < ROLE_RANK.participant) return FORBIDDEN;
  if (!config.membersOnly) return undefined;
  const needed: Affiliation = config.allowInvites ? 'member' : 'admin';
  return AFFILIATION_RANK[inviter.affiliation] >= AFFILIATION_RANK[needed] ? undefined : FORBIDDEN;
}
