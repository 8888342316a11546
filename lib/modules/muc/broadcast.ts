/**
 * @module muc/broadcast
 * The one fan-out every room presence and message goes through: a stanza template (its `from`
 * set, no `to`) sent to a list of real full JIDs. A straightforward loop for now; a shared
 * serialisation mechanism can replace its inside without touching its callers.
 */
import { withAttrs, type Element, type ServerApi } from '../../core/api.js';

/** Send `template` to each of `recipients` (real full JIDs), addressed to each. */
export function fanout(server: Pick<ServerApi, 'route'>, template: Element, recipients: readonly string[]): void {
  for (const to of recipients) server.route(withAttrs(template, { to }));
}
