/**
 * Tests for lib/modules/uptime (XEP-0012 §6): a jabber:iq:last query to the server's JID gives
 * the whole seconds since it started.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';

const NS = 'jabber:iq:last';
const failsWith = (condition: string) => (err: { condition?: string }) => err.condition === condition;

describe('uptime (XEP-0012 on the server)', () => {
  it('answers the seconds since the server started', async (t) => {
    const before = Date.now();
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco', 'uptime'] });
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const r = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: NS })));
    const elapsed = Math.ceil((Date.now() - before) / 1000);
    const seconds = Number(r.getChild('query', NS)!.attrs.seconds);
    assert.ok(Number.isInteger(seconds) && seconds >= 0 && seconds <= elapsed, `${seconds} within 0..${elapsed}`);
    assert.equal(r.getChild('query', NS)!.getText(), '');
  });

  it('is service-unavailable without the module, and for a set', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco'] });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: NS }))), failsWith('service-unavailable'));
    const s2 = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco', 'uptime'] });
    t.after(() => s2.stop());
    const b = await s2.raw('alice', 'x');
    await assert.rejects(b.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }))), failsWith('service-unavailable'));
  });
});
