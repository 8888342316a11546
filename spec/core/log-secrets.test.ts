/**
 * No password and no SASL payload ever reaches the log: a full session logged at trace level
 * (PLAIN and SCRAM logins, failed logins, an in-band password change) is searched for the
 * passwords, their base64, the PLAIN payloads and the SCRAM messages.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../lib/core/xml.js';
import { captureLog } from '../helpers/log.js';
import { startTestServer } from '../helpers/server.js';
import { IM_CONFIG } from '../helpers/im-server.js';
import { rawClient, xmppJsClient } from '../helpers/im-clients.js';

const OLD = 'Old-Secret-7f3a9';
const NEW = 'New-Secret-c41e2';
const WRONG = 'Wrong-Secret-99d0';

describe('secrets in the log', () => {
  it('a trace-level log of a full session holds no password, base64 password or SASL payload', async () => {
    const log = captureLog('trace');
    const t = await startTestServer({ ...IM_CONFIG, modules_enabled: ['roster', 'saslauth', 'register'], log_level: 'trace' }, { logger: log.logger, users: { romeo: OLD } });
    try {
      await (await xmppJsClient(t.c2sPort, 'romeo', OLD)).stop(); // SCRAM-SHA-1
      await assert.rejects(xmppJsClient(t.c2sPort, 'romeo', WRONG));
      const plain = await rawClient(t.c2sPort, 'romeo', OLD);
      const changed = await plain.iq(xml('iq', { type: 'set' },
        xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, 'romeo'), xml('password', {}, NEW))));
      assert.equal(changed.attrs.type, 'result');
      await plain.stop();
      await assert.rejects(rawClient(t.c2sPort, 'romeo', OLD));
      await (await rawClient(t.c2sPort, 'romeo', NEW)).stop();
    } finally {
      await t.stop();
    }
    const text = log.text();
    // The session was really logged, in detail.
    const authenticated = log.lines.filter((l) => l.msg === 'authenticated').map((l) => l.mechanism);
    assert.deepEqual(authenticated.sort(), ['PLAIN', 'PLAIN', 'SCRAM-SHA-1']);
    assert.equal(log.lines.filter((l) => l.msg === 'authentication failed').length, 2);
    assert.ok(log.lines.some((l) => l.msg === 'password changed in-band'));
    assert.ok(log.lines.some((l) => l.level === 10 || l.level === 20), 'debug lines were written');

    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const secrets = [OLD, NEW, WRONG, b64(OLD), b64(NEW), b64(WRONG),
      b64(`\0romeo\0${OLD}`), b64(`\0romeo\0${NEW}`), // PLAIN payloads
      'n,,n=romeo', b64('n,,n=romeo').slice(0, 12), 'biws', 'c=biws', b64('c=biws').slice(0, 8), // SCRAM client-first / client-final
      ',s=', ',i=4096', // SCRAM server-first
      '<auth', '<response', '<challenge', 'xmpp-sasl'];
    for (const secret of secrets) assert.ok(!text.includes(secret), `the log contains ${JSON.stringify(secret)}`);
  });
});
