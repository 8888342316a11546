/**
 * @module reroute
 * Stanzas a session can no longer carry because it is closing (or gone): they were addressed
 * to it, routed to it, or waiting in its output queue. None is dropped in silence. Modules
 * may take one over first (`stanza-undeliverable`); otherwise a message goes to the user's
 * other resources or offline storage as if its resource had never existed, and a request is
 * answered with an error (RFC 6121 §8.5.3.2, RFC 6120 §8.5.3.2.1).
 */
import type { EventBus } from './events.js';
import type { ServerApi } from './server-api.js';
import type { Session } from './session-view.js';
import type { Element } from './xml.js';

/** `stanza-undeliverable`: return anything but undefined to take the stanza over. */
export interface UndeliverableEvent {
  /** The closing session the stanza was meant for. */
  readonly session: Session;
  readonly stanza: Element;
}

declare module './api.js' {
  interface Events {
    'stanza-undeliverable': UndeliverableEvent;
  }
}

/** Whether another resource of the session's user is available with a non-negative priority. */
function otherAvailable(server: ServerApi, session: Session): boolean {
  if (session.host === undefined || session.username === undefined) return false;
  return server.sessions.available(session.host, session.username).some((s) => s !== session);
}

/**
 * Deliver elsewhere what `session` can no longer carry. `bus` is the session's host bus.
 * The session must already be unbound, so routing cannot come back to it.
 */
export function rerouteUndeliverable(server: ServerApi, session: Session, stanza: Element, bus: EventBus): void {
  if (bus.fire('stanza-undeliverable', { session, stanza }) !== undefined) return;
  const name = stanza.name;
  const type = stanza.attrs.type as string | undefined;
  const to = stanza.attrs.to as string | undefined;
  if (to === undefined || type === 'error') return; // RFC 6120 §8.3.1: never answer an error
  if (name === 'message') {
    if (type === 'headline' || type === 'groupchat') return; // RFC 6121 §8.5.3.2.1: ignored
    // Sent to the bare JID, it already reached the user's other available resources.
    if (to !== session.fullJid && otherAvailable(server, session)) return;
    // RFC 6121 §8.5.3.2.1: a message for a resource that is gone is handled as if sent to the
    // bare JID (another resource, offline storage, or an error to the sender).
    server.route(stanza);
    return;
  }
  if (name === 'iq') {
    // RFC 6120 §8.5.3.2.1: a request for a resource that is gone gets service-unavailable
    // (the router answers it); results are dropped.
    if (type === 'get' || type === 'set') server.route(stanza);
    return;
  }
  // Presence for a resource that is gone is ignored (RFC 6121 §8.5.3.2.2); subscription
  // requests stay stored in the roster and are delivered at the next login (RFC 6121 §3.1.3).
}
