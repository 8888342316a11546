/**
 * Tests for lib/modules/ping: XEP-0199 pings to the server and to the own account are
 * answered, from @xmpp/client and from a raw TCP client; without the module they are not.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';

const ping = (to?: string) => xml('iq', { type: 'get', to }, xml('ping', { xmlns: 'urn:xmpp:ping' }));

describe('ping (XEP-0199)', () => {
  it('answers a ping to the server and one with no to, with an empty result', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const r = await a.iq(ping('localhost'));
    assert.equal(r.attrs.type, 'result');
    assert.equal(r.attrs.from, 'localhost');
    assert.equal(r.getChildElements().length, 0);
    const raw = await s.raw('alice', 'y');
    const self = await raw.iq(ping());
    assert.equal(self.attrs.type, 'result');
    assert.equal(self.attrs.to, raw.jid);
  });

  it('is service-unavailable when the module is not loaded', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco'] });
    t.after(() => s.stop());
    const raw = await s.raw('alice', 'y');
    await assert.rejects(raw.iq(ping('localhost')), (err: { condition?: string }) => err.condition === 'service-unavailable');
  });
});
