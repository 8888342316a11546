/**
 * @module saslauth
 * SASL authentication (RFC 6120 §6): offers the mechanisms the connection allows
 * (c2s_require_encryption, allow_unencrypted_plain_auth, -PLUS only with channel binding),
 * runs the exchange, answers failures per §6.5 and closes after sasl_max_failures.
 */
import { randomBytes } from 'node:crypto';
import {
  defineModule, option, xml, NS_SASL,
  type ChannelBindingType, type Element, type NonzaEvent, type Session, type StreamFeaturesEvent,
} from '../../core/api.js';
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
};

/** Per-session SASL state. */
interface SaslState {
  exchange: SaslExchange | undefined;
  mechanism: Mechanism | undefined;
  failures: number;
}

const states = new WeakMap<Session, SaslState>();

function stateOf(session: Session): SaslState {
  let s = states.get(session);
  if (s === undefined) states.set(session, (s = { exchange: undefined, mechanism: undefined, failures: 0 }));
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

export default defineModule({
  name: 'saslauth',
  description: 'SASL authentication: PLAIN, SCRAM-SHA-1, SCRAM-SHA-256 and -PLUS.',
  options,

  load(module) {
    const o = module.options;
    const rawIterations = module.server.config.raw('*', 'scram_iterations');
    const iterations = typeof rawIterations === 'number' ? rawIterations : 10000;
    const secret = randomBytes(32);

    const context = (session: Session, plusOffered: boolean): SaslContext => ({
      host: session.host!,
      accounts: module.server.accounts,
      channelBinding: (type) => (session.encrypted ? session.transport.channelBinding?.(type) : undefined),
      plusOffered,
      iterations,
      secret,
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

    const answer = (session: Session, state: SaslState, step: SaslStep): void => {
      const mechanism = state.mechanism;
      if (step.kind === 'challenge') {
        session.send(xml('challenge', { xmlns: NS_SASL }, step.data.length ? step.data.toString('base64') : undefined));
        return;
      }
      state.exchange = undefined;
      if (step.kind === 'success') {
        session.send(xml('success', { xmlns: NS_SASL }, step.data?.length ? step.data.toString('base64') : undefined));
        session.setAuthenticated(step.username);
        session.log.info({ mechanism, username: step.username }, 'authenticated');
        module.fire('authentication-success', { session, mechanism: mechanism ?? '' });
        return;
      }
      state.failures++;
      session.send(failure(step.condition, step.text));
      session.log.info({ mechanism, condition: step.condition, username: step.username, failures: state.failures }, 'authentication failed');
      module.fire('authentication-failure', { session, mechanism, condition: step.condition });
      // RFC 6120 §6.4.5: a reasonable number of retries, then close.
      if (state.failures >= o.sasl_max_failures) {
        session.close({ condition: 'policy-violation', text: 'Too many failed authentication attempts (sasl_max_failures)' });
      }
    };

    const run = (session: Session, state: SaslState, message: Buffer | undefined): void => {
      let step: SaslStep;
      try {
        step = state.exchange!.step(message);
      } catch (err) {
        session.log.error({ err, mechanism: state.mechanism }, 'SASL mechanism failed');
        step = fail('temporary-auth-failure');
      }
      answer(session, state, step);
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

    module.hook(`stanza/${NS_SASL}:auth`, ({ session, stanza }: NonzaEvent) => {
      const state = stateOf(session);
      if (session.authenticated) {
        session.send(failure('malformed-request', 'Already authenticated'));
        return true;
      }
      state.exchange = undefined;
      state.mechanism = undefined;
      const name = String(stanza.attrs.mechanism ?? '');
      const cbTypes = bindingTypes(session);
      const allowed = offered(session, o.sasl_mechanisms, cbTypes);
      if (!(allowed as string[]).includes(name)) {
        // RFC 6120 §6.5.4 / §6.5.5
        const insecure = !session.secure && (session.settings.c2s_require_encryption || (name === 'PLAIN' && o.sasl_mechanisms.has(name)));
        answer(session, state, fail(insecure ? 'encryption-required' : 'invalid-mechanism'));
        return true;
      }
      const message = decodePayload(stanza, true);
      if (message === null) {
        answer(session, state, fail('incorrect-encoding'));
        return true;
      }
      state.mechanism = name as Mechanism;
      state.exchange = create(state.mechanism, context(session, allowed.some((m) => m.endsWith('-PLUS'))));
      run(session, state, message);
      return true;
    });

    module.hook(`stanza/${NS_SASL}:response`, ({ session, stanza }: NonzaEvent) => {
      const state = stateOf(session);
      if (state.exchange === undefined) {
        answer(session, state, fail('malformed-request', 'No authentication in progress'));
        return true;
      }
      const message = decodePayload(stanza, false);
      if (message === null) answer(session, state, fail('incorrect-encoding'));
      else run(session, state, message);
      return true;
    });

    // RFC 6120 §6.4.4
    module.hook(`stanza/${NS_SASL}:abort`, ({ session }: NonzaEvent) => {
      const state = stateOf(session);
      answer(session, state, fail('aborted'));
      return true;
    });
  },
});
