/**
 * @module register
 * In-Band Registration (XEP-0077): account creation before authentication (only with
 * `allow_registration`), and for an authenticated user: registration info, password change
 * and account removal. Creation is limited per IP address as Prosody's mod_register_limits
 * does (an interval between registrations, an allowlist exempt from it, a blocklist), and the
 * password derivation (PBKDF2) runs on the thread pool, one request per connection at a time.
 */
import {
  defineModule, errorReply, isServerError, normalizeUsername, option, parseJid, xml, NS_REGISTER,
  type UserRegisteringEvent,
  type Element, type Session, type StanzaErrorType, type StanzaEvent,
} from '../../core/api.js';
import { AddressList, addressListOption } from './addresses.js';
import { RegistrationThrottle } from './throttle.js';

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
  events: ['user-registered', 'user-deregistered'],
  description: 'In-band registration, password change and account removal (XEP-0077).',
  options: {
    allow_registration: option.boolean({
      default: false,
      doc: 'Let anyone create an account in-band (XEP-0077) before authenticating.',
    }),
    min_seconds_between_registrations: option.number({
      default: 300, min: 0,
      doc: 'Seconds an IP address must wait between two in-band registrations (0 = no limit); addresses in registration_allowlist are exempt. Refused ones get policy-violation (type wait) saying when to retry.',
    }),
    registration_allowlist: addressListOption({
      default: Object.freeze(['127.0.0.1', '::1']),
      doc: 'IP addresses and CIDR ranges exempt from min_seconds_between_registrations (Prosody\'s mod_register_limits; its old name registration_whitelist is read when this is not set).',
    }),
    registration_whitelist: addressListOption({
      default: undefined,
      doc: 'Old name of registration_allowlist (Prosody); used only when registration_allowlist is not set.',
    }),
    registration_blocklist: addressListOption({
      default: Object.freeze([]),
      doc: 'IP addresses and CIDR ranges that may not register in-band: they get forbidden (type auth). Prosody\'s old name registration_blacklist is read when this is not set.',
    }),
    registration_blacklist: addressListOption({
      default: undefined,
      doc: 'Old name of registration_blocklist (Prosody); used only when registration_blocklist is not set.',
    }),
    registration_throttle_cache_size: option.integer({
      default: 10000, min: 1,
      doc: 'IP addresses remembered for min_seconds_between_registrations; when full, the oldest are forgotten first (Prosody\'s mod_register_limits name).',
    }),
    registration_instructions: option.string({
      default: 'Choose a username and password for use with this service.',
      doc: 'The <instructions/> text of the in-band registration form.',
    }),
  },
  load(module) {
    const { host, server } = module;
    const o = module.options;
    const { allow_registration: allow, min_seconds_between_registrations: minSeconds } = o;
    const set = (name: string): boolean => server.config.source(host, name) !== undefined;
    const allowlist = new AddressList((set('registration_allowlist') ? undefined : o.registration_whitelist) ?? o.registration_allowlist);
    const blocklist = new AddressList((set('registration_blocklist') ? undefined : o.registration_blacklist) ?? o.registration_blocklist);
    const throttle = new RegistrationThrottle(minSeconds * 1000, o.registration_throttle_cache_size);
    /** Sessions with a registration or password change under way (one at a time). */
    const busy = new WeakSet<Session>();

    module.provides('feature', NS_REGISTER);

    const send = (session: Session, stanza: Element, ...payload: Element[]): true => {
      session.send(xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }, ...payload));
      return true;
    };
    const fail = (session: Session, stanza: Element, type: StanzaErrorType, condition: string, text?: string): true => {
      session.send(errorReply(stanza, type, condition, text));
      return true;
    };

    /**
     * Run `work` (which answers the request) with the session marked busy; a rejection is
     * logged and answered with internal-server-error, never thrown.
     */
    const runExclusive = (session: Session, stanza: Element, work: () => Promise<void>): true => {
      busy.add(session);
      work()
        .catch((err: unknown) => {
          module.log.error({ err, ip: session.ip }, 'in-band registration request failed');
          fail(session, stanza, 'wait', 'internal-server-error');
        })
        .finally(() => busy.delete(session))
        .catch(() => undefined);
      return true;
    };

    /**
     * Registration is offered on this session (XEP-0077 §3.1; only where SASL would be): with
     * allow_registration, or when a module permits this session (an invitation: `registration-permitted`).
     */
    const offered = (session: Session, stanza?: Element): boolean =>
      !session.authenticated && (session.secure || !session.settings.c2s_require_encryption)
      && (allow || module.fire('registration-permitted', { host, session, stanza }) === true);

    // XEP-0077 §4: the stream feature, before authentication
    module.hook('stream-features', ({ session, features }) => {
      if (offered(session)) features.append(xml('register', { xmlns: NS_FEATURE }));
    });

    /** Create the account, then answer (XEP-0077 §3.1); `undo` takes back the throttle entry on failure. */
    const createAccount = async (session: Session, stanza: Element, username: string, password: string, undo: () => void): Promise<void> => {
      let created: string;
      try {
        created = await server.accounts.createAsync(host, username, password);
      } catch (err) {
        undo();
        // XEP-0077 §3.1: a taken username is a conflict; an unusable one is not acceptable
        if (isServerError(err, 'XS_ERR_ACCOUNT_EXISTS')) fail(session, stanza, 'cancel', 'conflict', 'The username is taken');
        else if (isServerError(err, 'XS_ERR_USERNAME_INVALID')) fail(session, stanza, 'modify', 'not-acceptable', 'Invalid username');
        else if (!isServerError(err)) fail(session, stanza, 'modify', 'not-acceptable', 'Invalid password');
        else throw err;
        return;
      }
      module.log.info({ user: created, ip: session.ip, transport: session.transport.kind }, 'account registered in-band');
      module.fire('user-registered', { username: created, host, session, source: 'register' });
      send(session, stanza);
    };

    /** Why `user-registering` handlers refuse the name, or undefined (also for a name createAsync will refuse). */
    const refused = (session: Session, username: string): UserRegisteringEvent['error'] | undefined => {
      let name: string;
      try {
        name = normalizeUsername(username);
      } catch {
        return undefined;
      }
      const event: UserRegisteringEvent = { username: name, host, ip: session.ip, session, allowed: true };
      module.fire('user-registering', event);
      if (event.allowed) return undefined;
      module.log.info({ user: name, ip: session.ip }, 'in-band registration refused by a module');
      return event.error ?? { type: 'modify', condition: 'not-acceptable' };
    };

    // ---- before authentication: the form and account creation (XEP-0077 §3.1) ----
    module.hook(`stanza/iq/${NS_REGISTER}:query`, (event: UnauthedIqEvent) => {
      const session = event.origin ?? event.session;
      const { stanza } = event;
      if (!session || session.authenticated) return undefined;
      const type = stanza.attrs.type;
      if (type !== 'get' && type !== 'set') return true;
      // XEP-0077 §3.1: a host without in-band registration answers service-unavailable
      if (!offered(session, stanza)) return fail(session, stanza, 'cancel', 'service-unavailable');
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
      // One creation per connection at a time (RFC 6120 §8.3.3.18 resource-constraint, type wait)
      if (busy.has(session)) return fail(session, stanza, 'wait', 'resource-constraint', 'A registration is already in progress on this connection');
      // mod_register_limits: blocklisted addresses may not register (RFC 6120 §8.3.3.4 forbidden);
      // others wait between registrations (§8.3.3.12 policy-violation, type wait: retry later)
      if (blocklist.has(session.ip)) {
        module.log.info({ ip: session.ip, transport: session.transport.kind }, 'in-band registration refused: address blocklisted');
        return fail(session, stanza, 'auth', 'forbidden', 'Registration from this address is not allowed');
      }
      const exempt = allowlist.has(session.ip);
      const waitMs = exempt ? 0 : throttle.wait(session.ip);
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        module.log.info({ ip: session.ip, transport: session.transport.kind, retryAfter: seconds }, 'in-band registration throttled');
        return fail(session, stanza, 'wait', 'policy-violation', `Too many registrations from this address; try again in ${seconds} s`);
      }
      // Other modules may refuse the name (Prosody's user-registering; tombstones does)
      const refusal = refused(session, username);
      if (refusal) return fail(session, stanza, refusal.type, refusal.condition, refusal.text);
      // Recorded now, so parallel requests from one address cannot all pass during the derivation.
      const undo = exempt ? () => undefined : throttle.record(session.ip);
      return runExclusive(session, stanza, () => createAccount(session, stanza, username, password, undo));
    });
    if (minSeconds > 0) {
      // Forget throttle entries once they no longer matter.
      module.setInterval(minSeconds * 1000, () => throttle.sweep());
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
      if (busy.has(origin)) return fail(origin, stanza, 'wait', 'resource-constraint', 'A password change is already in progress on this connection');
      return runExclusive(origin, stanza, async () => {
        try {
          await server.accounts.setPasswordAsync(host, user, password);
        } catch (err) {
          if (isServerError(err, 'XS_ERR_ACCOUNT_NOT_FOUND')) return void fail(origin, stanza, 'cancel', 'item-not-found', 'The account no longer exists');
          if (!isServerError(err)) return void fail(origin, stanza, 'modify', 'not-acceptable', 'Invalid password');
          throw err;
        }
        module.log.info({ user }, 'password changed in-band');
        send(origin, stanza);
      });
    });
  },
});
