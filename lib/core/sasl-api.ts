/**
 * @module sasl-api
 * `xmpp-server-core/sasl`: for SASL mechanism authors: SCRAM primitives (RFC 5802, RFC 7677),
 * SASLprep (RFC 4013) and the account store's credential access.
 */
export {
  hmac, digest, xorBuffers, saslprep, hashLength, verifyClientProof, serverSignature, SCRAM_HASHES,
} from './scram.js';
export type { ScramHash, ScramCredential, SaslprepOptions } from './scram.js';
export type { Accounts } from './storage/accounts.js';
export type { ChannelBindingType } from './transport.js';
