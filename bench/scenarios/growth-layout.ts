/**
 * @module bench/scenarios/growth-layout
 * What the growth orchestrator (bench/growth.ts) and its load-generator steps agree on: each
 * row's own accounts (a prefix of its own, so rows never see each other's rosters), who is
 * the owner, and how an archive is spread over contacts.
 */
import type { GrowthKind } from '../protocol.js';

/** Account prefix of each row; account i is `${prefix}${i}`. */
export const GROWTH_PREFIX: Readonly<Record<GrowthKind | 'messages', string>> = {
  messages: 'growm', presence: 'growp', login: 'growl', offline: 'growo', mam: 'growa', muc: 'growc',
};

/** presence, login: account 1 owns the roster, accounts 2..size+1 are its contacts. offline: account 1 sends, 2.. log in. */
export const OWNER = 1;
export const FIRST_CONTACT = 2;

/** mam: contacts of the owner's archive (100 for 10,000 messages and more, fewer for tiny ones). */
export function mamContacts(size: number): number {
  return Math.max(1, Math.min(100, Math.floor(size / 100)));
}

/** mam: messages archived with contact `c` in an archive of `size` (message i is with contact i mod contacts). */
export function mamMessagesWith(size: number, c: number): number {
  const contacts = mamContacts(size);
  return Math.floor(size / contacts) + (c < size % contacts ? 1 : 0);
}

/** The MAM page size the growth row asks for (XEP-0313 with RSM max). */
export const MAM_PAGE = 50;
