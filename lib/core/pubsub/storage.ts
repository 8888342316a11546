/**
 * @module pubsub/storage
 * Persistence of one pubsub service through the storage driver: node records in the map store
 * `<prefix>` (user = the service's owner key, key = node name) and each node's items in the map
 * store `<prefix>_items/<node>` (key = item id). A PEP service's owner key is the account's
 * username, so deleting the account (purgeUser) deletes its nodes and items.
 */
import type { StorageDriver } from '../storage/store.js';
import { elementFromJson, elementToJson, type Element, type JsonElement } from '../xml.js';
import type { NodeConfig } from './config.js';

export type Affiliation = 'owner' | 'publisher' | 'publish-only' | 'member' | 'none' | 'outcast';
export const AFFILIATIONS: readonly Affiliation[] = ['owner', 'publisher', 'publish-only', 'member', 'none', 'outcast'];
export type SubscriptionState = 'subscribed' | 'pending' | 'unconfigured';

/** One subscription (XEP-0060 §6.1), keyed by the subscribed JID (full or bare). */
export interface StoredSubscription {
  readonly state: SubscriptionState;
  readonly subid: string;
  /** Subscription options (XEP-0060 §6.3): pubsub#deliver. */
  readonly deliver: boolean;
}

/** What is stored of a node (its items apart). */
export interface NodeRecord {
  readonly config: NodeConfig;
  /** Bare JID -> affiliation (those that differ from 'none'). */
  readonly affiliations: Readonly<Record<string, Affiliation>>;
  /** JID -> subscription. */
  readonly subscriptions: Readonly<Record<string, StoredSubscription>>;
  readonly created: number;
}

/** One stored item. */
export interface StoredItem {
  readonly id: string;
  readonly payload: Element | undefined;
  readonly publisher: string | undefined;
  readonly when: number;
  /** Publication order (several publishes may share a millisecond). */
  readonly seq: number;
}

interface ItemJson { readonly p?: JsonElement; readonly by?: string; readonly when: number; readonly seq: number }

/** Where a service keeps its data. */
export interface PubsubStorage {
  nodes(): Record<string, NodeRecord>;
  saveNode(node: string, record: NodeRecord | undefined): void;
  items(node: string): StoredItem[];
  saveItem(node: string, item: StoredItem): void;
  removeItems(node: string, ids: readonly string[]): void;
  /** Run several writes as one. */
  transaction<T>(fn: () => T): T;
}

/** The driver-backed storage of one service on `host` under `owner`. */
export function driverStorage(driver: StorageDriver, host: string, prefix: string, owner: string): PubsubStorage {
  const itemStore = (node: string): string => `${prefix}_items/${node}`;
  return {
    nodes: () => driver.mapAll(host, prefix, owner) as Record<string, NodeRecord>,
    saveNode: (node, record) => driver.mapSet(host, prefix, owner, node, record),
    items: (node) => {
      const all = driver.mapAll(host, itemStore(node), owner) as Record<string, ItemJson>;
      return Object.entries(all).map(([id, v]) => ({
        id, payload: v.p ? elementFromJson(v.p) : undefined, publisher: v.by, when: v.when, seq: v.seq,
      })).sort((a, b) => a.seq - b.seq);
    },
    saveItem: (node, item) => {
      const value: ItemJson = { p: item.payload ? elementToJson(item.payload) : undefined, by: item.publisher, when: item.when, seq: item.seq };
      driver.mapSet(host, itemStore(node), owner, item.id, value);
    },
    removeItems: (node, ids) => { for (const id of ids) driver.mapSet(host, itemStore(node), owner, id, undefined); },
    transaction: (fn) => driver.transaction(fn),
  };
}

/** Storage that keeps nothing (a service whose state lives only in memory, tests). */
export function memoryStorage(): PubsubStorage {
  const nodes: Record<string, NodeRecord> = {};
  const items = new Map<string, Map<string, StoredItem>>();
  return {
    nodes: () => ({ ...nodes }),
    saveNode: (node, record) => { if (record) nodes[node] = record; else delete nodes[node]; },
    items: (node) => [...(items.get(node)?.values() ?? [])].sort((a, b) => a.seq - b.seq),
    saveItem: (node, item) => {
      let m = items.get(node);
      if (!m) items.set(node, (m = new Map()));
      m.set(item.id, item);
    },
    removeItems: (node, ids) => { for (const id of ids) items.get(node)?.delete(id); },
    transaction: (fn) => fn(),
  };
}
