/**
 * Test helper: a module that records session lifecycle events on every host and on the
 * global bus (pre-session-close only fires on the close path; c2s-closed on every end),
 * so tests can tell a clean close from a dropped connection.
 */
import { defineModule, type CloseReason, type ModuleDefinition, type Session } from '../../lib/core/api.js';

export interface SpyRecord {
  readonly event: 'pre-session-close' | 'c2s-closed' | 'websocket-session' | 'websocket-session-opened';
  readonly session: Session;
  readonly reason?: CloseReason;
}

export interface SessionSpy {
  readonly module: ModuleDefinition;
  readonly records: SpyRecord[];
  /** Records of one session. */
  of(session: Session): SpyRecord[];
  /** Resolves when `pred` holds for some record (checked on each new one). */
  waitFor(pred: (r: SpyRecord) => boolean, ms?: number): Promise<SpyRecord>;
  clear(): void;
}

/** A spy module named `name` (enable it in modules_enabled). */
export function sessionSpy(name = 'spy'): SessionSpy {
  const records: SpyRecord[] = [];
  const waiters = new Set<() => void>();
  const push = (r: SpyRecord): void => {
    records.push(r);
    for (const w of [...waiters]) w();
  };
  const module = defineModule({
    name,
    global: true,
    load(m) {
      m.hook('pre-session-close', ({ session, reason }) => { push({ event: 'pre-session-close', session, reason }); });
      m.hook('c2s-closed', ({ session, reason }) => { push({ event: 'c2s-closed', session, reason }); });
      m.hook('websocket-session', ({ session }) => { push({ event: 'websocket-session', session }); });
    },
    addHost(m) {
      m.hook('pre-session-close', ({ session, reason }) => { push({ event: 'pre-session-close', session, reason }); });
      m.hook('c2s-closed', ({ session, reason }) => { push({ event: 'c2s-closed', session, reason }); });
      m.hook('websocket-session-opened', ({ session }) => { push({ event: 'websocket-session-opened', session }); });
    },
  });
  return {
    module,
    records,
    of: (session) => records.filter((r) => r.session === session),
    waitFor: (pred, ms = 5000) => new Promise((resolve, reject) => {
      const found = records.find(pred);
      if (found) return resolve(found);
      const check = (): void => {
        const r = records.find(pred);
        if (!r) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`spy: timed out; have ${records.map((r) => r.event).join(', ')}`));
      }, ms);
      waiters.add(check);
    }),
    clear: () => { records.length = 0; },
  };
}
