/**
 * @module invites/store
 * Invitation tokens of one host in the map store 'invite_token' (Prosody's store name): every
 * invitation under the user key '' (no account can have it, so purging a deleted user's data
 * leaves them), and under its inviter's key the token's expiry, to count what a user has
 * outstanding. Read from storage on every use, never cached: the command line (`xmpp-server
 * invite create`) writes here while the server runs. Single use: `use()` deletes the token.
 */
import { randomBytes } from 'node:crypto';
import { option, type MapStore } from '../../core/api.js';
import type { Invite, InviteOptions, InviteType } from '../../core/invites-api.js';

export const INVITE_STORE = 'invite_token';
const HOST_KEY = '';

/** invite_expiry, shared with the command line so both read it the same way. */
export const INVITE_EXPIRY_OPTION = option.integer({
  default: 7 * 24 * 3600, min: 1,
  doc: 'Seconds an invitation stays valid after it is created (Prosody\'s default: 7 days).',
});

/** Tokens are 24 URL-safe characters (144 random bits); anything else is unknown without a look-up. */
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/** A JID for an xmpp: URI (RFC 5122 §2.2): the local part percent-encoded, the domain as is. */
function uriJid(jid: string): string {
  const at = jid.indexOf('@');
  return at === -1 ? jid : `${encodeURIComponent(jid.slice(0, at))}${jid.slice(at)}`;
}

/** The invitation's URI (XEP-0401 §4, XEP-0379 §2): `xmpp:JID?ACTION;preauth=TOKEN[;ibr=y]`. */
export function inviteUri(type: InviteType, jid: string, token: string, allowRegistration: boolean): string {
  const ibr = type === 'roster' && allowRegistration ? ';ibr=y' : '';
  return `xmpp:${uriJid(jid)}?${type};preauth=${token}${ibr}`;
}

/** Whether a stored value is an invitation record. */
function isInvite(value: unknown): value is Invite {
  const v = value as Partial<Invite> | undefined;
  return typeof v === 'object' && v !== null && typeof v.token === 'string' && typeof v.expires === 'number'
    && (v.type === 'register' || v.type === 'roster') && typeof v.jid === 'string';
}

export class InviteStore {
  readonly host: string;
  readonly #store: MapStore;
  readonly #expirySeconds: number;
  readonly #now: () => number;

  constructor(host: string, store: MapStore, expirySeconds: number, now: () => number = Date.now) {
    this.host = host;
    this.#store = store;
    this.#expirySeconds = expirySeconds;
    this.#now = now;
  }

  #create(fields: Omit<Invite, 'token' | 'created' | 'expires' | 'uri'>, ttl: number | undefined): Invite {
    const token = randomBytes(18).toString('base64url');
    const created = this.#now();
    const expires = created + (ttl ?? this.#expirySeconds) * 1000;
    const invite: Invite = { ...fields, token, created, expires, uri: inviteUri(fields.type, fields.jid, token, fields.allowRegistration) };
    this.#store.set(HOST_KEY, token, invite);
    if (invite.inviter !== undefined) this.#store.set(invite.inviter, token, expires);
    return invite;
  }

  /** An account invitation (XEP-0401 §4), for any name or only for `username` (already normalised). */
  createAccount(options: InviteOptions & { readonly username?: string } = {}): Invite {
    const { username, inviter, ttl } = options;
    return this.#create({
      type: 'register', jid: username === undefined ? this.host : `${username}@${this.host}`,
      allowRegistration: true,
      ...(username !== undefined ? { username } : {}),
      ...(inviter !== undefined ? { inviter } : {}),
    }, ttl);
  }

  /** A contact invitation (XEP-0379): become `inviter`'s contact; create an account here too when `allowRegistration`. */
  createContact(inviter: string, options: { readonly allowRegistration?: boolean; readonly ttl?: number } = {}): Invite {
    return this.#create({ type: 'roster', jid: `${inviter}@${this.host}`, inviter, allowRegistration: options.allowRegistration === true }, options.ttl);
  }

  /** The valid invitation for `token`, or undefined (unknown, used, expired: an expired one is removed). */
  get(token: unknown): Invite | undefined {
    if (typeof token !== 'string' || !TOKEN.test(token)) return undefined;
    const invite = this.#store.get(HOST_KEY, token);
    if (!isInvite(invite)) return undefined;
    if (invite.expires <= this.#now()) {
      this.#remove(invite);
      return undefined;
    }
    return invite;
  }

  /** Consume `token`: true when it was there (and valid) and is now gone. */
  use(token: string): boolean {
    const invite = this.get(token);
    if (!invite) return false;
    this.#remove(invite);
    return true;
  }

  #remove(invite: Invite): void {
    this.#store.set(HOST_KEY, invite.token, undefined);
    if (invite.inviter !== undefined) this.#store.set(invite.inviter, invite.token, undefined);
  }

  /** Valid invitations `inviter` created and nobody has used yet (stale index entries are dropped). */
  outstanding(inviter: string): number {
    let count = 0;
    const now = this.#now();
    for (const [token, expires] of Object.entries(this.#store.all(inviter))) {
      if (typeof expires === 'number' && expires > now && isInvite(this.#store.get(HOST_KEY, token))) count += 1;
      else this.#store.set(inviter, token, undefined);
    }
    return count;
  }

  /** Remove every expired invitation; how many were removed. */
  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const [token, value] of Object.entries(this.#store.all(HOST_KEY))) {
      if (isInvite(value) && value.expires > now) continue;
      if (isInvite(value)) this.#remove(value);
      else this.#store.set(HOST_KEY, token, undefined);
      removed += 1;
    }
    return removed;
  }
}
