/**
 * @module vcard4/access
 * Whether someone may read an account's PEP node, by the node's access model (XEP-0060 §4.5):
 * the `pep` service acts as the owner, so a module answering for a contact checks this first.
 */
import type { NodeConfigFields } from '../../core/pubsub-api.js';
import type { RosterService } from '../../core/api.js';

/**
 * XEP-0060 §4.5: open (anyone), presence and roster (a contact who receives the owner's
 * presence; roster groups are not looked at), whitelist and authorize (the owner only).
 */
export function mayRead(config: NodeConfigFields, owner: { user: string; bare: string }, requester: string | undefined, rosters: RosterService | undefined): boolean {
  if (requester === owner.bare) return true;
  const model = config['pubsub#access_model'];
  if (model === 'open') return true;
  if ((model === 'presence' || model === 'roster') && requester !== undefined) return rosters?.isSubscribed(owner.user, requester) ?? false;
  return false;
}
