/**
 * @module carbons
 * Message Carbons (XEP-0280, urn:xmpp:carbons:2): a resource that enables carbons receives a
 * copy of every eligible message its account sends from another resource (`<sent/>`) and of
 * every one the account receives that was not delivered to it (`<received/>`), wrapped in
 * XEP-0297 forwarding. A resource never gets a copy of its own message, nor of one it got
 * directly. A client cannot send a carbon of its own making to anyone (XEP-0280 §11).
 */
import { cloneElement, defineModule, errorReply, parseJid, xml, type Element, type Session, type StanzaEvent } from '../../core/api.js';
import { copyable, isCarbon, NS_CARBONS } from './eligibility.js';

const NS_FORWARD = 'urn:xmpp:forward:0';

const enabled = (s: Session): boolean => s.data.carbons === true && s.bound && !s.closed;

/** A carbon: `<message from=bare to=full><sent|received><forwarded>copy</forwarded></…></message>`. */
function carbon(kind: 'sent' | 'received', bare: string, to: Session, stanza: Element): Element {
  return xml('message', { from: bare, to: to.fullJid, type: stanza.attrs.type },
    xml(kind, { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, cloneElement(stanza))));
}

export default defineModule({
  name: 'carbons',
  description: 'Message Carbons (XEP-0280): copies of sent and received messages to the other resources.',
  load(module) {
    const { server, host } = module;
    module.provides('feature', NS_CARBONS);
    module.provides('account-feature', NS_CARBONS);

    // users with a resource that enabled carbons, and how many: the stanza path asks this first
    const enabledCount = new Map<string, number>();
    const count = (user: string, delta: number): void => {
      const n = (enabledCount.get(user) ?? 0) + delta;
      if (n > 0) enabledCount.set(user, n);
      else enabledCount.delete(user);
    };
    module.hook('resource-unbind', ({ session }: { session: Session }) => {
      if (session.data.carbons === true && session.username !== undefined && session.host === host) count(session.username, -1);
    });

    const toggle = (on: boolean) => ({ origin, stanza }: StanzaEvent): true => {
      if (origin === undefined || !origin.bound) {
        server.route(errorReply(stanza, 'auth', 'forbidden'));
        return true;
      }
      if (origin.data.carbons !== on && origin.username !== undefined) count(origin.username, on ? 1 : -1);
      origin.data.carbons = on; // XEP-0280 §4, §5: per resource, kept through a resumption
      origin.send(xml('iq', { type: 'result', id: stanza.attrs.id, to: origin.fullJid }));
      return true;
    };
    module.hook(`iq-set/self/${NS_CARBONS}:enable`, toggle(true));
    module.hook(`iq-set/self/${NS_CARBONS}:disable`, toggle(false));
    module.hook(`iq-set/host/${NS_CARBONS}:enable`, toggle(true));
    module.hook(`iq-set/host/${NS_CARBONS}:disable`, toggle(false));

    // XEP-0280 §11: a client must not hand anyone a carbon it made up
    const forged = ({ origin, stanza }: StanzaEvent): true | undefined => {
      if (origin === undefined || !isCarbon(stanza)) return undefined;
      origin.send(errorReply(stanza, 'auth', 'forbidden', 'carbons are made by the server, not sent by clients'));
      return true;
    };

    // XEP-0280 §6: sent copies, on the sender's host, after the archive gave the message its id
    const sent = ({ origin, stanza }: StanzaEvent): undefined => {
      if (origin?.username === undefined || origin.host !== host) return undefined;
      const others = (enabledCount.get(origin.username) ?? 0) - (origin.data.carbons === true ? 1 : 0);
      // enabledCount counts this node's sessions; a cluster's other nodes are asked apart
      if ((others <= 0 && !server.sessions.remoteOf(host, origin.username).some(enabled)) || !copyable(stanza)) return undefined;
      const mine = server.sessions.ofUser(host, origin.username);
      const to = stanza.attrs.to as string | undefined;
      for (const s of mine) {
        // not the sender, not the resource the message is addressed to (it gets the original)
        if (s !== origin && enabled(s) && s.fullJid !== to) s.send(carbon('sent', origin.bareJid!, s, stanza));
      }
      return undefined;
    };
    for (const kind of ['bare', 'full', 'host'] as const) {
      module.hook(`pre-message/${kind}`, forged, 900);
      module.hook(`pre-message/${kind}`, sent, 10);
    }

    // XEP-0280 §6: received copies, on the recipient's host, to the resources that do not get it
    const received = (full: boolean) => ({ stanza }: StanzaEvent): undefined => {
      const to = parseJid(stanza.attrs.to as string | undefined);
      if (to?.local === undefined) return undefined;
      if (!enabledCount.has(to.local) && !server.sessions.remoteOf(host, to.local).some(enabled)) return undefined;
      if (!copyable(stanza)) return undefined;
      const mine = server.sessions.ofUser(host, to.local);
      if (parseJid(stanza.attrs.from as string | undefined)?.bare === to.bare) return undefined; // own message: the sent copies cover it
      const direct = directRecipients(full ? server.sessions.get(to.full) : undefined, stanza, () => server.sessions.available(host, to.local!));
      for (const s of mine) if (enabled(s) && !direct.includes(s)) s.send(carbon('received', to.bare, s, stanza));
      return undefined;
    };
    module.hook('message/full', received(true), 10);
    module.hook('message/bare', received(false), 10);
  },
});

/**
 * The sessions the message module delivers the original to (RFC 6121 §8.5): the addressed
 * resource; else, for chat, every available resource of non-negative priority; for normal,
 * those of the highest priority.
 */
function directRecipients(target: Session | undefined, stanza: Element, available: () => Session[]): Session[] {
  if (target !== undefined) return [target];
  const all = available();
  if (((stanza.attrs.type as string | undefined) ?? 'normal') === 'chat' || all.length === 0) return all;
  const top = Math.max(...all.map((s) => s.priority));
  return all.filter((s) => s.priority === top);
}
