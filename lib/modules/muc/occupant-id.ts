/**
 * @module muc/occupant-id
 * XEP-0421 occupant ids: stable per real bare JID and room, opaque to others: an HMAC of both
 * under a per-component secret kept in storage (so ids survive a restart).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../../core/api.js';

const SECRET_KEY = '@secret';

/** The occupant-id function of a component, creating its secret on first use. */
export function occupantIds(store: KeyValueStore<string>): (roomJid: string, bareJid: string) => string {
  let secret = store.get(SECRET_KEY);
  if (typeof secret !== 'string' || secret.length < 32) {
    secret = randomBytes(32).toString('base64');
    store.set(SECRET_KEY, secret);
  }
  const key = secret;
  return (roomJid, bareJid) => createHmac('sha256', key).update(`${roomJid}\0${bareJid}`).digest('base64url').slice(0, 32);
}
