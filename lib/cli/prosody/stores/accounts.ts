/**
 * @module cli/prosody/stores/accounts
 * Prosody's `accounts` store: `{ password = "..." }` (internal_plain) or `{ salt, iteration_count,
 * stored_key, server_key }` in hex (internal_hashed, SCRAM-SHA-1 unless password_hash was
 * SHA-256). A plain password gives both our credentials (SCRAM-SHA-1 and SCRAM-SHA-256); hashed
 * keys are kept as they are (the salt is the UUID text Prosody generated, used as bytes), so
 * users keep their passwords; the other hash cannot be derived without the password.
 */
import { ACCOUNTS_STORE, type AccountRecord } from '../../../core/storage/accounts.js';
import { normalizeUsername } from '../../../core/storage/index.js';
import type { ScramCredential, ScramHash } from '../../../core/scram.js';
import type { StoreImporter } from '../importer.js';
import { LuaTable } from '../lua-value.js';

const HEX = /^(?:[0-9a-f]{2})+$/i;

/** The hashed credential of a Prosody account record, or why there is none. */
export function hashedCredential(record: LuaTable): { hash: ScramHash; credential: ScramCredential } | string {
  const salt = record.get('salt');
  const iterations = record.get('iteration_count');
  const storedKey = record.get('stored_key');
  const serverKey = record.get('server_key');
  if (typeof salt !== 'string' || salt === '') return 'it has no salt';
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < 1) return 'its iteration_count is not a positive integer';
  if (typeof storedKey !== 'string' || typeof serverKey !== 'string' || !HEX.test(storedKey) || !HEX.test(serverKey) || storedKey.length !== serverKey.length) {
    return 'its stored_key / server_key are not hex keys of one length';
  }
  const hash: ScramHash | undefined = storedKey.length === 40 ? 'SHA-1' : storedKey.length === 64 ? 'SHA-256' : undefined;
  if (!hash) return `its keys are ${storedKey.length / 2} bytes long (SCRAM-SHA-1 has 20, SCRAM-SHA-256 32)`;
  return {
    hash,
    credential: {
      salt: Buffer.from(salt, 'utf8').toString('base64'),
      iterations,
      storedKey: Buffer.from(storedKey, 'hex').toString('base64'),
      serverKey: Buffer.from(serverKey, 'hex').toString('base64'),
    },
  };
}

export const accountsImporter: StoreImporter = {
  stores: (s) => s === 'accounts',
  first: true,
  importFile(ctx, file) {
    const { report, host } = ctx;
    if (file.user === undefined || file.kind !== 'dat') return report.skip(file.where, 'file', 'not an account file');
    let name: string;
    try {
      name = normalizeUsername(file.user);
    } catch (err) {
      return report.skip(file.where, `account '${file.user}'`, `the username is not valid here (${(err as Error).message})`);
    }
    if (ctx.accounts.exists(host, name)) return report.skip(file.where, `account '${name}'`, 'an account of that name exists here already (left as it is)');
    const record = file.value;
    if (!(record instanceof LuaTable)) return report.skip(file.where, `account '${name}'`, 'the file does not hold an account record');
    const password = record.get('password');
    if (typeof password === 'string' && password !== '') {
      try {
        ctx.accounts.create(host, name, password);
      } catch (err) {
        return report.skip(file.where, `account '${name}'`, `its password cannot be stored here (${(err as Error).message.replace(/:.*/, '')})`);
      }
      report.count(host, 'accounts');
      report.count(host, 'accounts from plain passwords');
      return;
    }
    if (record.get('stored_key') === undefined && record.get('salt') === undefined) {
      return report.skip(file.where, `account '${name}'`, 'it has no password or credentials (created without a password)');
    }
    const cred = hashedCredential(record);
    if (typeof cred === 'string') return report.skip(file.where, `account '${name}'`, cred);
    const value: AccountRecord = { scram: { [cred.hash]: cred.credential } as AccountRecord['scram'], created: Date.now() };
    ctx.driver.set(host, ACCOUNTS_STORE, name, value);
    report.count(host, 'accounts');
    report.count(host, `accounts with ${cred.hash} keys only`);
  },
};
