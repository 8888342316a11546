/**
 * @module pubsub-api
 * `xmpp-server-core/pubsub`: publish-subscribe (XEP-0060) for module authors. The engine that
 * the `pubsub` component and `pep` (XEP-0163, on every account) share lives behind this file;
 * this part is the contract other modules use: the `pep` service (`module.service('pep')`)
 * that publishes and reads a user's personal nodes on the user's behalf (profiles, avatars,
 * bookmarks), and the events PEP fires on the account's host.
 */
import type { Element } from './xml.js';
import type { StanzaErrorType } from './router.js';

/** One published item of a node. */
export interface PubsubItem {
  readonly id: string;
  /** The payload element (the item's single child); undefined for a notification-only item. */
  readonly payload: Element | undefined;
  /** The publisher's JID (full or bare) as it published. */
  readonly publisher?: string;
  /** When it was published, ms since the epoch. */
  readonly when: number;
}

/**
 * A node configuration field set by `pubsub#<name>` var (XEP-0060 §16.4.4): values as the
 * data form carries them ("1"/"true", "max", a list for list-multi fields).
 */
export type NodeConfigFields = Readonly<Record<string, string | readonly string[]>>;

/** A refusal, with the XEP-0060 error it maps to (e.g. conflict + precondition-not-met). */
export interface PubsubFailure {
  readonly ok: false;
  readonly type: StanzaErrorType;
  /** RFC 6120 condition, e.g. 'conflict', 'forbidden', 'item-not-found'. */
  readonly condition: string;
  /** The `http://jabber.org/protocol/pubsub#errors` condition, e.g. 'precondition-not-met'. */
  readonly pubsubCondition?: string;
  readonly text?: string;
}

export type PubsubResult<T> = { readonly ok: true; readonly value: T } | PubsubFailure;

/** How the server publishes for an account (XEP-0060 §7.1.5 publish-options). */
export interface PepPublishOptions {
  /**
   * Fields the node must have (preconditions); a node created by this publish gets them as
   * its configuration. A node whose configuration differs refuses with precondition-not-met.
   */
  readonly options?: NodeConfigFields;
  /** Who publishes (a full JID of the account); the account's bare JID when absent. */
  readonly actor?: string;
}

/**
 * `module.service('pep')`: one account's personal eventing nodes on this host, for modules
 * that act for the account (vcard_legacy, bookmarks). Access control is the account's own
 * (these calls act as the owner); subscribers are notified as for a client's publish.
 */
export interface PepService {
  /** Publish (creating the node when absent, as XEP-0163 §3 auto-create); resolves to the item id. */
  publish(user: string, node: string, item: { readonly id?: string; readonly payload: Element }, options?: PepPublishOptions): Promise<PubsubResult<string>>;
  /** A node's items, newest first (all, or those `ids`, at most `max`); undefined when the node does not exist. */
  items(user: string, node: string, query?: { readonly ids?: readonly string[]; readonly max?: number }): Promise<readonly PubsubItem[] | undefined>;
  /** Retract one item (notifying when the node says so); false when it did not exist. */
  retract(user: string, node: string, id: string): Promise<boolean>;
  /** Delete a node and its items; false when it did not exist. */
  deleteNode(user: string, node: string): Promise<boolean>;
  /** A node's configuration as `pubsub#` fields; undefined when the node does not exist. */
  nodeConfig(user: string, node: string): Promise<NodeConfigFields | undefined>;
  /**
   * Whether `requester` (a JID; its bare JID counts) may read the node by its access model and
   * affiliations (XEP-0060 §4.5), as for a client's items request: for modules that answer a
   * contact from a node (vCards). False when the node does not exist.
   */
  mayRead(user: string, node: string, requester: string): Promise<boolean>;
}

/** `pep-published` (the account's host bus): an item was published to an account's node, by a client or a module. */
export interface PepPublishedEvent {
  readonly user: string;
  readonly node: string;
  readonly item: PubsubItem;
  /** Who published: a full JID of the account, or its bare JID when a module did. */
  readonly actor: string;
}

/** `pep-retracted` (host bus): an item was retracted, or its node was purged or deleted (`id` absent). */
export interface PepRetractedEvent {
  readonly user: string;
  readonly node: string;
  readonly id?: string;
  readonly actor: string;
}

declare module './api.js' {
  interface Items {
    /** XEP-0163 personal eventing for other modules (provided by `pep`). */
    pep: PepService;
  }
  interface Events {
    /** Host bus: an item reached an account's PEP node (see PepPublishedEvent). */
    'pep-published': PepPublishedEvent;
    /** Host bus: an item left an account's PEP node (see PepRetractedEvent). */
    'pep-retracted': PepRetractedEvent;
  }
}

// The engine, for the `pubsub` and `pep` modules (and third-party services built on it).
export { PubsubService } from './pubsub/service.js';
export type { PubsubPolicy, PubsubLimits } from './pubsub/service.js';
export type { AccessPolicy } from './pubsub/access.js';
export { failure as pubsubFailure } from './pubsub/access.js';
export {
  BASE_NODE_CONFIG, ACCESS_MODELS, PUBLISH_MODELS, SEND_LAST, NS_NODE_CONFIG, NS_PUBLISH_OPTIONS,
  applyFields, configFields, configForm,
} from './pubsub/config.js';
export type { NodeConfig, AccessModel, PublishModel, SendLast } from './pubsub/config.js';
export { driverStorage, memoryStorage, AFFILIATIONS } from './pubsub/storage.js';
export type { PubsubStorage, NodeRecord, StoredItem, StoredSubscription, Affiliation, SubscriptionState } from './pubsub/storage.js';
export {
  handlePubsubIq, pubsubError, NS_PUBSUB, NS_PUBSUB_OWNER, NS_PUBSUB_ERRORS, NS_SUBSCRIBE_OPTIONS,
} from './pubsub/protocol.js';
export type { PubsubRequest } from './pubsub/protocol.js';
export { NS_PUBSUB_EVENT, eventMessage, publishedContent } from './pubsub/notify.js';
export { nodeItems, nodeInfo, nodeItemIds, NS_META_DATA } from './pubsub/disco.js';
