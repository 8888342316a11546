/**
 * Tests for examples/modules/websocket_token.ts, loaded by name from plugin_paths: upgrades
 * without a token get 401, bad or expired tokens 403 (before any 101), a good token annotates
 * the session, and that session may then only authenticate as the token's user.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isServerError } from '../../lib/core/api.js';
import { makeToken, TOKEN_USER } from '../../examples/modules/websocket_token.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WsProbe, errorCondition, wsLogin } from '../helpers/ws-probe.js';

const pluginDir = join(import.meta.dirname, '..', '..', 'examples', 'modules');
const SECRET = 'a-long-enough-shared-secret';

describe('examples/modules/websocket_token', () => {
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({
      plugin_paths: [pluginDir],
      modules_enabled: ['saslauth', 'websocket', 'websocket_token'],
      consider_websocket_secure: true,
      websocket_token_secret: SECRET,
    }, { users: { juliet: 'pw', romeo: 'pw' } });
    port = t.port('http');
  });
  after(() => t?.stop());

  const refusal = async (path: string): Promise<{ status: number; body: string }> => {
    const p = await WsProbe.open(port, { path });
    const { status } = await p.head;
    await p.ended;
    return { status, body: p.body };
  };

  it('refuses an upgrade without a token with 401, before switching protocols', async () => {
    const r = await refusal('/xmpp-websocket');
    assert.equal(r.status, 401);
    assert.match(r.body, /token= is required/);
  });

  it('refuses forged and expired tokens with 403', async () => {
    const forged = makeToken('another-secret-entirely', 'juliet', 60);
    assert.equal((await refusal(`/xmpp-websocket?token=${forged}`)).status, 403);
    const expired = makeToken(SECRET, 'juliet', -10);
    const r = await refusal(`/xmpp-websocket?token=${expired}`);
    assert.equal(r.status, 403);
    assert.match(r.body, /expired token/);
    assert.equal((await refusal('/xmpp-websocket?token=garbage')).status, 403);
  });

  it('annotates the session with the token\'s user, who can log in', async () => {
    const { probe, jid } = await wsLogin(port, 'juliet', 'pw', { request: { path: `/xmpp-websocket?token=${makeToken(SECRET, 'juliet', 60)}` } });
    const session = t.server.sessions.get(jid);
    assert.equal(session?.data[TOKEN_USER], 'juliet');
    assert.equal((session?.data.request as { url: URL }).url.searchParams.has('token'), true, 'the request stays on the session');
    probe.destroy();
  });

  it('closes a session that authenticates as someone else than the token names', async () => {
    const p = await WsProbe.connect(port, { path: `/xmpp-websocket?token=${makeToken(SECRET, 'juliet', 60)}` });
    await p.open();
    assert.match(await p.authPlain('romeo', 'pw'), /^<success/);
    const error = await p.until(/^<stream:error/);
    assert.equal(errorCondition(error.input), 'not-authorized');
    p.destroy();
  });

  it('refuses to start without a secret', async () => {
    await assert.rejects(
      startTestServer({ plugin_paths: [pluginDir], modules_enabled: ['saslauth', 'websocket', 'websocket_token'] }),
      (err) => isServerError(err) && err.code === 'XS_ERR_OPTION_INVALID' && /websocket_token_secret/.test(err.message),
    );
  });
});
