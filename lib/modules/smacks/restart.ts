/**
 * @module smacks/restart
 * Resumption across a restart: on graceful shutdown every resumable session is written to
 * storage (id, resource, h both ways, the unacknowledged stanzas, its presence) and closed
 * as `resumable` (its contacts keep its presence); at the next start each one whose
 * hibernation time has not run out comes back as a hibernating session, bound to its
 * resource, that its client resumes with `<resume/>` as after any other cut.
 */
import { elementFromJson, elementToJson, type Element, type JsonElement, type KeyValueStore, type ModuleApi } from '../../core/api.js';
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

/** Write every resumable session of the host, and close it as resumable. */
export function persistSessions(module: ModuleApi<SmacksOptions>, manager: StreamManager): number {
  const store = module.openStore<Record<string, StoredSession>>(STORE);
  let count = 0;
  for (const session of manager.resumable()) {
    const state = manager.state(session);
    if (state?.token === undefined || session.username === undefined || session.resource === undefined || session.closed) continue;
    const record: StoredSession = {
      token: state.token, xmlns: state.xmlns, resource: session.resource, handled: state.handled, acked: state.acked,
      queue: state.entries().map(({ el, at }) => ({ el: elementToJson(el), at })),
      presence: session.presence === undefined ? undefined : elementToJson(session.presence),
      priority: session.priority, ip: session.ip, max: state.maxSeconds, expires: Date.now() + state.maxSeconds * 1000,
    };
    try {
      store.set(session.username, { ...(store.get(session.username) ?? {}), [state.token]: record });
    } catch (err) {
      // Not stored: the session ends normally and its queue is re-routed (nothing is lost).
      module.log.error({ err, jid: session.fullJid }, 'could not store a session for resumption after the restart');
      continue;
    }
    state.persisted = true;
    count++;
    session.close({ condition: 'system-shutdown', text: 'The server is restarting; resume this session (XEP-0198)', resumable: true });
  }
  if (count > 0) module.log.info({ sessions: count }, 'stream management sessions kept for resumption after the restart');
  return count;
}

/** Bring back the sessions stored at the last shutdown, as hibernating sessions. */
export function restoreSessions(module: ModuleApi<SmacksOptions>, manager: StreamManager): number {
  const store: KeyValueStore<Record<string, StoredSession>> = module.openStore(STORE);
  const now = Date.now();
  let count = 0;
  for (const user of store.users()) {
    const records = store.get(user) ?? {};
    store.set(user, undefined);
    for (const r of Object.values(records)) {
      let queue: { el: Element; at: number }[];
      try {
        queue = r.queue.map((q) => ({ el: elementFromJson(q.el), at: q.at }));
      } catch (err) {
        module.log.error({ err, user, resource: r?.resource }, 'an unreadable stored session was dropped');
        continue;
      }
      if (r.expires <= now) {
        // Ran out while the server was down: what was queued goes where messages go.
        for (const q of queue) module.server.route(q.el);
        continue;
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
        count++;
      } catch (err) {
        module.log.error({ err, user, resource: r.resource }, 'could not restore a session for resumption');
        for (const q of queue) module.server.route(q.el);
      }
    }
  }
  if (count > 0) module.log.info({ sessions: count }, 'stream management sessions restored; clients may resume them');
  return count;
}
