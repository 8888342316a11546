/**
 * @module muc_mam/eligibility
 * Which groupchat messages go into the room archive (XEP-0313 §5.1.2: the messages the room
 * would send as history): a body, or a payload a client needs later (encrypted, corrections,
 * retractions, reactions, attachments, markers); never a subject change alone (XEP-0045
 * §8.1: the subject is sent apart), chat states alone, or what XEP-0334 hints keep out.
 */
import type { Element } from '../../core/api.js';
import { worthArchiving } from '../../core/mam-api.js';

/** Payload namespaces worth archiving without a body. */
const KEEP = new Set([
  'eu.siacs.conversations.axolotl', // OMEMO
  'urn:xmpp:omemo:2',
  'urn:xmpp:openpgp:0',
  'jabber:x:encrypted',
  'urn:xmpp:chat-markers:0', // XEP-0333
  'urn:xmpp:message-correct:0', // XEP-0308
  'urn:xmpp:message-retract:1', // XEP-0424
  'urn:xmpp:message-moderate:1', // XEP-0425
  'urn:xmpp:reactions:0', // XEP-0444
  'urn:xmpp:fasten:0',
  'jabber:x:oob',
]);

/** Whether a groupchat message belongs in the room archive. */
export function archivable(stanza: Element): boolean {
  if (stanza.attrs.type !== 'groupchat') return false;
  return worthArchiving(stanza, KEEP);
}
