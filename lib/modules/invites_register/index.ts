/**
 * @module invites_register
 * Registration and subscription with an invitation token (Prosody's mod_invites_register):
 * - XEP-0445 pre-authenticated in-band registration: the `urn:xmpp:invite` and
 *   `urn:xmpp:ibr-token:0` stream features, the `<preauth/>` iq before registering (or the
 *   `<preauth/>` element inside the registration query), after which the register module lets
 *   the session register even with allow_registration off (`registration-permitted`);
 * - the token is used once the account exists; an invitation from a user (a contact
 *   invitation with `ibr=y`) leaves the new account and the inviter subscribed both ways (XEP-0401 §3);
 * - XEP-0379: a subscription request carrying a valid contact token of the user it is sent
 *   to is approved on the user's behalf, and the user subscribes back.
 */
import { defineModule, errorReply, option, parseJid, xml, type Element, type NonzaEvent, type Session, type StanzaEvent } from '../../core/api.js';
import { NS_PARS, type Invite } from '../../core/invites-api.js';

/** XEP-0401's stream feature (older clients) and XEP-0445 §3.1's. */
const NS_INVITE_FEATURE = 'urn:xmpp:invite';
const NS_IBR_TOKEN = 'urn:xmpp:ibr-token:0';
const NS_REGISTER = 'jabber:iq:register';

export default defineModule({
  name: 'invites_register',
  depends: ['invites', 'register'],
  description: 'Account registration with an invitation token, even when allow_registration is off (XEP-0445), and pre-authenticated subscriptions (XEP-0379).',
  options: {
    registration_invite_only: option.boolean({
      default: true,
      doc: 'With allow_registration on: only sessions that presented a valid invitation may register in-band (Prosody\'s option and default). With allow_registration off, invitations are the only way in regardless.',
    }),
  },
  load(module) {
    const { host, server } = module;
    const inviteOnly = module.options.registration_invite_only;
    const service = () => module.service('invites');
    /** The token each unauthenticated session presented (valid when presented; checked again on use). */
    const presented = new WeakMap<Session, string>();
    /** Tokens a registration is under way with, and the session using each: one account per token. */
    const claims = new Map<string, Session>();

    const preauthToken = (el: Element | undefined): string | undefined => {
      const token = el?.attrs.token;
      return typeof token === 'string' && token !== '' ? token : undefined;
    };

    /** The invitation `token` names when it may create an account. */
    const accountInvite = (token: string | undefined): Invite | undefined => {
      const invite = token === undefined ? undefined : service()?.get(token);
      return invite?.allowRegistration ? invite : undefined;
    };

    /** The invitation this session presented, while it is still valid. */
    const sessionInvite = (session: Session): Invite | undefined => accountInvite(presented.get(session));

    // XEP-0445 §3.1 (XEP-0401 §5): advertised before authentication, where registration could happen
    module.hook('stream-features', ({ session, features }) => {
      if (session.authenticated || (!session.secure && session.settings.c2s_require_encryption)) return;
      features.append(xml('register', { xmlns: NS_INVITE_FEATURE }));
      features.append(xml('register', { xmlns: NS_IBR_TOKEN }));
    });

    // XEP-0445 §3.2: the client presents its token before registering
    module.hook(`stanza/iq/${NS_PARS}:preauth`, ({ session, stanza }: NonzaEvent) => {
      if (stanza.attrs.type !== 'set') {
        session.send(errorReply(stanza, 'modify', 'bad-request', 'preauth is an iq of type set'));
        return true;
      }
      const token = preauthToken(stanza.getChild('preauth', NS_PARS));
      if (!accountInvite(token)) {
        module.log.info({ ip: session.ip }, 'invalid or expired invitation token presented');
        // Prosody's answer (XEP-0445 leaves the condition open): forbidden, type cancel
        session.send(errorReply(stanza, 'cancel', 'forbidden', 'The invite token is invalid or expired'));
        return true;
      }
      presented.set(session, token!);
      session.send(xml('iq', { type: 'result', id: stanza.attrs.id }));
      return true;
    });

    // The register module asks whether a session may register with allow_registration off.
    module.hook('registration-permitted', ({ session, stanza }) => {
      // XEP-0401 §5 (0.2): the token may also ride inside the registration query
      const inQuery = preauthToken(stanza?.getChild('query', NS_REGISTER)?.getChild('preauth', NS_PARS));
      if (inQuery !== undefined && accountInvite(inQuery)) presented.set(session, inQuery);
      return sessionInvite(session) ? true : undefined;
    });

    module.hook('user-registering', (event) => {
      const { session } = event;
      if (!session) return undefined; // not in-band: the operator's tools
      const token = presented.get(session);
      const invite = sessionInvite(session);
      if (!invite) {
        if (token === undefined && !inviteOnly) return undefined;
        event.allowed = false;
        event.error = token === undefined
          ? { type: 'cancel', condition: 'forbidden', text: 'Registration on this server is through invitation only' }
          : { type: 'cancel', condition: 'forbidden', text: 'The invitation is no longer valid' };
        return true;
      }
      if (invite.username !== undefined && invite.username !== event.username) {
        event.allowed = false;
        event.error = { type: 'modify', condition: 'not-acceptable', text: `This invitation is for the username ${invite.username}` };
        return true;
      }
      const holder = claims.get(invite.token);
      if (holder !== undefined && holder !== session && !holder.closed) {
        event.allowed = false;
        event.error = { type: 'wait', condition: 'resource-constraint', text: 'This invitation is being used' };
        return true;
      }
      claims.set(invite.token, session);
      return undefined;
    }, 5);

    /** Both users on this host subscribed to each other (XEP-0401 §3: inviter and invitee become contacts). */
    const subscribeBoth = (a: string, b: string): void => {
      const rosters = module.service('rosters');
      if (!rosters) return;
      const aJid = `${a}@${host}`;
      const bJid = `${b}@${host}`;
      // RFC 6121 §3.4 pre-approvals first, so each request below is approved on arrival.
      rosters.sendSubscription(b, aJid, 'subscribed');
      rosters.sendSubscription(a, bJid, 'subscribed');
      rosters.sendSubscription(a, bJid, 'subscribe');
      rosters.sendSubscription(b, aJid, 'subscribe');
    };

    module.hook('user-registered', ({ username, session }) => {
      const token = session ? presented.get(session) : undefined;
      if (!session || token === undefined) return;
      presented.delete(session);
      if (claims.get(token) === session) claims.delete(token);
      const invite = service()?.get(token);
      if (!invite || !service()!.use(token)) return;
      module.log.info({ user: username, type: invite.type, inviter: invite.inviter }, 'account registered with an invitation');
      if (invite.inviter !== undefined && invite.inviter !== username && server.accounts.exists(host, invite.inviter)) subscribeBoth(invite.inviter, username);
    });

    // XEP-0379 §3: a subscription request with the user's contact token is approved for the user
    module.hook('presence/bare', ({ stanza }: StanzaEvent) => {
      if (stanza.attrs.type !== 'subscribe') return undefined;
      const token = preauthToken(stanza.getChild('preauth', NS_PARS));
      const to = parseJid(stanza.attrs.to as string | undefined);
      const from = parseJid(stanza.attrs.from as string | undefined);
      if (token === undefined || !to?.local || !from || from.bare === to.bare) return undefined;
      const invite = service()?.get(token);
      const rosters = module.service('rosters');
      if (!invite || invite.type !== 'roster' || invite.inviter !== to.local || !rosters) {
        module.log.debug({ user: to.local }, 'subscription request with an invalid preauth token: handled as a plain request');
        return undefined;
      }
      if (rosters.sendSubscription(to.local, from.bare, 'subscribed') === 'full' || !service()!.use(token)) return undefined;
      module.log.info({ user: to.local, contact: from.bare }, 'pre-authenticated subscription approved');
      // The presence module now finds the request pre-approved and answers it; then the user
      // asks back, for a mutual subscription (as Prosody does).
      const user = to.local;
      queueMicrotask(() => { rosters.sendSubscription(user, from.bare, 'subscribe'); });
      return undefined;
    }, 1);
  },
});
