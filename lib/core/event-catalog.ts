/**
 * @module event-catalog
 * The events the core itself fires, by name or prefix, so that a module hooking a name that
 * neither the core nor any module declares (`defineModule({ events })`) is reported once at
 * load: a misspelt hook name compiles only when it matches a declared pattern, and at run time
 * it would never fire. Their payload types are in `Events` (api.ts, session-events.ts).
 */

/** Core events: exact names, or prefixes ending in '*'. */
export const CORE_EVENTS: readonly string[] = Object.freeze([
  // lifecycle (global bus)
  'server-started', 'server-stopping', 'server-stopped', 'listeners',
  // sessions
  'session-created', 'stream-features', 'c2s-read-timeout', 'pre-session-close', 'c2s-closed',
  'resource-bind', 'pre-resource-unbind', 'resource-unbind', 'stanza-undeliverable', 'session-lost', 'stored-data-changed', 'address-owned',
  'authentication-success', 'authentication-failure',
  // nonzas and unauthenticated requests: stanza/<ns>:<name>, stanza/iq/<ns>:<name>
  'stanza/*',
  // routing (Prosody's grammar)
  'pre-message/*', 'pre-presence/*', 'pre-iq/*', 'message/*', 'presence/*', 'iq/*', 'iq-request/*', 'iq-get/*', 'iq-set/*',
  'iq-result/*', 'iq-error/*',
  // accounts (host bus)
  'user-deleted', 'user-registering', 'registration-permitted',
  // administration (admin-api.ts)
  'session-info', 'config-reloaded',
  // items
  'item-added/*', 'item-removed/*',
]);

/** Whether `event` matches one of `patterns` (exact, or a prefix pattern ending in '*'). */
export function matchesEvent(event: string, patterns: Iterable<string>): boolean {
  for (const p of patterns) {
    if (p === event) return true;
    if (p.endsWith('*') && event.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}
