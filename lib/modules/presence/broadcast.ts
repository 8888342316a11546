/**
 * @module presence/broadcast
 * Presence notifications (RFC 6121 §4): a client's broadcast presence (initial, updates,
 * unavailable), directed presence, answers to probes, and delivery of inbound notifications.
 */
import { xml, withAttrs, NS_DELAY, type Element, type ModuleApi, type Session } from '../../core/api.js';
import type { RosterManager } from './roster-manager.js';
import { parsePriority } from './stanza.js';

/** What the presence handlers share on one host. */
export interface PresenceContext {
  readonly module: ModuleApi;
  readonly roster: RosterManager;
  /** Entities each session sent directed available presence to (RFC 6121 §4.6). */
  readonly directed: WeakMap<Session, Set<string>>;
  /** Sessions being unbound: they get no copy of their own unavailable presence. */
  readonly unbinding: WeakSet<Session>;
}

/** The user's bound sessions that have sent available presence. */
export function availableSessions(ctx: PresenceContext, user: string): Session[] {
  return ctx.module.server.sessions.ofUser(ctx.module.host, user).filter((s) => s.presence !== undefined);
}

/**
 * Send the current presence of each of the user's available resources to `to`; returns how
 * many were sent (RFC 6121 §4.3.2, §3.1.5).
 */
export function sendPresenceOfAvailable(ctx: PresenceContext, user: string, to: string, override?: Element): number {
  let count = 0;
  for (const s of availableSessions(ctx, user)) {
    ctx.module.server.route(withAttrs(override ?? s.presence!, { from: s.fullJid, to }));
    count++;
  }
  return count;
}

/** Deliver an inbound stanza to each of the user's available resources (RFC 6121 §4.4.3, §8.5.2.1.2). */
export function deliverToAvailable(ctx: PresenceContext, user: string, stanza: Element): void {
  for (const s of availableSessions(ctx, user)) s.send(stanza);
}

/** Deliver an inbound stanza to each resource that requested the roster (RFC 6121 §2.1.6). */
export function deliverToInterested(ctx: PresenceContext, user: string, stanza: Element): void {
  for (const s of ctx.module.server.sessions.ofUser(ctx.module.host, user)) if (s.interested) s.send(stanza);
}

/**
 * A client's presence with no 'to' and no type or type 'unavailable' (RFC 6121 §4.2, §4.4, §4.5):
 * broadcast to subscribers and the user's own available resources; on initial presence, probe
 * the contacts, deliver the other resources' presence, pending requests and offline messages.
 */
export function handleBroadcastPresence(ctx: PresenceContext, origin: Session, stanza: Element): void {
  const { module, roster } = ctx;
  const user = origin.username;
  if (!user || !origin.fullJid) return;
  const unavailable = stanza.attrs.type === 'unavailable';
  const out = withAttrs(stanza, { from: origin.fullJid, to: undefined });
  const initial = !unavailable && origin.presence === undefined;

  // RFC 6121 §4.2.2 / §4.4.2: to every contact with a subscription from or both
  for (const contact of roster.subscribers(user)) module.server.route(withAttrs(out, { to: contact }));
  // RFC 6121 §4.2.2 / §4.4.2: to all of the user's available resources, the sender included
  for (const s of module.server.sessions.ofUser(module.host, user)) {
    if (s === origin ? ctx.unbinding.has(s) : s.presence === undefined) continue;
    s.send(withAttrs(out, { to: s.fullJid }));
  }

  if (unavailable) {
    // RFC 6121 §4.6.3: entities that got directed presence learn that the resource left
    const directed = ctx.directed.get(origin);
    if (directed) for (const to of directed) module.server.route(withAttrs(out, { to }));
    ctx.directed.delete(origin);
    origin.presence = undefined;
    origin.priority = 0;
    return;
  }

  const before = origin.priority;
  origin.priority = parsePriority(stanza);
  // Kept with a XEP-0203 stamp for later probes and newly available resources.
  origin.presence = withAttrs(out, {});
  // concat sizes the array exactly (a spread leaves room for 16 more: ~130 bytes per session).
  origin.presence.children = out.children.concat(xml('delay', { xmlns: NS_DELAY, from: module.host, stamp: new Date().toISOString() }));
  if (!initial) {
    // XEP-0160 §2 (step 5): stored messages go out when the user next sends non-negative available presence.
    if (before < 0 && origin.priority >= 0) module.fire('message/offline/broadcast', { origin });
    return;
  }

  module.fire('presence/initial', { origin, stanza: out });
  // RFC 6121 §4.2.2: probe every contact the user is subscribed to
  for (const contact of roster.subscriptions(user)) module.server.route(xml('presence', { type: 'probe', from: origin.fullJid, to: contact }));
  // RFC 6121 §4.2.2: the presence of the user's other available resources
  for (const s of availableSessions(ctx, user)) {
    if (s !== origin) origin.send(withAttrs(s.presence!, { from: s.fullJid, to: origin.fullJid }));
  }
  // RFC 6121 §3.1.3: unanswered subscription requests, as stored (bounded), one presence each
  for (const request of roster.pendingStanzas(user)) origin.send(request);
  // Outbound requests still unanswered are sent again (Prosody does the same).
  for (const contact of roster.pendingOut(user)) module.server.route(xml('presence', { type: 'subscribe', from: origin.bareJid, to: contact }));
  // RFC 6121 §8.5.2.1.1: stored messages go to a resource with non-negative priority
  if (origin.priority >= 0) module.fire('message/offline/broadcast', { origin });
}

/** Outbound directed presence (RFC 6121 §4.6): remember who got available presence. */
export function trackDirected(ctx: PresenceContext, origin: Session, stanza: Element, toBare: string): void {
  const user = origin.username;
  if (!user || ctx.roster.isSubscribed(user, toBare)) return;
  const to = stanza.attrs.to as string;
  let set = ctx.directed.get(origin);
  if (stanza.attrs.type === undefined) {
    if (!set) ctx.directed.set(origin, (set = new Set()));
    set.add(to);
  } else if (set) {
    set.delete(to);
  }
}

/**
 * An inbound probe (RFC 6121 §4.3.2): the user's available presence when the prober is
 * subscribed (unavailable when none), 'unsubscribed' when it is not.
 */
export function answerProbe(ctx: PresenceContext, user: string, userBare: string, from: string, fromBare: string): void {
  if (ctx.roster.isSubscribed(user, fromBare)) {
    if (sendPresenceOfAvailable(ctx, user, from) === 0) {
      ctx.module.server.route(xml('presence', { type: 'unavailable', from: userBare, to: from }));
    }
  } else {
    ctx.module.server.route(xml('presence', { type: 'unsubscribed', from: userBare, to: fromBare }));
  }
}

/** Session end (RFC 6121 §4.5.2): an unavailable presence on the resource's behalf. */
export function broadcastUnavailableOnClose(ctx: PresenceContext, session: Session, reason?: string): void {
  const directed = ctx.directed.get(session);
  if (session.presence === undefined && !directed) return;
  ctx.unbinding.add(session);
  const pres = xml('presence', { type: 'unavailable', from: session.fullJid }, reason ? xml('status', {}, `Disconnected: ${reason}`) : undefined);
  if (session.presence !== undefined) {
    handleBroadcastPresence(ctx, session, pres);
  } else if (directed) {
    for (const to of directed) ctx.module.server.route(withAttrs(pres, { to }));
    ctx.directed.delete(session);
  }
}
