/**
 * @module saslauth/mechanism
 * The shape of a server-side SASL mechanism (RFC 4422): an exchange that takes the client's
 * messages one by one and answers with a challenge, a success or a failure (RFC 6120 §6.5),
 * at once or later (a password check runs PBKDF2 off the event loop).
 */
import { parseJid } from '../../core/api.js';
import type { Accounts, ChannelBindingType } from '../../core/sasl-api.js';

/** SASL failure conditions (RFC 6120 §6.5). */
export type SaslCondition =
  | 'aborted' | 'account-disabled' | 'credentials-expired' | 'encryption-required' | 'incorrect-encoding'
  | 'invalid-authzid' | 'invalid-mechanism' | 'malformed-request' | 'mechanism-too-weak' | 'not-authorized'
  | 'temporary-auth-failure';

/** One answer of an exchange. */
export type SaslStep =
  | { readonly kind: 'challenge'; readonly data: Buffer }
  | { readonly kind: 'success'; readonly username: string; readonly data?: Buffer }
  | {
    readonly kind: 'failure'; readonly condition: SaslCondition; readonly text?: string;
    /** The identity the client tried (for the log and the per-account throttle). */
    readonly username?: string;
    /** Refused by the failure throttle, without checking credentials. */
    readonly throttled?: 'ip' | 'account';
  };

/** What a mechanism may use: the host's accounts and the connection's channel binding. */
export interface SaslContext {
  readonly host: string;
  readonly accounts: Accounts;
  /** Channel-binding data of this connection, when it has that type (TLS terminated here). */
  channelBinding(type: ChannelBindingType): Buffer | undefined;
  /** Whether -PLUS mechanisms were offered on this connection (RFC 5802 §6: "y" then fails). */
  readonly plusOffered: boolean;
  /** PBKDF2 iterations to pretend for unknown users (so they look like real ones). */
  readonly iterations: number;
  /** A per-server secret for deriving fake salts of unknown users. */
  readonly secret: Buffer;
  /**
   * Called by a mechanism once it knows the identity (`username`, normalised when it can be)
   * and before it checks a credential for it: a failure step when this attempt is throttled
   * (answer it as is), else undefined and the attempt counts against the limits until this
   * step's answer is known.
   */
  admit(username: string | undefined): SaslStep | undefined;
}

/**
 * One authentication attempt; `step` gets each client message (undefined: no initial response)
 * and answers at once or with a promise. The caller never calls `step` again before the
 * previous answer arrived.
 */
export interface SaslExchange {
  step(message: Buffer | undefined): SaslStep | Promise<SaslStep>;
}

/** A failure step. */
export function fail(condition: SaslCondition, text?: string, username?: string): SaslStep {
  return { kind: 'failure', condition, text, username };
}

/**
 * The account an authentication identity names on `host`: a valid JID localpart (PRECIS
 * UsernameCaseMapped, RFC 7622 §3.3) and nothing else, so `user@elsewhere/x` names no account
 * (RFC 6120 §6.3.8: the identity is the localpart). Undefined when it is not one.
 */
export function accountName(identity: string, host: string): string | undefined {
  const jid = parseJid(`${identity}@${host}`);
  if (jid === undefined || jid.local === undefined || jid.resource !== undefined || jid.domain !== host) return undefined;
  return identity.includes('@') || identity.includes('/') ? undefined : jid.local;
}
