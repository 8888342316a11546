/**
 * @module register
 * In-Band Registration (XEP-0077): account creation before authentication (only with
 * `allow_registration`), and for an authenticated user: registration info, password change
 * and account removal.
 */
import {
  defineModule, errorReply, isServerError, option, parseJid, xml, NS_REGISTER,
  type Element, type Session, type StanzaErrorType, type StanzaEvent,
} from '../../core/api.js';

const NS_FEATURE = 'http://jabber.org/features/iq-register';

/** `user-registered` / `user-deregistered` (Prosody's names), on the host's bus. */
export interface UserRegistrationEvent {
  readonly username: string;
  readonly host: string;
  readonly session: Session | undefined;
  readonly source: 'register';
}

declare module '../../core/api.js' {
  interface Events {
    'user-registered': UserRegistrationEvent;
    'user-deregistered': UserRegistrationEvent;
  }
}

/** The unauthenticated iq event: Prosody's `stanza/iq/<ns>:<name>`. */
interface UnauthedIqEvent {
  readonly origin?: Session;
  readonly session?: Session;
  readonly stanza: Element;
}

export default defineModule({
  name: 'register',
  description: 'In-band registration, password change and account removal (XEP-0077).',
  options: {
    allow_registration: option.boolean({
      default: false,
      doc: 'Let anyone create an account in-band (XEP-0077) before authenticating.',
    }),
    min_seconds_between_registrations: option.number({
      default: 0, min: 0,
      doc: 'Seconds an IP address must wait between two in-band registrations (0 = no limit).',
    }),
    registration_instructions: option.string({
      default: 'Choose a username and password for use with this service.',
      doc: 'The <instructions/> text of the in-band registration form.',
    }),
  },
  load(module) {
    const { host, server } = module;
    const { allow_registration: allow, min_seconds_between_registrations: minSeconds } = module.options;
    /** When each IP last registered an account (ms), for the throttle. */
    const lastByIp = new Map<string, number>();

    module.provides('feature', NS_REGISTER);

    const send = (session: Session, stanza: Element, ...payload: Element[]): true => {
      session.send(xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, ...payload));
      return true;
    };
    const fail = (session: Session, stanza: Element, type: StanzaErrorType, condition: string, text?: string): true => {
      session.send(errorReply(stanza, type, condition, text));
      return true;
    };

    /** Registration is offered on this session (XEP-0077 §3.1; only where SASL would be). */
    const offered = (session: Session): boolean =>
      allow && !session.authenticated && (session.secure || !session.settings.c2s_require_encryption);

    // XEP-0077 §4: the stream feature, before authentication
    module.hook('stream-features', ({ session, features }) => {
      if (offered(session)) features.append(xml('register', { xmlns: NS_FEATURE }));
    });

    // ---- before authentication: the form and account creation (XEP-0077 §3.1) ----
    module.hook(`stanza/iq/${NS_REGISTER}:query`, (event: UnauthedIqEvent) => {
      const session = event.origin ?? event.session;
      const { stanza } = event;
      if (!session || session.authenticated) return undefined;
      const type = stanza.attrs.type;
      if (type !== 'get' && type !== 'set') return true;
      // XEP-0077 §3.1: a host without in-band registration answers service-unavailable
      if (!offered(session)) return fail(session, stanza, 'cancel', 'service-unavailable');
      const query = stanza.getChild('query', NS_REGISTER);
      if (type === 'get') {
        return send(session, stanza, xml('query', { xmlns: NS_REGISTER },
          xml('instructions', {}, module.options.registration_instructions), xml('username'), xml('password')));
      }
      if (query?.getChild('remove')) return fail(session, stanza, 'auth', 'not-authorized', 'Authenticate before removing an account');
      const username = query?.getChildText('username') ?? '';
      const password = query?.getChildText('password') ?? '';
      // XEP-0077 §3.1: required fields missing
      if (!username || !password) return fail(session, stanza, 'modify', 'not-acceptable', 'A username and a password are required');
      const now = Date.now();
      const last = lastByIp.get(session.ip);
      if (minSeconds > 0 && last !== undefined && now - last < minSeconds * 1000) {
        return fail(session, stanza, 'wait', 'resource-constraint', 'Too many registrations from this address; try again later');
      }
      let created: string;
      try {
        created = server.accounts.create(host, username, password);
      } catch (err) {
        // XEP-0077 §3.1: a taken username is a conflict; an unusable one is not acceptable
        if (isServerError(err, 'XS_ERR_ACCOUNT_EXISTS')) return fail(session, stanza, 'cancel', 'conflict', 'The username is taken');
        if (isServerError(err, 'XS_ERR_USERNAME_INVALID')) return fail(session, stanza, 'modify', 'not-acceptable', 'Invalid username');
        if (!isServerError(err)) return fail(session, stanza, 'modify', 'not-acceptable', 'Invalid password');
        throw err;
      }
      if (minSeconds > 0) lastByIp.set(session.ip, now);
      module.log.info({ user: created, ip: session.ip }, 'account registered in-band');
      module.fire('user-registered', { username: created, host, session, source: 'register' });
      return send(session, stanza);
    });
    if (minSeconds > 0) {
      // Forget throttle entries once they no longer matter.
      module.setInterval(minSeconds * 1000, () => {
        const cutoff = Date.now() - minSeconds * 1000;
        for (const [ip, when] of lastByIp) if (when < cutoff) lastByIp.delete(ip);
      });
    }

    // ---- authenticated: registration info (XEP-0077 §3.1 "already registered") ----
    module.hook(`iq-get/self/${NS_REGISTER}:query`, ({ origin, stanza }: StanzaEvent) => {
      if (!origin?.username) return undefined;
      return send(origin, stanza, xml('query', { xmlns: NS_REGISTER }, xml('registered'), xml('username', {}, origin.username)));
    });

    // ---- authenticated: password change (§3.3) and account removal (§3.2) ----
    module.hook(`iq-set/self/${NS_REGISTER}:query`, ({ origin, stanza }: StanzaEvent) => {
      const user = origin?.username;
      if (!origin || !user) return undefined;
      const query = stanza.getChild('query', NS_REGISTER);
      if (query?.getChild('remove')) {
        server.accounts.delete(host, user); // also purges everything the user stored
        module.log.info({ user }, 'account removed in-band');
        send(origin, stanza);
        module.fire('user-deregistered', { username: user, host, session: origin, source: 'register' });
        // XEP-0077 §3.2: the account is gone; so are its sessions
        for (const s of new Set([origin, ...server.sessions.ofUser(host, user)])) s.close({ condition: 'not-authorized', text: 'Account removed' });
        return true;
      }
      const username = query?.getChildText('username');
      const password = query?.getChildText('password') ?? '';
      if (username !== undefined && username !== null && parseJid(`${username}@${host}`)?.local !== user) {
        return fail(origin, stanza, 'modify', 'bad-request', 'The username is not yours');
      }
      if (!password) return fail(origin, stanza, 'modify', 'not-acceptable', 'A new password is required');
      try {
        server.accounts.setPassword(host, user, password);
      } catch (err) {
        if (!isServerError(err)) return fail(origin, stanza, 'modify', 'not-acceptable', 'Invalid password');
        throw err;
      }
      module.log.info({ user }, 'password changed in-band');
      return send(origin, stanza);
    });
  },
});
