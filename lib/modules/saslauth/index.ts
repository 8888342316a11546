/**
 * @module saslauth
 * SASL authentication (RFC 6120 §6): offers the mechanisms the connection allows
 * (c2s_require_encryption, allow_unencrypted_plain_auth, -PLUS only with channel binding),
 * runs the exchange, answers failures per §6.5 and closes after sasl_max_failures. Exchange
 * steps may answer later (PBKDF2 on the thread pool): meanwhile the session's further SASL
 * elements wait in order. Failed credentials are throttled per IP and per account
 * (limit_auth_*), and every outcome is logged with the address for tools such as fail2ban.
 */
import { randomBytes } from 'node:crypto';
import {
  defineModule, option, xml, NS_SASL, type Element, type NonzaEvent, type Session, type StreamFeaturesEvent,
} from '../../core/api.js';
import type { ChannelBindingType } from '../../core/sasl-api.js';
import { AuthThrottle, type AuthAttempt, type ThrottleReason } from './limits.js';
import { fail, type SaslContext, type SaslExchange, type SaslStep } from './mechanism.js';
import { PlainExchange } from './plain.js';
import { ScramExchange } from './scram.js';

/** Mechanisms in order of preference. */
export const MECHANISMS = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;
type Mechanism = (typeof MECHANISMS)[number];

/** XEP-0440: channel-binding types advertised in the stream features. */
const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';
const CHANNEL_BINDINGS: readonly ChannelBindingType[] = ['tls-exporter', 'tls-server-end-point'];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const options = {
  sasl_mechanisms: option.set({
    default: new Set<string>(MECHANISMS), values: MECHANISMS,
    doc: 'SASL mechanisms to offer (a subset of PLAIN, SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants).',
  }),
  sasl_max_failures: option.integer({
    default: 3, min: 1, max: 20,
    doc: 'Failed SASL attempts allowed per connection; the next failure closes the stream with policy-violation.',
  }),
  limit_auth_period: option.number({
    default: 30, min: 1,
    doc: 'Window in seconds over which failed authentications are counted for limit_auth_max and limit_auth_account_max (as Prosody\'s mod_limit_auth).',
  }),
  limit_auth_max: option.integer({
    default: 5, min: 1,
    doc: 'Failed authentications per IP address within limit_auth_period; further attempts from that address get temporary-auth-failure without a password check until the period is over. Loopback is not exempt.',
  }),
  limit_auth_account_max: option.integer({
    default: 10, min: 1,
    doc: 'Failed authentications per account (attempted username, from any address) within limit_auth_period; further attempts for that account get temporary-auth-failure until the period is over.',
  }),
  limit_auth_cache_size: option.integer({
    default: 10000, min: 10,
    doc: 'Addresses and usernames the authentication failure throttle remembers (each table); when full, expired and then the oldest entries are forgotten.',
  }),
};

/** RFC 6120 §6.5.11: the attempt is refused for now; the client may retry later. */
const THROTTLED_TEXT = 'Too many failed authentication attempts; try again later';
/** Longest attempted username put in a log line. */
const MAX_LOGGED_NAME = 256;

/** Per-session SASL state. */
interface SaslState {
  exchange: SaslExchange | undefined;
  mechanism: Mechanism | undefined;
  failures: number;
  /** The attempt the current step admitted against the throttle. */
  attempt: AuthAttempt | undefined;
  /** The username the current step admitted (for the log). */
  attempted: string | undefined;
}

const states = new WeakMap<Session, SaslState>();

function stateOf(session: Session): SaslState {
  let s = states.get(session);
  if (s === undefined) {
    s = { exchange: undefined, mechanism: undefined, failures: 0, attempt: undefined, attempted: undefined };
    states.set(session, s);
  }
  return s;
}

/** Channel-binding types this connection can provide (TLS terminated by this process). */
function bindingTypes(session: Session): ChannelBindingType[] {
  if (!session.encrypted || !session.transport.channelBinding) return [];
  return CHANNEL_BINDINGS.filter((t) => session.transport.channelBinding!(t) !== undefined);
}

/** The mechanisms this session may use, in order of preference. */
function offered(session: Session, enabled: ReadonlySet<string>, cbTypes: readonly ChannelBindingType[]): Mechanism[] {
  if (session.authenticated) return [];
  const { c2s_require_encryption: requireEncryption, allow_unencrypted_plain_auth: plainInsecure } = session.settings;
  if (!session.secure && requireEncryption) return [];
  return MECHANISMS.filter((m) => enabled.has(m)
    && (!m.endsWith('-PLUS') || cbTypes.length > 0)
    && (m !== 'PLAIN' || session.secure || plainInsecure));
}

/** base64 payload of <auth>/<response> (RFC 6120 §6.4.2: '=' is empty, no text is no data). */
function decodePayload(el: Element, initial: boolean): Buffer | undefined | null {
  const text = el.getText().trim();
  if (text === '') return initial ? undefined : Buffer.alloc(0);
  if (text === '=') return Buffer.alloc(0);
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

function failure(condition: string, text?: string): Element {
  const el = xml('failure', { xmlns: NS_SASL }, xml(condition));
  if (text) el.append(xml('text', { 'xml:lang': 'en' }, text));
  return el;
}

/** The refusal of a throttled attempt (RFC 6120 §6.5.11 temporary-auth-failure). */
function throttledStep(username: string | undefined, reason: ThrottleReason): SaslStep {
  return { kind: 'failure', condition: 'temporary-auth-failure', text: THROTTLED_TEXT, username, throttled: reason };
}

/** A failure that counts against the throttle: credentials were checked and did not match. */
function failedCredentials(step: SaslStep): boolean {
  return step.kind === 'failure' && step.condition === 'not-authorized';
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

/** What every authentication log line says about where the attempt came from. */
function origin(session: Session): { ip: string; host: string | undefined; transport: string } {
  return { ip: session.ip, host: session.host, transport: session.transport.kind };
}

function loggedName(name: string | undefined): string | undefined {
  return name !== undefined && name.length > MAX_LOGGED_NAME ? `${name.slice(0, MAX_LOGGED_NAME)}…` : name;
}

export default defineModule({
  name: 'saslauth',
  description: 'SASL authentication: PLAIN, SCRAM-SHA-1, SCRAM-SHA-256 and -PLUS.',
  options,

  load(module) {
    const o = module.options;
    const rawIterations = module.server.config.raw('*', 'scram_iterations');
    const iterations = typeof rawIterations === 'number' ? rawIterations : 10000;
    const secret = randomBytes(32);
    const throttle = new AuthThrottle({
      periodMs: o.limit_auth_period * 1000,
      maxPerIp: o.limit_auth_max,
      maxPerAccount: o.limit_auth_account_max,
      capacity: o.limit_auth_cache_size,
    });
    module.setInterval(o.limit_auth_period * 1000, () => throttle.sweep());

    const context = (session: Session, state: SaslState, plusOffered: boolean): SaslContext => ({
      host: session.host!,
      accounts: module.server.accounts,
      channelBinding: (type) => (session.encrypted ? session.transport.channelBinding?.(type) : undefined),
      plusOffered,
      iterations,
      secret,
      admit: (username) => {
        state.attempted = username;
        const reason = throttle.blocked(session.ip, username);
        if (reason !== undefined) return throttledStep(username, reason);
        state.attempt?.settle(false);
        state.attempt = throttle.begin(session.ip, username);
        return undefined;
      },
    });

    const create = (mechanism: Mechanism, ctx: SaslContext): SaslExchange => {
      switch (mechanism) {
        case 'PLAIN': return new PlainExchange(ctx);
        case 'SCRAM-SHA-1': return new ScramExchange(ctx, 'SHA-1', false);
        case 'SCRAM-SHA-256': return new ScramExchange(ctx, 'SHA-256', false);
        case 'SCRAM-SHA-1-PLUS': return new ScramExchange(ctx, 'SHA-1', true);
        case 'SCRAM-SHA-256-PLUS': return new ScramExchange(ctx, 'SHA-256', true);
      }
    };

    /**
     * The answer of a step. The throttle and the log hear about it even when the session
     * closed meanwhile (a client must not dodge the count by hanging up); the peer only
     * while the session is open.
     */
    const answer = (session: Session, state: SaslState, step: SaslStep): void => {
      const mechanism = state.mechanism;
      const attempt = state.attempt;
      state.attempt = undefined;
      attempt?.settle(failedCredentials(step));
      if (step.kind === 'challenge') {
        if (session.closed) return;
        session.send(xml('challenge', { xmlns: NS_SASL }, step.data.length ? step.data.toString('base64') : undefined));
        return;
      }
      state.exchange = undefined;
      const attempted = loggedName(step.kind === 'failure' ? step.username ?? state.attempted : step.username);
      state.attempted = undefined;
      if (step.kind === 'success') {
        if (session.closed) {
          session.log.debug({ ...origin(session), mechanism, username: step.username }, 'authentication succeeded after the session closed; ignored');
          return;
        }
        session.send(xml('success', { xmlns: NS_SASL }, step.data?.length ? step.data.toString('base64') : undefined));
        session.setAuthenticated(step.username);
        // The same line as session.log's, without making a session logger for every login.
        module.server.log.info({ session: session.id, ...origin(session), mechanism, username: step.username }, 'authenticated');
        module.fire('authentication-success', { session, mechanism: mechanism ?? '' });
        return;
      }
      state.failures++;
      const fields = { ...origin(session), mechanism, username: attempted, condition: step.condition, failures: state.failures };
      if (step.throttled) session.log.info({ ...fields, limit: step.throttled }, 'authentication throttled');
      else session.log.info(fields, 'authentication failed');
      if (session.closed) return;
      session.send(failure(step.condition, step.text));
      module.fire('authentication-failure', { session, mechanism, condition: step.condition });
      // RFC 6120 §6.4.5: a reasonable number of retries, then close.
      if (state.failures >= o.sasl_max_failures) {
        session.close({ condition: 'policy-violation', text: 'Too many failed authentication attempts (sasl_max_failures)' });
      }
    };

    const run = (session: Session, state: SaslState, message: Buffer | undefined): void => {
      const mechanism = state.mechanism;
      let result: SaslStep | Promise<SaslStep>;
      try {
        result = state.exchange!.step(message);
      } catch (err) {
        session.log.error({ err, mechanism }, 'SASL mechanism failed');
        result = fail('temporary-auth-failure');
      }
      if (!isPromise(result)) {
        answer(session, state, result);
        return;
      }
      // The check runs off the event loop; the client's next input (a pipelined stream header,
      // another <auth/>) waits until it is answered, in order (RFC 6120 §4.3.3, §6.4).
      session.holdInput();
      result
        .catch((err: unknown) => {
          session.log.error({ err, mechanism }, 'SASL mechanism failed');
          return fail('temporary-auth-failure');
        })
        .then((step) => {
          try {
            answer(session, state, step);
          } catch (err) {
            session.log.error({ err, mechanism }, 'could not answer a SASL step');
            session.close('internal-server-error');
          }
          session.releaseInput();
        })
        .catch((err: unknown) => { session.log.error({ err, mechanism }, 'could not answer a SASL step'); });
    };

    module.hook('stream-features', ({ session, features }: StreamFeaturesEvent) => {
      const cbTypes = bindingTypes(session);
      const mechanisms = offered(session, o.sasl_mechanisms, cbTypes);
      if (mechanisms.length === 0) return;
      features.append(xml('mechanisms', { xmlns: NS_SASL }, ...mechanisms.map((m) => xml('mechanism', {}, m))));
      if (mechanisms.some((m) => m.endsWith('-PLUS'))) {
        features.append(xml('sasl-channel-binding', { xmlns: NS_SASL_CB }, ...cbTypes.map((type) => xml('channel-binding', { type }))));
      }
    });

    const onAuth = (session: Session, stanza: Element): void => {
      const state = stateOf(session);
      if (session.authenticated) {
        session.send(failure('malformed-request', 'Already authenticated'));
        return;
      }
      state.exchange = undefined;
      state.mechanism = undefined;
      state.attempted = undefined;
      const name = String(stanza.attrs.mechanism ?? '');
      const cbTypes = bindingTypes(session);
      const allowed = offered(session, o.sasl_mechanisms, cbTypes);
      if (!(allowed as string[]).includes(name)) {
        // RFC 6120 §6.5.4 encryption-required / §6.5.7 invalid-mechanism
        const insecure = !session.secure && (session.settings.c2s_require_encryption || (name === 'PLAIN' && o.sasl_mechanisms.has(name)));
        answer(session, state, fail(insecure ? 'encryption-required' : 'invalid-mechanism'));
        return;
      }
      state.mechanism = name as Mechanism;
      // The failure throttle is applied by the mechanism (SaslContext.admit) as soon as it
      // knows the identity: before a password check, and before a SCRAM challenge.
      const message = decodePayload(stanza, true);
      if (message === null) {
        answer(session, state, fail('incorrect-encoding'));
        return;
      }
      state.exchange = create(state.mechanism, context(session, state, allowed.some((m) => m.endsWith('-PLUS'))));
      run(session, state, message);
    };

    const onResponse = (session: Session, stanza: Element): void => {
      const state = stateOf(session);
      if (state.exchange === undefined) {
        answer(session, state, fail('malformed-request', 'No authentication in progress'));
        return;
      }
      const message = decodePayload(stanza, false);
      if (message === null) answer(session, state, fail('incorrect-encoding'));
      else run(session, state, message);
    };

    module.hook(`stanza/${NS_SASL}:auth`, ({ session, stanza }: NonzaEvent) => {
      onAuth(session, stanza);
      return true;
    });

    module.hook(`stanza/${NS_SASL}:response`, ({ session, stanza }: NonzaEvent) => {
      onResponse(session, stanza);
      return true;
    });

    // RFC 6120 §6.4.4
    module.hook(`stanza/${NS_SASL}:abort`, ({ session }: NonzaEvent) => {
      answer(session, stateOf(session), fail('aborted'));
      return true;
    });
  },
});
