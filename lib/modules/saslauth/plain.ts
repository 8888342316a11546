/**
 * @module saslauth/plain
 * SASL PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd` in one message, checked
 * against the stored SCRAM credential. Offered only on secure connections unless allowed.
 * The check (PBKDF2) runs on the thread pool, and costs the same for unknown identities.
 */
import { parseJid } from '../../core/api.js';
import { accountName } from './mechanism.js';
import { saslprep } from '../../core/sasl-api.js';
import { fail, type SaslContext, type SaslExchange, type SaslStep } from './mechanism.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** RFC 4013 §2.5: what a client presents is a "query" (unassigned code points allowed). */
const QUERY = { allowUnassigned: true } as const;
/** RFC 4616 §2: each field is at most 255 octets. */
const MAX_FIELD = 255;

export class PlainExchange implements SaslExchange {
  readonly #ctx: SaslContext;
  #done = false;

  constructor(ctx: SaslContext) {
    this.#ctx = ctx;
  }

  step(message: Buffer | undefined): SaslStep | Promise<SaslStep> {
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
    return this.#check(authzid, authcid, password);
  }

  async #check(authzid: string, authcid: string, password: string): Promise<SaslStep> {
    const { host, accounts } = this.#ctx;
    let username: string | undefined;
    try {
      username = accountName(saslprep(authcid, QUERY), host);
    } catch {
      username = undefined;
    }
    const attempted = username ?? authcid;
    const refused = this.#ctx.admit(attempted);
    if (refused) return refused;
    // An identity that cannot exist costs the same work as a wrong password (no enumeration).
    const ok = username === undefined
      ? await accounts.rejectPasswordAsync(host, authcid, password)
      : await accounts.verifyPasswordAsync(host, username, password);
    if (!ok || username === undefined) return fail('not-authorized', undefined, attempted);
    // The authorization identity must be the authenticated account itself.
    if (authzid !== '' && parseJid(authzid)?.bare !== parseJid(`${username}@${host}`)?.bare) return fail('invalid-authzid', undefined, username);
    return { kind: 'success', username };
  }
}
