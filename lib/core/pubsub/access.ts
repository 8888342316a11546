/**
 * @module pubsub/access
 * Who may do what on a node (XEP-0060 §4.1 affiliations, §4.5 access models, §4.6 publish
 * models), and the errors refusals carry (§6.1.3, §6.5.9, §7.1.3). Policy from the service's
 * owner (rosters, presence subscriptions) comes through PubsubPolicy.
 */
import type { PubsubFailure } from '../pubsub-api.js';
import type { StanzaErrorType } from '../router.js';
import type { NodeConfig } from './config.js';
import type { Affiliation, NodeRecord } from './storage.js';

/** What the owner of a service tells the engine about the world (PEP: the account's roster). */
export interface AccessPolicy {
  /** An affiliation a bare JID has by who it is (PEP: the account is owner; component: admins). */
  affiliationOf(bare: string): Affiliation | undefined;
  /** `presence` access model: whether `bare` receives the owner's presence (from or both). */
  hasPresenceSubscription(bare: string): boolean;
  /** `roster` access model: the groups of `bare` on the owner's roster; undefined when it is not on it. */
  rosterGroups(bare: string): readonly string[] | undefined;
}

/** A refusal (XEP-0060 error: a stanza condition and a pubsub#errors condition). */
export function failure(type: StanzaErrorType, condition: string, pubsubCondition?: string, text?: string): PubsubFailure {
  return { ok: false, type, condition, pubsubCondition, text };
}

/** The affiliation of `bare` with a node: by policy (owner wins) then as stored. */
export function affiliation(policy: AccessPolicy, record: NodeRecord, bare: string): Affiliation {
  const fixed = policy.affiliationOf(bare);
  if (fixed === 'owner') return 'owner';
  return record.affiliations[bare] ?? fixed ?? 'none';
}

/** Whether `bare` has an approved subscription to the node (any of its JIDs). */
export function isSubscribed(record: NodeRecord, bare: string): boolean {
  for (const [jid, sub] of Object.entries(record.subscriptions)) {
    if (sub.state === 'subscribed' && (jid === bare || jid.startsWith(`${bare}/`))) return true;
  }
  return false;
}

/**
 * Whether `bare` may see the node (retrieve items, subscribe, discover it), by its access model
 * (XEP-0060 §4.5); undefined when allowed, else the refusal. `subscribing` lets an `authorize`
 * node take the request (it becomes pending).
 */
export function checkAccess(policy: AccessPolicy, record: NodeRecord, config: NodeConfig, bare: string, subscribing = false): PubsubFailure | undefined {
  const aff = affiliation(policy, record, bare);
  if (aff === 'outcast') return failure('auth', 'forbidden'); // §6.1.3.8 (blocked)
  if (aff === 'owner' || aff === 'publisher' || aff === 'member' || aff === 'publish-only') return undefined;
  switch (config.access_model) {
    case 'open': return undefined;
    case 'presence': // §6.1.3.2
      return policy.hasPresenceSubscription(bare) ? undefined : failure('auth', 'not-authorized', 'presence-subscription-required');
    case 'roster': { // §6.1.3.3
      const groups = policy.rosterGroups(bare);
      const allowed = config.roster_groups_allowed;
      const ok = groups !== undefined && (allowed.length === 0 || groups.some((g) => allowed.includes(g)));
      return ok ? undefined : failure('auth', 'not-authorized', 'not-in-roster-group');
    }
    case 'whitelist': return failure('cancel', 'not-allowed', 'closed-node'); // §6.1.3.4
    case 'authorize': // §6.5.9.4: items need an approved subscription; §6.1.5: subscribing goes pending
      return subscribing || isSubscribed(record, bare) ? undefined : failure('auth', 'not-authorized', 'not-subscribed');
  }
}

/** Whether `bare` may publish, by the node's publish model (XEP-0060 §4.6, §7.1.3.1). */
export function checkPublish(policy: AccessPolicy, record: NodeRecord, config: NodeConfig, bare: string): PubsubFailure | undefined {
  const aff = affiliation(policy, record, bare);
  if (aff === 'owner' || aff === 'publisher' || aff === 'publish-only') return undefined;
  if (aff !== 'outcast') {
    if (config.publish_model === 'open') return undefined;
    if (config.publish_model === 'subscribers' && isSubscribed(record, bare)) return undefined;
  }
  return failure('auth', 'forbidden');
}

/** Whether `bare` owns the node (owner operations, XEP-0060 §8: forbidden otherwise). */
export function checkOwner(policy: AccessPolicy, record: NodeRecord, bare: string): PubsubFailure | undefined {
  return affiliation(policy, record, bare) === 'owner' ? undefined : failure('auth', 'forbidden');
}
