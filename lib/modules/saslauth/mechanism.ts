/**
 * @module saslauth/mechanism
 * The shape of a server-side SASL mechanism (RFC 4422): an exchange that takes the client's
 * messages one by one and answers with a challenge, a success or a failure (RFC 6120 §6.5).
 */
import type { Accounts, ChannelBindingType } from '../../core/api.js';

/** SASL failure conditions (RFC 6120 §6.5). */
export type SaslCondition =
  | 'aborted' | 'account-disabled' | 'credentials-expired' | 'encryption-required' | 'incorrect-encoding'
  | 'invalid-authzid' | 'invalid-mechanism' | 'malformed-request' | 'mechanism-too-weak' | 'not-authorized'
  | 'temporary-auth-failure';

/** One answer of an exchange. */
export type SaslStep =
  | { readonly kind: 'challenge'; readonly data: Buffer }
  | { readonly kind: 'success'; readonly username: string; readonly data?: Buffer }
  | { readonly kind: 'failure'; readonly condition: SaslCondition; readonly text?: string; readonly username?: string };

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
}

/** One authentication attempt; `step` gets each client message (undefined: no initial response). */
export interface SaslExchange {
  step(message: Buffer | undefined): SaslStep;
}

/** A failure step. */
export function fail(condition: SaslCondition, text?: string, username?: string): SaslStep {
  return { kind: 'failure', condition, text, username };
}
