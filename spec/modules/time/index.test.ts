/**
 * Tests for lib/modules/time (XEP-0202): the server's UTC time (XEP-0082) and time zone offset;
 * only gets to the host's JID are answered.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { zoneOffset } from '../../../lib/modules/time/index.js';
import { startImServer } from '../../helpers/im-server.js';

const NS = 'urn:xmpp:time';
const request = (type: 'get' | 'set', to?: string) => xml('iq', { type, to }, xml('time', { xmlns: NS }));
const failsWith = (condition: string) => (err: { condition?: string }) => err.condition === condition;

describe('time (XEP-0202)', () => {
  it('answers the UTC time and the zone offset, and is listed in disco', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco', 'time'] });
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const before = Date.now();
    const r = await a.iq(request('get', 'localhost'));
    const after = Date.now();
    const time = r.getChild('time', NS)!;
    const utc = time.getChildText('utc')!;
    assert.match(utc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Date.parse(utc) >= before && Date.parse(utc) <= after, `${utc} between the request and the answer`);
    assert.match(time.getChildText('tzo')!, /^[+-]\d\d:\d\d$/);
    assert.equal(time.getChildText('tzo'), zoneOffset(new Date(Date.parse(utc))));
    const disco = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(disco.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
  });

  it('writes zone offsets as XEP-0082 does', () => {
    const at = (minutes: number) => ({ getTimezoneOffset: () => minutes }) as Date;
    assert.equal(zoneOffset(at(0)), '+00:00');
    assert.equal(zoneOffset(at(-120)), '+02:00');
    assert.equal(zoneOffset(at(330)), '-05:30');
  });

  it('is service-unavailable for a set, and for a get to an account', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: ['roster', 'saslauth', 'disco', 'time'] });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(a.iq(request('set', 'localhost')), failsWith('service-unavailable'));
    await assert.rejects(a.iq(request('get', 'bob@localhost')), failsWith('service-unavailable'));
  });
});
