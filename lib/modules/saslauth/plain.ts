/**
 * @module saslauth/plain
 * SASL PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd` in one message, checked
 * against the stored SCRAM credential. Offered only on secure connections unless allowed.
 */
import { parseJid, saslprep } from '../../core/api.js';
import { fail, type SaslContext, type SaslExchange, type SaslStep } from './mechanism.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** RFC 4616 §2: each field is at most 255 octets. */
const MAX_FIELD = 255;

export class PlainExchange implements SaslExchange {
  readonly #ctx: SaslContext;
  #done = false;

  constructor(ctx: SaslContext) {
    this.#ctx = ctx;
  }

  step(message: Buffer | undefined): SaslStep {
    if (message === undefined) {
      // No initial response: ask for it with an empty challenge (RFC 4422 §5).
      if (this.#done) return fail('malformed-request');
      this.#done = true;
      return { kind: 'challenge', data: Buffer.alloc(0) };
    }
    let text: string;
    try {
      text = utf8.decode(message);
    } catch {
      return fail('incorrect-encoding', 'PLAIN credentials must be UTF-8');
    }
    const parts = text.split('\0');
    if (parts.length !== 3) return fail('malformed-request', 'PLAIN needs [authzid] NUL authcid NUL password');
    const [authzid, authcid, password] = parts as [string, string, string];
    if (!authcid || !password || Buffer.byteLength(authcid) > MAX_FIELD || Buffer.byteLength(password) > MAX_FIELD || Buffer.byteLength(authzid) > MAX_FIELD * 4) {
      return fail('malformed-request', 'empty or over-long PLAIN field');
    }
    let name: string;
    try {
      name = saslprep(authcid);
    } catch {
      return fail('not-authorized');
    }
    const jid = parseJid(`${name}@${this.#ctx.host}`);
    const username = jid?.local;
    if (username === undefined || !this.#ctx.accounts.verifyPassword(this.#ctx.host, username, password)) {
      return fail('not-authorized', undefined, username);
    }
    // The authorization identity must be the authenticated account itself.
    if (authzid !== '' && parseJid(authzid)?.bare !== jid!.bare) return fail('invalid-authzid', undefined, username);
    return { kind: 'success', username };
  }
}
