/**
 * @module muc_mam/stored
 * A room message as the room archive keeps it and shows it again: the broadcast message
 * without its addressee and without the room's stanza-id (the archive's id is added when it
 * is read back), with the sender's real JID in `<x xmlns=muc#user><item jid/></x>` only while
 * the room shows real JIDs to anyone (XEP-0045 §7.2.4 non-anonymous rooms); what was
 * archived in a non-anonymous room is hidden again when the room becomes semi-anonymous.
 */
import { cloneElement, xml, type Element } from '../../core/api.js';
import { NS_MUC_USER, type MucOccupant, type MucRoom } from '../../core/muc-api.js';
import { NS_SID } from '../../core/mam-api.js';

function without(el: Element, drop: (child: Element) => boolean): void {
  const children = el.children;
  for (let i = children.length - 1; i >= 0; i--) {
    const c = children[i];
    if (typeof c !== 'string' && drop(c as Element)) children.splice(i, 1);
  }
}

const isMucUser = (c: Element): boolean => c.name === 'x' && c.attrs.xmlns === NS_MUC_USER;

/** The copy of a broadcast message that goes into the archive. */
export function storedCopy(room: MucRoom, occupant: MucOccupant | undefined, stanza: Element): Element {
  const copy = cloneElement(stanza);
  delete copy.attrs.to;
  without(copy, (c) => isMucUser(c) || (c.name === 'stanza-id' && c.attrs.xmlns === NS_SID));
  if (occupant !== undefined && room.config.whois === 'anyone') {
    copy.append(xml('x', { xmlns: NS_MUC_USER }, xml('item', { jid: occupant.bareJid, affiliation: occupant.affiliation, role: occupant.role })));
  }
  return copy;
}

/** An archived message as the room shows it now: real JIDs only in a non-anonymous room. */
export function shown(room: MucRoom, message: Element): Element {
  if (room.config.whois !== 'anyone') without(message, isMucUser);
  return message;
}
