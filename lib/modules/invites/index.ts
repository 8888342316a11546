/**
 * @module invites
 * Invitations (Prosody's mod_invites; XEP-0401 easy onboarding, XEP-0379 pre-authenticated
 * roster subscription): single-use tokens that let someone create an account (even with
 * allow_registration off) or become a user's contact, valid for invite_expiry. Provides the
 * `invites` service (core/invites-api.ts) that invites_register, invites_adhoc and invites_page
 * use; the command line (`xmpp-server invite create`) writes to the same store.
 */
import { defineModule, normalizeUsername, option } from '../../core/api.js';
import type { Invite, InviteService } from '../../core/invites-api.js';
import { INVITE_EXPIRY_OPTION, INVITE_STORE, InviteStore } from './store.js';

/** How often expired invitations are removed from storage. */
const SWEEP_MS = 3600_000;

export default defineModule({
  name: 'invites',
  events: ['invite-landing-page'],
  description: 'Invitation tokens for account creation and contact subscription (XEP-0401, XEP-0379).',
  options: {
    invite_expiry: INVITE_EXPIRY_OPTION,
    max_invites_per_user: option.integer({
      default: 20, min: 0,
      doc: 'Most unused, unexpired invitations one user may have created (from a client, invites_adhoc); 0 = no limit. Invitations the operator creates are not counted.',
    }),
  },
  load(module) {
    const { host, server } = module;
    const store = new InviteStore(host, module.openMap(INVITE_STORE), module.options.invite_expiry);

    /** A contact invitation dies with its inviter's account. */
    const alive = (invite: Invite | undefined): Invite | undefined =>
      invite && (invite.type !== 'roster' || (invite.inviter !== undefined && server.accounts.exists(host, invite.inviter))) ? invite : undefined;

    const service: InviteService = {
      host,
      maxPerUser: module.options.max_invites_per_user,
      createAccount(options = {}) {
        const username = options.username === undefined ? undefined : normalizeUsername(options.username);
        const invite = store.createAccount({ ...options, username });
        module.log.info({ type: invite.type, inviter: invite.inviter, username, expires: new Date(invite.expires).toISOString() }, 'account invitation created');
        return invite;
      },
      createContact(inviter, options = {}) {
        const invite = store.createContact(normalizeUsername(inviter), options);
        module.log.info({ type: invite.type, inviter: invite.inviter, allowRegistration: invite.allowRegistration, expires: new Date(invite.expires).toISOString() }, 'contact invitation created');
        return invite;
      },
      get: (token) => alive(store.get(token)),
      use(token) {
        const invite = alive(store.get(token));
        const used = invite !== undefined && store.use(token);
        if (used) module.log.info({ type: invite.type, inviter: invite.inviter }, 'invitation used');
        return used;
      },
      outstanding: (inviter) => store.outstanding(inviter),
      landingPage(invite) {
        const url = module.fire('invite-landing-page', { invite });
        return typeof url === 'string' ? url : undefined;
      },
    };
    module.provides('invites', service);

    module.setInterval(SWEEP_MS, () => {
      const removed = store.sweep();
      if (removed > 0) module.log.debug({ removed }, 'expired invitations removed');
    });
  },
});
