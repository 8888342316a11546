/**
 * @module muc/broadcast
 * The one fan-out every room presence and message goes through: a stanza template (its `from`
 * set, no `to`) sent to a list of real full JIDs. The template is prepared once (core
 * `prepareBroadcast`): its content is serialised once for all recipients and each transport
 * writes only the recipient's start tag, so a message to 1,000 occupants costs one
 * serialisation of its body, not 1,000.
 *
 * Each copy goes through `server.route` (not straight to the session): the recipient's host
 * applies its per-recipient rules (XEP-0191 blocking of the room, a gone resource answered
 * with an error, RFC 6121 §8.5.3.2.1) and stream management counts the copy like any stanza.
 * See lib/core/fanout.ts for the measurement behind that choice.
 */
import { prepareBroadcast, withAttrs, type Element, type ServerApi } from '../../core/api.js';

/** Send `template` to each of `recipients` (real full JIDs), addressed to each. */
export function fanout(server: Pick<ServerApi, 'route'>, template: Element, recipients: readonly string[]): void {
  if (recipients.length === 1) {
    server.route(withAttrs(template, { to: recipients[0]! }));
    return;
  }
  if (recipients.length === 0) return;
  const prepared = prepareBroadcast(template);
  for (const to of recipients) server.route(prepared.copyTo(to));
}
