/**
 * @module mam/eligibility
 * Which messages go into a user archive (XEP-0313 §5.1.1): chat and normal messages a client
 * would show or needs to keep state (a body, encrypted payloads, receipts, markers,
 * corrections, retractions, reactions, invitations), never errors, headlines or groupchat;
 * XEP-0334 hints override (`<store/>`, `<no-store/>`, `<no-permanent-store/>`).
 */
import type { Element } from '../../core/api.js';
import { worthArchiving } from '../../core/mam-api.js';

/** Payload namespaces worth archiving even without a body. */
const KEEP = new Set([
  'eu.siacs.conversations.axolotl', // OMEMO
  'urn:xmpp:omemo:2',
  'urn:xmpp:openpgp:0',
  'jabber:x:encrypted',
  'urn:xmpp:receipts', // XEP-0184
  'urn:xmpp:chat-markers:0', // XEP-0333
  'urn:xmpp:message-correct:0', // XEP-0308
  'urn:xmpp:message-retract:1', // XEP-0424
  'urn:xmpp:reactions:0', // XEP-0444
  'urn:xmpp:fasten:0',
  'jabber:x:conference', // XEP-0249
  'jabber:x:oob',
]);

/** Whether a message should be archived; `ignored` are dont_archive_namespaces. */
export function archivable(stanza: Element, ignored: ReadonlySet<string>): boolean {
  const type = stanza.attrs.type as string | undefined;
  if (type !== undefined && type !== 'chat' && type !== 'normal') return false; // error, headline, groupchat
  return worthArchiving(stanza, KEEP, ignored);
}
