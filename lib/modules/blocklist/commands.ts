/**
 * @module blocklist/commands
 * The blocking command protocol (XEP-0191 §3): retrieve the list (the resource then receives
 * pushes), block one or more JIDs, unblock some or all, each answered to the requester and
 * pushed to every resource of the user that retrieved the list; with the presence that
 * blocking and unblocking imply for contacts subscribed to the user's presence.
 */
import {
  errorReply, parseJid, withAttrs, xml,
  type Element, type ModuleApi, type Session, type StanzaErrorType, type StanzaEvent,
} from '../../core/api.js';
import { isBlockedBy, type BlockLists } from './lists.js';

export const NS_BLOCKING = 'urn:xmpp:blocking';
export const NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';

/** What the command handlers of one host share. */
export interface CommandContext {
  readonly module: ModuleApi;
  readonly lists: BlockLists;
  /** max_blocklist_items */
  readonly maxItems: number;
}

/**
 * The session.data flag of the user's sessions that retrieved the block list (XEP-0191 §3.2:
 * they get pushes). A flag in session.data, not a module-private set, so that a cluster can
 * publish it (cluster_shared_session_data) and pushes reach resources on other nodes.
 */
export const BLOCKLIST_INTERESTED = 'blocklist.interested';
let pushId = 0;

function fail(origin: Session, stanza: Element, type: StanzaErrorType, condition: string, text?: string): true {
  origin.send(errorReply(stanza, type, condition, text));
  return true;
}

function result(stanza: Element, payload?: Element): Element {
  return xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from }, payload);
}

/** XEP-0191 §3.2: the list, and the requesting resource is interested in pushes from now on. */
export function getList(ctx: CommandContext, { origin, stanza }: StanzaEvent): true | undefined {
  const user = origin?.username;
  if (!origin || !user) return undefined;
  origin.data[BLOCKLIST_INTERESTED] = true;
  const items = [...ctx.lists.list(user)].map((jid) => xml('item', { jid }));
  origin.send(result(stanza, xml('blocklist', { xmlns: NS_BLOCKING }, ...items)));
  return true;
}

/** The JIDs of the command's items, normalised; undefined when one is not a valid JID. */
function itemJids(command: Element): string[] | undefined {
  const out: string[] = [];
  for (const item of command.getChildren('item')) {
    const jid = parseJid(item.attrs.jid as string | undefined);
    if (!jid) return undefined;
    if (!out.includes(jid.full)) out.push(jid.full);
  }
  return out;
}

/** The user's resources that have sent available presence. */
function availableSessions(ctx: CommandContext, user: string): Session[] {
  return ctx.module.server.sessions.ofUser(ctx.module.host, user).filter((s) => s.presence !== undefined);
}

/**
 * Where the user's presence stops (block) or starts again (unblock): each subscriber (bare JID)
 * blocked by one list and not by the other, and each full-JID item of a subscriber whose bare
 * JID stays allowed.
 */
function presenceTargets(ctx: CommandContext, user: string, before: ReadonlySet<string>, after: ReadonlySet<string>): string[] {
  const subscribers = ctx.module.service('rosters')?.subscribers(user) ?? [];
  if (subscribers.length === 0) return [];
  const targets: string[] = [];
  const subscribed = new Set(subscribers);
  for (const contact of subscribers) {
    const jid = parseJid(contact);
    if (jid && isBlockedBy(before, jid) !== isBlockedBy(after, jid)) targets.push(contact);
  }
  for (const item of new Set([...before, ...after])) {
    if (before.has(item) === after.has(item)) continue;
    const jid = parseJid(item);
    if (!jid?.resource || !subscribed.has(jid.bare) || isBlockedBy(before, parseJid(jid.bare)!) || isBlockedBy(after, parseJid(jid.bare)!)) continue;
    targets.push(jid.full);
  }
  return targets;
}

/** XEP-0191 §3.3 (block), §3.4 (unblock), §3.5 (unblock all, an empty unblock). */
export function editList(ctx: CommandContext, { origin, stanza }: StanzaEvent, blocking: boolean): true | undefined {
  const user = origin?.username;
  if (!origin || !user) return undefined;
  const command = stanza.getChild(blocking ? 'block' : 'unblock', NS_BLOCKING);
  if (!command) return undefined;
  const jids = itemJids(command);
  // XEP-0191 §3.3, §3.4: an item whose JID is not valid
  if (jids === undefined) return fail(origin, stanza, 'modify', 'jid-malformed', 'An item does not carry a valid JID');
  // XEP-0191 §3.3: a block without any item
  if (blocking && jids.length === 0) return fail(origin, stanza, 'modify', 'bad-request', 'A block carries at least one item');

  const before = ctx.lists.list(user);
  let after: Set<string>;
  if (blocking) {
    after = new Set([...before, ...jids]);
    if (after.size > ctx.maxItems) {
      return fail(origin, stanza, 'cancel', 'not-allowed', `The block list is full (max_blocklist_items = ${ctx.maxItems})`);
    }
  } else {
    after = jids.length === 0 ? new Set() : new Set([...before].filter((jid) => !jids.includes(jid)));
  }

  const targets = presenceTargets(ctx, user, before, after);
  const sessions = targets.length > 0 ? availableSessions(ctx, user) : [];
  // XEP-0191 §3.3: newly blocked subscribers see the user go offline (sent while they may still receive it)
  if (blocking) {
    for (const to of targets) for (const s of sessions) ctx.module.server.route(xml('presence', { type: 'unavailable', from: s.fullJid, to }));
  }
  if (blocking) {
    // as Prosody: a blocked contact's waiting subscription request is not shown at the next login
    const rosters = ctx.module.service('rosters');
    for (const jid of jids) if (!before.has(jid)) rosters?.dropRequest(user, jid);
  }
  try {
    ctx.lists.replace(user, after);
  } catch (err) {
    ctx.module.log.error({ err, user }, 'block list not saved');
    return fail(origin, stanza, 'wait', 'internal-server-error', 'The block list could not be saved');
  }
  // XEP-0191 §3.4: unblocked subscribers get the user's current presence again
  if (!blocking) {
    for (const to of targets) for (const s of sessions) ctx.module.server.route(withAttrs(s.presence!, { from: s.fullJid, to }));
  }

  origin.send(result(stanza));
  // XEP-0191 §3.3, §3.4, §3.5: a push to every resource that retrieved the list
  for (const s of ctx.module.server.sessions.ofUser(ctx.module.host, user)) {
    if (s.data[BLOCKLIST_INTERESTED] !== true) continue;
    const pushed = xml(command.name, { xmlns: NS_BLOCKING }, ...jids.map((jid) => xml('item', { jid })));
    s.send(xml('iq', { type: 'set', id: `block-push-${++pushId}`, to: s.fullJid }, pushed));
  }
  return true;
}
