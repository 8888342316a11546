/**
 * @module muc/admin-items
 * Reading `<query xmlns='http://jabber.org/protocol/muc#admin'/>` requests (XEP-0045 §8, §9,
 * §10): the list a get asks for, and the items of a set, validated (JIDs and nicknames
 * normalised) before anything changes. Pure: the room resolves nicks and JIDs afterwards.
 */
import { parseJid, type Element } from '../../core/api.js';
import type { Affiliation, Role } from '../../core/muc-api.js';
import { isAffiliation, isRole, type Refusal } from './privileges.js';

/** An affiliation change (§9.1–9.5, §10.3–10.7): by bare JID, or by the nick of a present occupant. */
export interface AffiliationItem {
  readonly kind: 'affiliation';
  readonly affiliation: Affiliation;
  /** The bare JID (a full JID is taken as its bare form, §10.3). */
  readonly jid: string | undefined;
  /** A nickname to reserve ('' unsets it, §9.5), or the occupant meant when no jid is given. */
  readonly nick: string | undefined;
  readonly reason: string | undefined;
}

/** A role change (§8.2–8.5, §9.6–9.7): by nick, or by the JID of a present occupant. */
export interface RoleItem {
  readonly kind: 'role';
  readonly role: Role;
  readonly nick: string | undefined;
  /** A present occupant's real JID (full, or bare for any of its sessions). */
  readonly jid: string | undefined;
  readonly reason: string | undefined;
}

export type AdminItem = AffiliationItem | RoleItem;

/** The list a muc#admin get asks for (§8.5, §9.2, §9.5, §9.8, §10.5, §10.8). */
export type ListRequest =
  | { readonly kind: 'affiliation'; readonly affiliation: Exclude<Affiliation, 'none'> }
  | { readonly kind: 'role'; readonly role: Exclude<Role, 'none'> };

const BAD_REQUEST: Refusal = { type: 'modify', condition: 'bad-request' };

function bad(text: string): Refusal {
  return { ...BAD_REQUEST, text };
}

/** A room nickname normalised as a resourcepart (RFC 7622 §3.4), or undefined when invalid. */
export function normaliseNick(nick: string): string | undefined {
  return parseJid(`x@x/${nick}`)?.resource;
}

function attr(item: Element, name: string): string | undefined {
  const v = item.attrs[name] as unknown;
  return typeof v === 'string' ? v : undefined;
}

/** The `<item/>` children of a muc#admin query. */
function items(query: Element): Element[] {
  return query.getChildren('item');
}

/** A muc#admin get: exactly one item naming one affiliation or one role. */
export function parseListRequest(query: Element): ListRequest | Refusal {
  const all = items(query);
  if (all.length !== 1) return bad('Expected one <item/> naming an affiliation or a role');
  const item = all[0] as Element;
  const affiliation = attr(item, 'affiliation');
  const role = attr(item, 'role');
  if (affiliation !== undefined && role === undefined) {
    if (!isAffiliation(affiliation) || affiliation === 'none') return bad(`No list of affiliation '${affiliation}'`);
    return { kind: 'affiliation', affiliation };
  }
  if (role !== undefined && affiliation === undefined) {
    if (!isRole(role) || role === 'none') return bad(`No list of role '${role}'`);
    return { kind: 'role', role };
  }
  return bad('An item names an affiliation or a role');
}

/**
 * A muc#admin set: its items, each an affiliation change or a role change, or the refusal of
 * the first bad one (the whole request is then refused, nothing changed).
 */
export function parseAdminItems(query: Element, maxItems: number): AdminItem[] | Refusal {
  const all = items(query);
  if (all.length === 0) return bad('No <item/> to change');
  if (all.length > maxItems) return { type: 'modify', condition: 'not-acceptable', text: `At most ${maxItems} items in one request` };
  const parsed: AdminItem[] = [];
  for (const item of all) {
    const one = parseItem(item);
    if ('condition' in one) return one;
    parsed.push(one);
  }
  return parsed;
}

function parseItem(item: Element): AdminItem | Refusal {
  const affiliation = attr(item, 'affiliation');
  const role = attr(item, 'role');
  const rawJid = attr(item, 'jid');
  const rawNick = attr(item, 'nick');
  const reasonEl = item.getChild('reason');
  const reason = reasonEl ? reasonEl.getText() : undefined;
  const parsedJid = rawJid === undefined ? undefined : parseJid(rawJid);
  if (rawJid !== undefined && parsedJid === undefined) return { type: 'modify', condition: 'jid-malformed', text: 'Invalid JID' };
  let nick: string | undefined;
  if (rawNick !== undefined) {
    // §9.5: an empty nick unsets a reserved nickname
    nick = rawNick === '' && affiliation !== undefined ? '' : normaliseNick(rawNick);
    if (nick === undefined) return { type: 'modify', condition: 'jid-malformed', text: 'Invalid nickname' };
  }
  if (affiliation !== undefined && role === undefined) {
    if (!isAffiliation(affiliation)) return bad(`Unknown affiliation '${affiliation}'`);
    if (parsedJid === undefined && !nick) return bad('An affiliation change names a jid');
    return { kind: 'affiliation', affiliation, jid: parsedJid?.bare, nick, reason };
  }
  if (role !== undefined && affiliation === undefined) {
    if (!isRole(role)) return bad(`Unknown role '${role}'`);
    if (nick === undefined && parsedJid === undefined) return bad('A role change names a nick');
    return { kind: 'role', role, nick, jid: parsedJid?.full, reason };
  }
  return bad('An item changes either an affiliation or a role');
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'condition' in value;
}
