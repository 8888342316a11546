/**
 * @module saslauth/scram
 * SCRAM-SHA-1 / SCRAM-SHA-256 and their -PLUS variants (RFC 5802, RFC 7677), server side,
 * with channel binding (RFC 5929 tls-server-end-point, RFC 9266 tls-exporter). Unknown users
 * get a believable challenge and fail at the proof, so accounts cannot be enumerated.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { parseJid } from '../../core/api.js';
import { accountName } from './mechanism.js';
import {
  hmac, saslprep, serverSignature, verifyClientProof, type ChannelBindingType, type ScramCredential, type ScramHash,
} from '../../core/sasl-api.js';
import { fail, type SaslContext, type SaslExchange, type SaslStep } from './mechanism.js';

const CHANNEL_BINDING_TYPES: readonly ChannelBindingType[] = ['tls-exporter', 'tls-server-end-point'];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/; // RFC 5802 §7 printable, without ','
/** RFC 4013 §2.5: what a client presents is a "query" (unassigned code points allowed). */
const QUERY = { allowUnassigned: true } as const;

/** Decode a saslname (RFC 5802 §5.1: '=2C' is ',', '=3D' is '='); undefined when malformed. */
export function decodeSaslname(value: string): string | undefined {
  if (/=(?!2C|3D)/.test(value)) return undefined;
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export class ScramExchange implements SaslExchange {
  readonly #ctx: SaslContext;
  readonly #hash: ScramHash;
  readonly #plus: boolean;
  #stage: 'first' | 'final' | 'done' = 'first';
  #gs2Header = '';
  #cbData: Buffer = Buffer.alloc(0);
  #nonce = '';
  #clientFirstBare = '';
  #serverFirst = '';
  #username: string | undefined;
  #credential: ScramCredential | undefined;

  constructor(ctx: SaslContext, hash: ScramHash, plus: boolean) {
    this.#ctx = ctx;
    this.#hash = hash;
    this.#plus = plus;
  }

  step(message: Buffer | undefined): SaslStep {
    if (this.#stage === 'first') {
      this.#stage = 'final';
      return message === undefined ? fail('malformed-request', 'SCRAM needs an initial response') : this.#first(message.toString('utf8'));
    }
    if (this.#stage === 'final') {
      this.#stage = 'done';
      return message === undefined ? fail('malformed-request') : this.#final(message.toString('utf8'));
    }
    return fail('malformed-request', 'the SCRAM exchange is over');
  }

  /** client-first-message = gs2-header client-first-message-bare (RFC 5802 §7). */
  #first(text: string): SaslStep {
    const c1 = text.indexOf(',');
    const c2 = c1 === -1 ? -1 : text.indexOf(',', c1 + 1);
    if (c2 === -1) return fail('malformed-request', 'no GS2 header');
    const flag = text.slice(0, c1);
    const authz = text.slice(c1 + 1, c2);
    this.#gs2Header = text.slice(0, c2 + 1);
    this.#clientFirstBare = text.slice(c2 + 1);
    // Channel binding (RFC 5802 §6).
    if (flag.startsWith('p=')) {
      const type = flag.slice(2) as ChannelBindingType;
      if (!this.#plus) return fail('malformed-request', 'channel binding requested with a non-PLUS mechanism');
      const data = CHANNEL_BINDING_TYPES.includes(type) ? this.#ctx.channelBinding(type) : undefined;
      if (data === undefined) return fail('not-authorized', `channel binding type ${type} is not available`);
      this.#cbData = data;
    } else if (this.#plus) {
      return fail('malformed-request', '-PLUS mechanisms need channel binding (p=)');
    } else if (flag === 'y') {
      // The client thinks we lack channel binding, but we offered it: a downgrade.
      if (this.#ctx.plusOffered) return fail('not-authorized', 'channel binding downgrade detected');
    } else if (flag !== 'n') {
      return fail('malformed-request', 'invalid GS2 channel-binding flag');
    }
    const attrs = this.#clientFirstBare.split(',');
    if (attrs.length < 2 || !attrs[0]!.startsWith('n=') || !attrs[1]!.startsWith('r=')) {
      return fail('malformed-request', attrs[0]?.startsWith('m=') ? 'SCRAM extensions are not supported' : 'expected n= and r=');
    }
    const name = decodeSaslname(attrs[0]!.slice(2));
    const cnonce = attrs[1]!.slice(2);
    if (name === undefined || !name || !PRINTABLE_NONCE.test(cnonce)) return fail('malformed-request');
    let prepped: string;
    try {
      prepped = saslprep(name, QUERY);
    } catch {
      return this.#ctx.admit(name) ?? fail('not-authorized', undefined, name);
    }
    const local = accountName(prepped, this.#ctx.host);
    const jid = local === undefined ? undefined : parseJid(`${local}@${this.#ctx.host}`);
    if (jid?.local === undefined) return this.#ctx.admit(prepped) ?? fail('not-authorized', undefined, prepped);
    // The failure throttle applies before the challenge too.
    const refused = this.#ctx.admit(jid.local);
    if (refused) return refused;
    if (authz !== '') {
      const authzid = authz.startsWith('a=') ? decodeSaslname(authz.slice(2)) : undefined;
      if (authzid === undefined) return fail('malformed-request', 'invalid authzid');
      if (parseJid(authzid)?.bare !== jid.bare) return fail('invalid-authzid', undefined, jid.local);
    }
    this.#username = jid.local;
    this.#credential = this.#ctx.accounts.scramCredential(this.#ctx.host, jid.local, this.#hash);
    const salt = this.#credential?.salt ?? this.#fakeSalt(jid.local);
    const iterations = this.#credential?.iterations ?? this.#ctx.iterations;
    this.#nonce = cnonce + randomBytes(18).toString('base64');
    this.#serverFirst = `r=${this.#nonce},s=${salt},i=${iterations}`;
    return { kind: 'challenge', data: Buffer.from(this.#serverFirst, 'utf8') };
  }

  /** client-final-message = channel-binding "," nonce ["," extensions] "," proof. */
  #final(text: string): SaslStep {
    const username = this.#username;
    // Checked again: failures elsewhere may have reached a limit since the challenge.
    const refused = this.#ctx.admit(username);
    if (refused) return refused;
    const p = text.lastIndexOf(',p=');
    if (p === -1) return fail('malformed-request', 'no proof', username);
    const withoutProof = text.slice(0, p);
    const proof = text.slice(p + 3);
    const attrs = withoutProof.split(',');
    if (attrs.length < 2 || !attrs[0]!.startsWith('c=') || !attrs[1]!.startsWith('r=') || !BASE64.test(proof)) {
      return fail('malformed-request', undefined, username);
    }
    const cbind = attrs[0]!.slice(2);
    const expected = Buffer.concat([Buffer.from(this.#gs2Header, 'utf8'), this.#cbData]);
    const got = BASE64.test(cbind) ? Buffer.from(cbind, 'base64') : Buffer.alloc(0);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return fail('not-authorized', 'channel binding mismatch', username);
    if (attrs[1]!.slice(2) !== this.#nonce) return fail('not-authorized', 'nonce mismatch', username);
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const credential = this.#credential;
    if (credential === undefined || username === undefined || !verifyClientProof(this.#hash, credential, authMessage, proof)) {
      return fail('not-authorized', undefined, username);
    }
    const v = serverSignature(this.#hash, credential, authMessage);
    return { kind: 'success', username, data: Buffer.from(`v=${v}`, 'utf8') };
  }

  /** A stable salt for an account that does not exist (same every time for the same name). */
  #fakeSalt(username: string): string {
    return hmac('SHA-256', this.#ctx.secret, `${this.#ctx.host}\0${username}\0${this.#hash}`).subarray(0, 16).toString('base64');
  }
}
