/**
 * @module presence
 * Presence (RFC 6121 §3, §4) with Prosody's event names: outbound processing on `pre-presence/*`
 * (the sender's host), inbound on `presence/*` (the recipient's host), the unavailable presence
 * of a closing session, and the host's rosters (provided as the `rosters` service, the
 * contract in core/rosters.ts), with their limits (max_roster_items, the pending-request
 * bounds: options.ts).
 */
import { defineModule, errorReply, parseJid, xml, type Element, type Session, type StanzaEvent, type StreamFeaturesEvent } from '../../core/api.js';
import { broadcastUnavailableOnClose, deliverToAvailable, handleBroadcastPresence, sendPresenceOfAvailable, trackDirected, type PresenceContext } from './broadcast.js';
import { PRESENCE_OPTIONS } from './options.js';
import { RosterManager } from './roster-manager.js';
import { PRESENCE_TYPES, SUBSCRIPTION_TYPES } from './stanza.js';
import { inboundSubscription, outboundSubscription } from './subscriptions.js';

declare module '../../core/api.js' {
  interface Events {
    /** A resource sent its initial presence (after the broadcast, before probes). */
    'presence/initial': StanzaEvent;
  }
}

export default defineModule({
  name: 'presence',
  events: ['presence/initial'],
  description: 'Presence broadcast, probes, directed presence and the subscription handshake (RFC 6121).',
  options: PRESENCE_OPTIONS,
  load(module) {
    const roster = new RosterManager(module, module.options);
    module.provides('rosters', roster);
    const ctx: PresenceContext = { module, roster, directed: new WeakMap(), unbinding: new WeakSet() };
    roster.bindOutbound((user, contact, type) =>
      outboundSubscription(ctx, undefined, user, `${user}@${module.host}`, contact, xml('presence', { type })));

    // RFC 6121 §3.4: subscription pre-approval is advertised after authentication
    module.hook('stream-features', ({ session, features }: StreamFeaturesEvent) => {
      if (session.authenticated) features.append(xml('sub', { xmlns: 'urn:xmpp:features:pre-approval' }));
    });

    const reject = (origin: Session | undefined, stanza: Element): true => {
      origin?.send(errorReply(stanza, 'modify', 'bad-request', 'Invalid presence type'));
      return true;
    };

    // Outbound: presence a local client sends to someone (RFC 6121 §3.1.2, §4.6.2).
    const outbound = ({ origin, stanza }: StanzaEvent): true | undefined => {
      if (!origin?.username) return undefined;
      const type = stanza.attrs.type as string | undefined;
      if (!PRESENCE_TYPES.has(type)) return reject(origin, stanza);
      const to = parseJid(stanza.attrs.to as string | undefined);
      if (!to) return undefined;
      if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) {
        outboundSubscription(ctx, origin, origin.username, origin.bareJid!, to.bare, stanza);
        return true;
      }
      if (type === undefined || type === 'unavailable') trackDirected(ctx, origin, stanza, to.bare);
      return undefined;
    };
    module.hook('pre-presence/bare', outbound, -1);
    module.hook('pre-presence/full', outbound, -1);
    module.hook('pre-presence/host', outbound, -1);

    // Presence from a client with no 'to' (or to its own bare JID).
    module.hook('presence/self', ({ origin, stanza }: StanzaEvent) => {
      const type = stanza.attrs.type as string | undefined;
      if (!PRESENCE_TYPES.has(type)) return reject(origin, stanza);
      if (!origin?.username) return true;
      if (stanza.attrs.to !== undefined) {
        // To the user's own bare JID: like inbound presence, to the user's available resources.
        if (type === undefined || type === 'unavailable') deliverToAvailable(ctx, origin.username, stanza);
        else if (type === 'probe') sendPresenceOfAvailable(ctx, origin.username, stanza.attrs.from as string);
        return true;
      }
      if (type === undefined || type === 'unavailable') handleBroadcastPresence(ctx, origin, stanza);
      else if (type !== 'error') reject(origin, stanza); // RFC 6121 §4.7.1: only broadcastable types
      return true;
    }, -1);

    // Inbound to a user's bare JID (RFC 6121 §3.1.3, §4.3.2, §4.4.3).
    const inbound = ({ stanza }: StanzaEvent, toFull: boolean): true => {
      const type = stanza.attrs.type as string | undefined;
      const to = parseJid(stanza.attrs.to as string | undefined);
      const from = parseJid(stanza.attrs.from as string | undefined);
      if (!to?.local || !from || !PRESENCE_TYPES.has(type)) return true;
      if (type === 'probe' || (type !== undefined && SUBSCRIPTION_TYPES.has(type))) {
        // RFC 6121 §3.1.3: a subscription stanza to a full JID is handled as if to the bare JID
        inboundSubscription(ctx, to.local, stanza, from.full, from.bare);
        return true;
      }
      if (toFull) {
        // RFC 6121 §8.5.3.2.2: presence to an unknown resource is silently ignored
        module.server.sessions.get(to.full)?.send(stanza);
      } else {
        deliverToAvailable(ctx, to.local, stanza);
      }
      return true;
    };
    module.hook('presence/bare', (e: StanzaEvent) => inbound(e, false), -1);
    module.hook('presence/full', (e: StanzaEvent) => inbound(e, true), -1);

    // Presence to the server itself (as Prosody does): probes and subscriptions are answered.
    module.hook('presence/host', ({ stanza }: StanzaEvent) => {
      const from = parseJid(stanza.attrs.from as string | undefined);
      if (!from) return true;
      const id = stanza.attrs.id as string | undefined;
      if (stanza.attrs.type === 'probe') {
        module.server.route(xml('presence', { from: module.host, to: from.full, id }));
      } else if (stanza.attrs.type === 'subscribe') {
        module.server.route(xml('presence', { from: module.host, to: from.bare, id, type: 'subscribed' }));
        module.server.route(xml('presence', { from: module.host, to: from.bare, id }));
      }
      return true;
    }, -1);

    // RFC 6121 §4.5.2: when a resource goes away, its contacts learn it is unavailable (not when
    // its session lives on for a resumption after a restart: it comes back with its presence).
    module.hook('pre-resource-unbind', ({ session, reason }) => {
      if (reason?.resumable !== true) broadcastUnavailableOnClose(ctx, session);
    });
    // The same for a session whose node died (a cluster announces it once, on one node).
    module.hook('session-lost', ({ session, reason }) => { broadcastUnavailableOnClose(ctx, session, reason); });
    // A cluster's other node changed this roster in the shared storage: read it again.
    module.hook('stored-data-changed', ({ store, user, remote }) => {
      if (remote && store === 'roster') roster.release(user);
    });
    // The roster stays cached while the user has a bound session (see roster-store.ts).
    module.hook('resource-unbind', ({ session }: { session: Session }) => {
      const user = session.username;
      if (user !== undefined && module.server.sessions.ofUser(module.host, user).length === 0) roster.release(user);
    });
  },
});
