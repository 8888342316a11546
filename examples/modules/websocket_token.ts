/**
 * An example third-party module for the `websocket-session` hook: a web app hands its users a
 * signed token, the browser connects to `wss://host/xmpp-websocket?token=...`, and this module
 * refuses upgrades without a valid token (401/403, before the 101) and annotates the session
 * with the token's user, who is the only one that session may then authenticate as.
 * Enable it with `"plugin_paths": ["path/to/examples/modules"], "modules_enabled": ["websocket", "websocket_token"]`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
// A module outside this repository imports the same APIs from 'xmpp-server-core/api' and 'xmpp-server-core/websocket'.
import { defineModule, option, ServerError, type AuthSuccessEvent } from '../../lib/core/api.js';
import type { WebSocketSessionEvent, WebSocketSessionVerdict } from '../../lib/core/websocket-api.js';

/** Where the token's user is kept on the session. */
export const TOKEN_USER = 'websocket_token_user';

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/**
 * A token for `user`, valid for `ttlSeconds` (what the web app would issue):
 * base64url("user:expiry") + "." + HMAC-SHA-256.
 */
export function makeToken(secret: string, user: string, ttlSeconds: number, now = Date.now()): string {
  const payload = Buffer.from(`${user}:${Math.floor(now / 1000) + ttlSeconds}`).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

/** The user a token names, or why it is not acceptable. */
export function checkToken(secret: string, token: string, now = Date.now()): { user: string } | { error: string } {
  const [payload, mac, extra] = token.split('.');
  if (!payload || !mac || extra !== undefined) return { error: 'malformed token' };
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { error: 'bad signature' };
  const m = /^([^:]+):(\d+)$/.exec(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!m) return { error: 'malformed token' };
  if (Number(m[2]) * 1000 < now) return { error: 'expired token' };
  return { user: m[1]!.toLowerCase() };
}

export default defineModule({
  name: 'websocket_token',
  global: true,
  depends: ['websocket'],
  options: {
    websocket_token_secret: option.string({ default: '', scope: 'global', doc: 'Shared secret of the web app that issues ?token= values (example module; required).' }),
    websocket_token_required: option.boolean({ default: true, scope: 'global', doc: 'Refuse WebSocket upgrades without ?token= (example module); when false, only invalid tokens are refused.' }),
  },
  load(module) {
    const { websocket_token_secret: secret, websocket_token_required: required } = module.options;
    if (secret.length < 16) {
      throw new ServerError('XS_ERR_OPTION_INVALID', { option: 'websocket_token_secret', module: module.name, host: '*', expected: 'a secret of at least 16 characters', got: secret === '' ? '(unset)' : 'a shorter string' });
    }
    // Fired during the upgrade, before the 101: refuse with an HTTP status, or annotate.
    module.hook('websocket-session', ({ session, request }: WebSocketSessionEvent): WebSocketSessionVerdict => {
      const token = request.url.searchParams.get('token');
      if (token === null) return required ? { status: 401, message: 'A ?token= is required to connect.' } : undefined;
      const result = checkToken(secret, token);
      if ('error' in result) {
        module.log.info({ ip: request.ip, reason: result.error }, 'websocket token refused');
        return { status: 403, message: `The token was refused (${result.error}).` };
      }
      session.data[TOKEN_USER] = result.user;
      return undefined;
    });
  },
  addHost(module) {
    // The session may only log in as the token's user.
    module.hook('authentication-success', ({ session }: AuthSuccessEvent) => {
      const user = session.data[TOKEN_USER];
      if (user !== undefined && user !== session.username) {
        session.close({ condition: 'not-authorized', text: 'This connection\'s token was issued to another user' });
      }
    });
  },
});
