/**
 * @module presence/subscriptions
 * The subscription handshake (RFC 6121 §3): outbound requests and answers processed on the
 * user's host, inbound ones on the contact's host, with roster pushes on every state change.
 */
import { errorReply, xml, type Element, type Session } from '../../core/api.js';
import { answerProbe, deliverToAvailable, deliverToInterested, sendPresenceOfAvailable, type PresenceContext } from './broadcast.js';
import { withAttrs } from '../../core/api.js';

/**
 * A change that would add a roster item beyond max_roster_items is refused to its sender and
 * nothing is routed: RFC 6121 §2.3.3 answers a roster set over the server's limit with
 * <not-allowed/>; a subscription stanza that would add an item gets the same (RFC 6120 §8.3.3.10).
 */
function refuseFull(ctx: PresenceContext, origin: Session | undefined, stanza: Element): 'full' {
  origin?.send(errorReply(stanza, 'cancel', 'not-allowed', `The roster is full (max_roster_items = ${ctx.roster.maxItems})`));
  return 'full';
}

/**
 * Outbound subscribe/subscribed/unsubscribe/unsubscribed from `user` (RFC 6121 §3.1.2, §3.1.5,
 * §3.2.2, §3.3.2, Appendix A.3). The stanza is stamped with the user's bare JID and routed.
 * `origin` is undefined when a module acts on the user's behalf (RosterService.sendSubscription).
 */
export function outboundSubscription(ctx: PresenceContext, origin: Session | undefined, user: string, userBare: string, contact: string, stanza: Element): 'ok' | 'full' {
  const { module, roster } = ctx;
  if (contact === userBare) return 'ok'; // no subscriptions to oneself
  // RFC 6121 §3.1.2: the user's server stamps the bare JID of the user, to the contact's bare JID
  const out = withAttrs(stanza, { from: userBare, to: contact });
  switch (stanza.attrs.type) {
    case 'subscribe': {
      const r = roster.outSubscribe(user, contact);
      if (r.full) return refuseFull(ctx, origin, stanza);
      if (r.changed) roster.push(user, contact);
      module.server.route(out);
      break;
    }
    case 'unsubscribe':
      if (roster.outUnsubscribe(user, contact).changed) roster.push(user, contact);
      module.server.route(out);
      break;
    case 'subscribed': {
      // RFC 6121 §3.1.5; without a pending request: a pre-approval (§3.4.2), kept and not routed
      const r = roster.outSubscribed(user, contact);
      if (r.full) return refuseFull(ctx, origin, stanza);
      if (!r.changed) return 'ok';
      roster.push(user, contact);
      if (r.preApproved) return 'ok';
      module.server.route(out);
      sendPresenceOfAvailable(ctx, user, contact);
      break;
    }
    case 'unsubscribed': {
      const r = roster.outUnsubscribed(user, contact);
      if (r.changed) roster.push(user, contact);
      // RFC 6121 §3.4: cancelling a pre-approval stays on the user's side
      if (!r.wasPending && !r.wasSubscribed) return 'ok';
      module.server.route(out);
      // RFC 6121 §3.2.2: the contact stops seeing the user: unavailable from every resource
      if (r.wasSubscribed) sendPresenceOfAvailable(ctx, user, contact, xml('presence', { type: 'unavailable' }));
      break;
    }
  }
  return 'ok';
}

/**
 * Inbound subscription stanzas and probes for `user` on this host (RFC 6121 §3.1.3, §3.1.6,
 * §3.2.3, §3.3.3, §4.3.2, Appendix A.2). `from` is the sender as given, `fromBare` its bare JID.
 */
export function inboundSubscription(ctx: PresenceContext, user: string, stanza: Element, from: string, fromBare: string): void {
  const { module, roster } = ctx;
  const userBare = `${user}@${module.host}`;
  const type = stanza.attrs.type as string;
  if (!module.server.accounts.exists(module.host, user)) {
    // RFC 6121 §8.5.1: subscribe or probe to no such user may be answered with 'unsubscribed'
    if (type === 'subscribe' || type === 'probe') module.server.route(xml('presence', { type: 'unsubscribed', from: userBare, to: fromBare }));
    return;
  }
  if (fromBare === userBare && type !== 'probe') return;
  // RFC 6121 §3.1.3: delivered with the bare JIDs of both parties
  const inbound = withAttrs(stanza, { from: fromBare, to: userBare });
  switch (type) {
    case 'probe':
      answerProbe(ctx, user, userBare, from, fromBare);
      break;
    case 'subscribe': {
      const { result, request } = roster.inSubscribe(user, fromBare, inbound);
      if (result === 'subscribed' || result === 'approved') {
        // RFC 6121 §3.1.3: already subscribed, or §3.4: pre-approved: answered on the user's behalf
        if (result === 'approved') roster.push(user, fromBare);
        module.server.route(xml('presence', { type: 'subscribed', from: userBare, to: fromBare }));
        sendPresenceOfAvailable(ctx, user, fromBare);
      } else if (result === 'new') {
        // RFC 6121 §3.1.3: delivered as stored (bounded), "including extended content"
        deliverToAvailable(ctx, user, request!);
      } else if (result === 'full') {
        // Not stored: the user has max_pending_subscriptions unanswered requests. The sender
        // learns it may try again later (RFC 6120 §8.3.3.18 resource-constraint, type wait).
        module.log.debug({ user, from: fromBare }, 'subscription request refused: too many pending requests');
        module.server.route(errorReply(inbound, 'wait', 'resource-constraint',
          `Too many pending subscription requests (max_pending_subscriptions = ${roster.maxPending})`));
      }
      break;
    }
    case 'unsubscribe': {
      const r = roster.inUnsubscribe(user, fromBare);
      if (!r.changed) return;
      deliverToInterested(ctx, user, inbound);
      if (r.itemChanged) {
        roster.push(user, fromBare);
        // RFC 6121 §3.3.3: the former subscriber gets unavailable presence from each resource
        sendPresenceOfAvailable(ctx, user, fromBare, xml('presence', { type: 'unavailable' }));
      }
      break;
    }
    case 'subscribed':
      if (!roster.inSubscribed(user, fromBare).changed) return;
      deliverToInterested(ctx, user, inbound);
      roster.push(user, fromBare);
      break;
    case 'unsubscribed':
      if (!roster.inUnsubscribed(user, fromBare).changed) return;
      deliverToInterested(ctx, user, inbound);
      roster.push(user, fromBare);
      break;
  }
}
