/**
 * @module muc/occupant-iq
 * iq stanzas to occupant JIDs: a ping to one's own occupant JID is answered by the room
 * (XEP-0410 self-ping); other requests go on to the occupant's real JID from the asker's
 * occupant JID (XEP-0045 §7.2 "iq to occupants"; vCard requests to its bare JID), and the
 * answer comes back the same way, by a rewritten id remembered for a bounded time
 * (muc_occupant_iq_timeout) and number (muc_max_pending_iq).
 */
import { errorReply, iqResult, withAttrs, NS_PING, type Element, type Jid } from '../../core/api.js';
import type { MucContext } from './context.js';
import type { RoomRegistry } from './rooms.js';

/** Answers awaited: rewritten id → where the answer goes. */
interface Pending {
  readonly id: string;
  readonly asker: string;
  readonly occupant: string;
  readonly expires: number;
}

export class OccupantIq {
  readonly #pending = new Map<string, Pending>();

  constructor(readonly ctx: MucContext, readonly rooms: RoomRegistry) {}

  handle(stanza: Element, from: Jid, to: Jid): void {
    const type = stanza.attrs.type as string | undefined;
    if (type === 'result' || type === 'error') return this.#answer(stanza, from, to);
    const refuse = (t: 'cancel' | 'modify' | 'wait', condition: string, text?: string): void => {
      this.ctx.send(errorReply(stanza, t, condition, text));
    };
    if (type !== 'get' && type !== 'set') return;
    const room = this.rooms.get(to.bare);
    if (!room) return refuse('cancel', 'item-not-found');
    const asker = room.occupantOf(from.full);
    const target = room.occupant(to.resource!);
    const child = stanza.getChildElements()[0];
    // XEP-0410 §3: self-ping, answered by the room
    if (child?.name === 'ping' && child.attrs.xmlns === NS_PING && asker !== undefined && asker === target) {
      return this.ctx.send(iqResult(stanza));
    }
    if (child?.name === 'ping' && child.attrs.xmlns === NS_PING && asker === undefined) {
      // XEP-0410 §3: not joined (any more)
      return refuse('modify', 'not-acceptable', 'You are not in this room');
    }
    if (!asker) return refuse('modify', 'not-acceptable', 'You are not in this room');
    if (!target) return refuse('cancel', 'item-not-found');
    if (this.ctx.options.muc_occupant_iq === 'refuse') return refuse('cancel', 'service-unavailable');
    this.#expire();
    if (this.#pending.size >= this.ctx.options.muc_max_pending_iq) return refuse('wait', 'resource-constraint');
    const id = `muc-${crypto.randomUUID()}`;
    this.#pending.set(id, { id: stanza.attrs.id as string, asker: from.full, occupant: asker.jid, expires: Date.now() + this.ctx.options.muc_occupant_iq_timeout * 1000 });
    // vCard requests are for the user, not one of its clients (Prosody's behaviour)
    const vcard = child?.name === 'vCard' && child.attrs.xmlns === 'vcard-temp' && type === 'get';
    this.ctx.send(withAttrs(stanza, { id, from: asker.jid, to: vcard ? target.bareJid : target.primary }));
  }

  /** An answer to a forwarded request: back to the asker, from the answerer's occupant JID. */
  #answer(stanza: Element, from: Jid, to: Jid): void {
    const p = this.#pending.get(stanza.attrs.id as string);
    if (!p || p.occupant !== to.full) return;
    this.#pending.delete(stanza.attrs.id as string);
    const room = this.rooms.get(to.bare);
    const answerer = room?.occupantOf(from.full) ?? [...(room?.occupants() ?? [])].find((o) => o.bareJid === from.bare);
    if (!answerer) return;
    this.ctx.send(withAttrs(stanza, { id: p.id, from: answerer.jid, to: p.asker }));
  }

  #expire(): void {
    const now = Date.now();
    for (const [id, p] of this.#pending) {
      if (p.expires > now) break;
      this.#pending.delete(id);
    }
  }
}
