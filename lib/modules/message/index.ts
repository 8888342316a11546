/**
 * @module message
 * Message delivery to local users (RFC 6121 §8.5.2, §8.5.3) with Prosody's events:
 * `message/full` and `message/bare`; chat/normal for a user with no available resource go to
 * `message/offline/handle` (the offline module), and are bounced when nobody stores them.
 */
import { defineModule, errorReply, parseJid, type Element, type ServerApi, type Session, type StanzaEvent } from '../../core/api.js';

/**
 * `message/offline/handle`: return true when the message was stored, or a stanza error
 * condition (e.g. 'resource-constraint') to bounce it with; undefined bounces it with
 * service-unavailable.
 */
export interface OfflineHandleEvent {
  readonly origin: Session | undefined;
  readonly stanza: Element;
  readonly username: string;
  readonly host: string;
}

/** RFC 6120 §8.3.1: answer with service-unavailable (or `condition`), unless the stanza is itself an error. */
function bounce(module: { readonly server: ServerApi }, stanza: Element, condition = 'service-unavailable'): void {
  if (stanza.attrs.type === 'error' || !stanza.attrs.from) return;
  const type = condition === 'resource-constraint' ? 'wait' : 'cancel';
  module.server.route(errorReply(stanza, type, condition));
}

declare module '../../core/api.js' {
  interface Events {
    'message/offline/handle': OfflineHandleEvent;
    'message/offline/broadcast': { readonly origin: Session };
  }
}

export default defineModule({
  name: 'message',
  events: ['message/offline/handle', 'message/offline/broadcast'],
  description: 'Delivers messages to local users: full JID, bare JID by priority, offline handoff (RFC 6121 §8.5).',
  load(module) {
    const { server, host } = module;

    const candidates = (user: string): Session[] => server.sessions.available(host, user);

    /** RFC 6121 §8.5.2: a message addressed to (or treated as addressed to) a bare JID. */
    const toBare = (origin: Session | undefined, stanza: Element, user: string): true => {
      const type = (stanza.attrs.type as string | undefined) ?? 'normal';
      if (type === 'error') return true; // RFC 6120 §8.3.1: never answer an error
      const available = candidates(user);
      // RFC 6121 §8.5.1: no such user: service-unavailable
      if (available.length === 0 && !server.accounts.exists(host, user)) {
        bounce(module, stanza);
        return true;
      }
      if (type === 'groupchat') {
        // RFC 6121 §8.5.2.1.1 / §8.5.2.2.1: groupchat to a bare JID is an error
        bounce(module, stanza);
        return true;
      }
      if (type === 'headline') {
        // RFC 6121 §8.5.2.1.1: every non-negative resource; §8.5.2.2.1: else silently ignored
        for (const s of available) s.send(stanza);
        return true;
      }
      if (available.length > 0) {
        if (type === 'chat') {
          // RFC 6121 §8.5.2.1.1 (chat): all resources with non-negative priority
          for (const s of available) s.send(stanza);
        } else {
          // RFC 6121 §8.5.2.1.1 (normal): the most available resource(s); all that share the top priority
          const top = Math.max(...available.map((s) => s.priority));
          for (const s of available) if (s.priority === top) s.send(stanza);
        }
        return true;
      }
      // RFC 6121 §8.5.2.2.1: no available resource: store offline, or bounce
      const stored = module.fire('message/offline/handle', { origin, stanza, username: user, host } satisfies OfflineHandleEvent);
      if (typeof stored === 'string') bounce(module, stanza, stored);
      else if (stored === undefined || stored === false) bounce(module, stanza);
      return true;
    };

    module.hook('message/bare', ({ origin, stanza }: StanzaEvent) => {
      const to = parseJid(stanza.attrs.to as string | undefined) ?? (origin?.jid ? parseJid(origin.bareJid) : undefined);
      if (!to?.local) return undefined;
      return toBare(origin, stanza, to.local);
    }, -1);

    module.hook('message/full', ({ origin, stanza }: StanzaEvent) => {
      const to = parseJid(stanza.attrs.to as string | undefined);
      if (!to?.local) return undefined;
      const session = server.sessions.get(to.full);
      if (session) {
        session.send(stanza);
        return true;
      }
      // RFC 6121 §8.5.3.2.1: no such resource
      const type = (stanza.attrs.type as string | undefined) ?? 'normal';
      if (type === 'groupchat') {
        bounce(module, stanza);
        return true;
      }
      if (type === 'headline' || type === 'error') return true; // silently ignored
      return toBare(origin, stanza, to.local); // chat, normal: as if sent to the bare JID
    }, -1);
  },
});
