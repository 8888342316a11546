/**
 * @module smacks/restart
 * Resumption across a restart: on graceful shutdown every resumable session is written to
 * storage (id, resource, h both ways, the unacknowledged stanzas, its presence) and closed
 * as `resumable` (its contacts keep its presence); at the next start each one whose
 * hibernation time has not run out comes back as a hibernating session, bound to its
 * resource, that its client resumes with `<resume/>` as after any other cut. The same record
 * carries a session to another instance sharing the storage (a cluster's drain or takeover):
 * a `<resume/>` for an id this instance does not hold takes it from storage (claimStored).
 */
import { elementFromJson, elementToJson, type Element, type JsonElement, type KeyValueStore, type ModuleApi, type Session } from '../../core/api.js';
import { transportSessions } from '../../core/transport-api.js';
import type { StreamManager } from './manager.js';
import type { SmacksOptions } from './options.js';
import { StreamState } from './state.js';

/** One session as stored for the restart. */
interface StoredSession {
  readonly token: string;
  readonly xmlns: string;
  readonly resource: string;
  readonly handled: number;
  readonly acked: number;
  readonly queue: readonly { readonly el: JsonElement; readonly at: number }[];
  readonly presence: JsonElement | undefined;
  readonly priority: number;
  readonly ip: string;
  /** Its resumption time in seconds (`<enabled max>`). */
  readonly max: number;
  /** When its hibernation ends (ms since the epoch). */
  readonly expires: number;
}

const STORE = 'smacks_resume';

/** The stored form of a resumable session. */
function recordOf(session: Session, state: StreamState): StoredSession | undefined {
  if (state.token === undefined || session.resource === undefined) return undefined;
  return {
    token: state.token, xmlns: state.xmlns, resource: session.resource, handled: state.handled, acked: state.acked,
    queue: state.entries().map(({ el, at }) => ({ el: elementToJson(el), at })),
    presence: session.presence === undefined ? undefined : elementToJson(session.presence),
    priority: session.priority, ip: session.ip, max: state.maxSeconds, expires: Date.now() + state.maxSeconds * 1000,
  };
}

/**
 * Write one resumable session to storage and close it as resumable (its contacts keep its
 * presence, its queue is not re-routed): whichever instance (this one after a restart, or
 * another node sharing the storage) receives the client's `<resume/>` takes it from there.
 * Returns false, leaving the session as it was, when it cannot be stored.
 */
export function persistOne(module: ModuleApi<SmacksOptions>, manager: StreamManager, session: Session, text: string, condition?: string): boolean {
  const state = manager.state(session);
  const record = state === undefined ? undefined : recordOf(session, state);
  if (state === undefined || record === undefined || session.username === undefined || session.closed) return false;
  const store = module.openStore<Record<string, StoredSession>>(STORE);
  try {
    store.set(session.username, { ...(store.get(session.username) ?? {}), [record.token]: record });
  } catch (err) {
    // Not stored: the session ends normally and its queue is re-routed (nothing is lost).
    module.log.error({ err, jid: session.fullJid }, 'could not store a session for resumption elsewhere');
    return false;
  }
  state.persisted = true;
  session.close({ condition, text, resumable: true });
  return true;
}

/** Write every resumable session of the host, and close it as resumable. */
export function persistSessions(module: ModuleApi<SmacksOptions>, manager: StreamManager): number {
  let count = 0;
  for (const session of manager.resumable()) {
    if (persistOne(module, manager, session, 'The server is restarting; resume this session (XEP-0198)', 'system-shutdown')) count++;
  }
  if (count > 0) module.log.info({ sessions: count }, 'stream management sessions kept for resumption after the restart');
  return count;
}

/**
 * Take one stored session out of storage (a `<resume/>` whose id this instance does not hold:
 * it was stored by a restart, a drained node or a takeover) and bring it back hibernating.
 * Undefined when storage has no such session, or its time ran out (its queue is re-routed).
 */
export function claimStored(module: ModuleApi<SmacksOptions>, manager: StreamManager, user: string, token: string): Session | undefined {
  const store = module.openStore<Record<string, StoredSession>>(STORE);
  const records = store.get(user);
  const record = records?.[token];
  if (records === undefined || record === undefined) return undefined;
  const rest = { ...records };
  delete rest[token];
  store.set(user, Object.keys(rest).length > 0 ? rest : undefined);
  return adoptRecord(module, manager, user, record, Date.now());
}

/**
 * End the stored sessions whose time ran out while no instance held them (a drained node that
 * did not come back): each comes back for a moment and ends as a hibernating session ends, so
 * its contacts get its unavailable presence and its queue is re-routed. A cluster runs this
 * on one node at a time (the `smacks-sweep` event). Returns how many ended.
 */
export function sweepStored(module: ModuleApi<SmacksOptions>, manager: StreamManager, now = Date.now()): number {
  return adoptStored(module, manager, now, (r) => r.expires <= now);
}

/**
 * Take the stored sessions `which` selects out of storage and bring each back hibernating;
 * one whose time ran out comes back for a moment and ends as a hibernating session ends
 * (unavailable presence to its contacts, its queue re-routed). Returns how many came back.
 */
function adoptStored(module: ModuleApi<SmacksOptions>, manager: StreamManager, now: number, which: (r: StoredSession) => boolean): number {
  const store: KeyValueStore<Record<string, StoredSession>> = module.openStore(STORE);
  let count = 0;
  for (const user of store.users()) {
    const records = Object.entries(store.get(user) ?? {});
    const taken = records.filter(([, r]) => which(r));
    if (taken.length === 0) continue;
    const rest = records.filter(([, r]) => !which(r));
    store.set(user, rest.length > 0 ? Object.fromEntries(rest) : undefined);
    for (const [, r] of taken) {
      if (adoptRecord(module, manager, user, r.expires <= now ? { ...r, expires: now + 1 } : r, now) !== undefined) count++;
    }
  }
  return count;
}

/** A stored session back as a hibernating one (undefined when unreadable or expired: its queue is re-routed). */
function adoptRecord(module: ModuleApi<SmacksOptions>, manager: StreamManager, user: string, r: StoredSession, now: number): Session | undefined {
  let queue: { el: Element; at: number }[];
  try {
    queue = r.queue.map((q) => ({ el: elementFromJson(q.el), at: q.at }));
  } catch (err) {
    module.log.error({ err, user, resource: r?.resource }, 'an unreadable stored session was dropped');
    return undefined;
  }
  if (r.expires <= now) {
    // Ran out while nobody held it: what was queued goes where messages go.
    for (const q of queue) module.server.route(q.el);
    return undefined;
  }
  try {
    const session = transportSessions(module.server).restore(module.host, user, r.resource, r.ip);
    if (r.presence !== undefined) session.presence = elementFromJson(r.presence);
    session.priority = r.priority;
    const state = new StreamState(r.xmlns);
    state.token = r.token;
    state.handled = r.handled;
    state.acked = r.acked;
    state.maxSeconds = r.max;
    for (const q of queue) state.queue(q.el, q.at);
    manager.adopt(session, state, r.expires - now);
    return session;
  } catch (err) {
    module.log.error({ err, user, resource: r.resource }, 'could not restore a session for resumption');
    for (const q of queue) module.server.route(q.el);
    return undefined;
  }
}

/**
 * Bring back every stored session as a hibernating one: at start (the last shutdown stored
 * them), or on a cluster node taking over those a stopped node stored (`smacks-adopt`). One
 * whose time ran out comes back for a moment and ends as a hibernating session ends, so its
 * contacts get its unavailable presence and its queue is re-routed.
 */
export function restoreSessions(module: ModuleApi<SmacksOptions>, manager: StreamManager): number {
  const count = adoptStored(module, manager, Date.now(), () => true);
  if (count > 0) module.log.info({ sessions: count }, 'stream management sessions restored; clients may resume them');
  return count;
}
