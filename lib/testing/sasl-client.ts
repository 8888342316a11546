/**
 * The client side of SASL for the scripted client: PLAIN (RFC 4616) and SCRAM-SHA-1 /
 * SCRAM-SHA-256 without channel binding (RFC 5802, RFC 7677). Payloads are raw strings; the
 * caller base64-encodes them on the wire (RFC 6120 §6.4.2).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** One client exchange: the initial response, then a reply per challenge, then a check of the success data. */
export interface SaslClient {
  readonly mechanism: string;
  initial(): string;
  challenge(data: string): string;
  /** Throws when the server's final message does not prove it knows the password. */
  success(data: string): void;
}

/** Mechanisms this client speaks, best first. */
export const CLIENT_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;

export function saslClient(mechanism: string, username: string, password: string): SaslClient {
  if (mechanism === 'PLAIN') {
    return { mechanism, initial: () => `\0${username}\0${password}`, challenge: () => '', success: () => undefined };
  }
  const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : mechanism === 'SCRAM-SHA-1' ? 'sha1' : undefined;
  if (!hash) throw new Error(`the scripted client does not speak SASL ${mechanism}`);
  return scram(mechanism, hash, username, password);
}

function scram(mechanism: string, hash: 'sha1' | 'sha256', username: string, password: string): SaslClient {
  const nonce = randomBytes(18).toString('base64');
  // RFC 5802 §5.1: '=' and ',' in the username are escaped.
  const clientFirstBare = `n=${username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`;
  let serverSignature: Buffer | undefined;
  const hmac = (key: Buffer, data: string): Buffer => createHmac(hash, key).update(data).digest();
  return {
    mechanism,
    initial: () => `n,,${clientFirstBare}`,
    challenge(serverFirst) {
      const fields = new Map(serverFirst.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
      const r = fields.get('r');
      const s = fields.get('s');
      const i = Number(fields.get('i'));
      if (!r?.startsWith(nonce) || !s || !Number.isInteger(i) || i < 1) throw new Error(`invalid SCRAM server-first-message: ${serverFirst}`);
      const salted = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(s, 'base64'), i, hash === 'sha1' ? 20 : 32, hash);
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = createHash(hash).update(clientKey).digest();
      const withoutProof = `c=biws,r=${r}`;
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.from(clientKey.map((b, k) => b ^ signature[k]!));
      serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
      return `${withoutProof},p=${proof.toString('base64')}`;
    },
    success(data) {
      const v = /(?:^|,)v=([^,]*)/.exec(data)?.[1];
      if (!serverSignature || v === undefined) throw new Error('SCRAM: the server sent no verifier');
      const got = Buffer.from(v, 'base64');
      if (got.length !== serverSignature.length || !timingSafeEqual(got, serverSignature)) throw new Error('SCRAM: the server signature is wrong');
    },
  };
}
