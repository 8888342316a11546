/**
 * @module blocklist/policy
 * What a block list does to stanzas (XEP-0191 §3.3): inbound from a blocked entity, presence
 * is dropped (probes too: a blocked entity cannot probe the user), messages are dropped or
 * bounced (bounce_blocked_messages), iq requests get service-unavailable and iq responses are
 * dropped; outbound to a blocked entity, the user's messages and iq requests are refused with
 * not-acceptable and <blocked/>, and presence (the user's own, and the server's broadcast on
 * the user's behalf) never leaves. Inbound checks hook the destination's events at
 * BLOCK_PRIORITY, before delivery, offline storage, archiving and carbons.
 */
import { errorReply, parseJid, xml, type Element, type ModuleApi, type StanzaEvent } from '../../core/api.js';
import { NS_BLOCKING_ERRORS } from './commands.js';
import type { BlockLists } from './lists.js';

/** Priority of every blocklist hook: before the handlers that deliver, store or copy a stanza. */
export const BLOCK_PRIORITY = 100;

const SUBSCRIPTION_TYPES: ReadonlySet<unknown> = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

/** Whether the recipient (a user of this host) blocks the stanza's sender. */
function recipientBlocks(lists: BlockLists, stanza: Element): boolean {
  if (!lists.active) return false;
  const to = parseJid(stanza.attrs.to as string | undefined);
  if (to?.local === undefined || !lists.holds(to.local)) return false;
  const from = parseJid(stanza.attrs.from as string | undefined);
  return from !== undefined && lists.blocks(to.local, from);
}

/**
 * Whether the sender is a local user who blocks the recipient: presence the server sends on a
 * user's behalf (broadcast, probes, answers to probes) is routed without a session, so it is
 * checked where it arrives. `registry` holds the lists of every host that loads blocklist.
 */
function senderBlocks(registry: ReadonlyMap<string, BlockLists>, stanza: Element): boolean {
  const from = parseJid(stanza.attrs.from as string | undefined);
  if (from?.local === undefined) return false;
  const lists = registry.get(from.domain);
  if (lists === undefined || !lists.active || !lists.holds(from.local)) return false;
  const to = parseJid(stanza.attrs.to as string | undefined);
  return to !== undefined && lists.blocks(from.local, to);
}

export function installPolicy(module: ModuleApi, lists: BlockLists, registry: ReadonlyMap<string, BlockLists>, bounceMessages: boolean): void {
  const bounce = (stanza: Element): void => {
    if (stanza.attrs.type !== 'error' && stanza.attrs.from) module.server.route(errorReply(stanza, 'cancel', 'service-unavailable'));
  };

  // ---- inbound, on the recipient's host ----
  const inboundMessage = ({ stanza }: StanzaEvent): true | undefined => {
    if (!recipientBlocks(lists, stanza)) return undefined;
    const type = stanza.attrs.type as string | undefined;
    // XEP-0191 §3.3: a message from a blocked entity is not delivered (nor stored, archived or copied)
    if (bounceMessages && (type === undefined || type === 'normal' || type === 'chat')) bounce(stanza);
    return true;
  };
  const inboundPresence = ({ stanza }: StanzaEvent): true | undefined =>
    recipientBlocks(lists, stanza) || senderBlocks(registry, stanza) ? true : undefined;
  const inboundRequest = ({ stanza }: StanzaEvent): true | undefined => {
    if (!recipientBlocks(lists, stanza)) return undefined;
    bounce(stanza); // XEP-0191 §3.3: an iq get/set from a blocked entity: service-unavailable
    return true;
  };
  const inboundResponse = ({ stanza }: StanzaEvent): true | undefined => {
    const type = stanza.attrs.type;
    if ((type !== 'result' && type !== 'error') || !recipientBlocks(lists, stanza)) return undefined;
    return true; // XEP-0191 §3.3: other iq types are dropped
  };
  for (const kind of ['bare', 'full'] as const) {
    module.hook(`message/${kind}`, inboundMessage, BLOCK_PRIORITY);
    module.hook(`presence/${kind}`, inboundPresence, BLOCK_PRIORITY);
    module.hook(`iq-request/${kind}`, inboundRequest, BLOCK_PRIORITY);
    module.hook(`iq/${kind}`, inboundResponse, BLOCK_PRIORITY);
  }

  // ---- outbound, on the sender's host (stanzas from the user's own sessions) ----
  const blockedTarget = ({ origin, stanza }: StanzaEvent): boolean => {
    const user = origin?.username;
    if (user === undefined || !lists.holds(user)) return false;
    const to = parseJid(stanza.attrs.to as string | undefined);
    return to !== undefined && lists.blocks(user, to);
  };
  const outboundRefused = (event: StanzaEvent): true | undefined => {
    if (!blockedTarget(event)) return undefined;
    const { origin, stanza } = event;
    const type = stanza.attrs.type;
    if (type === 'error' || (stanza.name === 'iq' && type === 'result')) return true; // nothing to answer
    // XEP-0191 §3.3: the user's own stanza to a blocked entity: not-acceptable with <blocked/>
    const reply = errorReply(stanza, 'cancel', 'not-acceptable', 'You have blocked this JID');
    reply.getChild('error')!.append(xml('blocked', { xmlns: NS_BLOCKING_ERRORS }));
    origin!.send(reply);
    return true;
  };
  const outboundPresence = (event: StanzaEvent): true | undefined => {
    // Subscription answers still change the user's roster (the presence module routes them, and
    // they are dropped where they arrive); available, unavailable and probes stop here.
    if (SUBSCRIPTION_TYPES.has(event.stanza.attrs.type) || !blockedTarget(event)) return undefined;
    return true;
  };
  for (const kind of ['bare', 'full', 'host'] as const) {
    module.hook(`pre-message/${kind}`, outboundRefused, BLOCK_PRIORITY);
    module.hook(`pre-iq/${kind}`, outboundRefused, BLOCK_PRIORITY);
    module.hook(`pre-presence/${kind}`, outboundPresence, BLOCK_PRIORITY);
  }
}
