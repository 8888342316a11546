/**
 * @module invites-api
 * `xmpp-server-core/invites`: invitations (XEP-0401 easy onboarding, XEP-0379 pre-authenticated
 * roster subscription, XEP-0445 pre-authenticated in-band registration) for module authors. The
 * `invites` module keeps the tokens and provides the `invites` service on each host
 * (`module.service('invites')`); `invites_register`, `invites_adhoc` and `invites_page` (and
 * third-party modules) use it without importing `invites`.
 */

/** The namespace of `<preauth token='...'/>` (XEP-0379 §4, XEP-0445 §3). */
export const NS_PARS = 'urn:xmpp:pars:0';

/** The action of an invitation's URI (XEP-0401 §4): create an account, or become a contact. */
export type InviteType = 'register' | 'roster';

/** One invitation, as stored. Times are ms since the epoch. */
export interface Invite {
  /** The secret: whoever holds it may use the invitation once. Never logged. */
  readonly token: string;
  readonly type: InviteType;
  /** The URI's JID: the host or `user@host` for an account invite, the inviter for a contact invite. */
  readonly jid: string;
  /** The local user who created it (contact invites, and account invites a user created). */
  readonly inviter?: string;
  /** Account invites for a fixed name: the only username it may register. */
  readonly username?: string;
  /** Whether it may create an account (always for 'register'; `ibr=y` for 'roster'). */
  readonly allowRegistration: boolean;
  readonly created: number;
  readonly expires: number;
  /** `xmpp:host?register;preauth=TOKEN`, `xmpp:user@host?roster;preauth=TOKEN;ibr=y` (XEP-0401 §4). */
  readonly uri: string;
}

/** What creating an invitation accepts. */
export interface InviteOptions {
  /** The local user creating it (counted against max_invites_per_user; gets a mutual subscription with the invitee). */
  readonly inviter?: string;
  /** Seconds it stays valid; default invite_expiry. */
  readonly ttl?: number;
}

/** `module.service('invites')`: one host's invitations. */
export interface InviteService {
  readonly host: string;
  /** max_invites_per_user (0: no limit). */
  readonly maxPerUser: number;
  /** An invitation to create an account, for any name or only for `username` (normalised). */
  createAccount(options?: InviteOptions & { readonly username?: string }): Invite;
  /** An invitation to become `inviter`'s contact, and to create an account here when `allowRegistration`. */
  createContact(inviter: string, options?: Omit<InviteOptions, 'inviter'> & { readonly allowRegistration?: boolean }): Invite;
  /** The invitation a token names, while it is valid (unknown, used and expired ones: undefined). */
  get(token: string): Invite | undefined;
  /** Consume an invitation (single use); false when it was no longer there (used meanwhile). */
  use(token: string): boolean;
  /** How many valid invitations `inviter` has outstanding. */
  outstanding(inviter: string): number;
  /** The invitation's landing page URL (from invites_page), if any. */
  landingPage(invite: Invite): string | undefined;
}

/** Payload of the host event `invite-landing-page`: answered with the page's URL by invites_page. */
export interface InviteLandingPageQuery {
  readonly invite: Invite;
}

declare module './api.js' {
  interface Items {
    /** The host's invitations (provided by the invites module). */
    invites: InviteService;
  }
  interface Events {
    /** Host bus: the landing page URL of an invitation (answered by invites_page). */
    'invite-landing-page': InviteLandingPageQuery;
  }
}
