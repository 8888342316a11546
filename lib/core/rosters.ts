/**
 * @module rosters
 * The roster service's contract (RFC 6121 §2): the presence module owns rosters and the
 * subscription states (as Prosody's core rostermanager does) and provides this service on each
 * host with `module.provides('rosters', ...)`; the roster and disco modules, and third-party
 * ones, use it through `module.service('rosters')` without importing presence.
 */
import type { Element } from './xml.js';

/** What removing a roster item did (RFC 6121 §2.5.2: what to cancel on the contact's side). */
export interface RosterRemoval {
  readonly hadFrom: boolean;
  readonly hadTo: boolean;
  readonly wasPending: boolean;
}

/** A host's rosters. Users are normalised local parts; contacts are bare JIDs. */
export interface RosterService {
  /** max_roster_items of the host. */
  readonly maxItems: number;
  /** Whether `contact` receives the user's presence (subscription from or both). */
  isSubscribed(user: string, contact: string): boolean;
  /** The contacts (bare JIDs) that receive the user's presence (subscription from or both). */
  subscribers(user: string): string[];
  /** Whether the user's roster has an item for `contact` (any subscription state). */
  hasItem(user: string, contact: string): boolean;
  /** The full roster result payload (RFC 6121 §2.1.4), with its version. */
  queryElement(user: string): Element;
  /** Send a roster push for `jid` to every interested resource of the user (RFC 6121 §2.1.6). */
  push(user: string, jid: string): void;
  /** Create or update an item's name and groups; 'full' beyond max_roster_items. */
  setItem(user: string, jid: string, fields: { name?: string; groups: string[] }): 'ok' | 'full';
  /** Forget a pending-in subscription request from `contact` (the item stays); true when there was one. */
  dropRequest(user: string, contact: string): boolean;
  /** Remove an item and any pending-in request; undefined when neither exists. */
  removeItem(user: string, jid: string): RosterRemoval | undefined;
  /**
   * Act as the user sending `<presence type='subscribe'|'subscribed'/>` to `contact` (RFC 6121
   * §3.1.2, §3.1.5; 'subscribed' without a request is a pre-approval, §3.4), with the same roster
   * changes, pushes and routing as a client's stanza: for modules that set up subscriptions on
   * a user's behalf (invitations, XEP-0379). A 'subscribe' while already subscribed or pending
   * is not sent again. 'full' when the user's roster is at max_roster_items (nothing done).
   */
  sendSubscription(user: string, contact: string, type: 'subscribe' | 'subscribed'): 'ok' | 'full';
}

declare module './api.js' {
  interface Items {
    /** The host's roster service (provided by the presence module). */
    rosters: RosterService;
  }
}
