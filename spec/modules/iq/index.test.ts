/**
 * Tests for lib/modules/iq (with the router's defaults): unhandled requests get
 * service-unavailable (RFC 6120 §8.4), malformed ones bad-request (§8.2.3), and responses to
 * the server fire iq-result/<kind>/<id> for the module that sent the request.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';

async function condition(p: Promise<Element>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { condition?: string }).condition;
  }
}

describe('iq handling', () => {
  it('answers requests nobody handles with service-unavailable, to the host, the account and a user', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const unknown = (to?: string) => xml('iq', { type: 'get', to }, xml('query', { xmlns: 'urn:example:nothing' }));
    assert.equal(await condition(a.iq(unknown('localhost'))), 'service-unavailable');
    assert.equal(await condition(a.iq(unknown())), 'service-unavailable');
    assert.equal(await condition(a.iq(unknown('bob@localhost'))), 'service-unavailable');
    assert.equal(await condition(a.iq(unknown('bob@localhost/nowhere'))), 'service-unavailable');
    assert.equal(await condition(a.iq(unknown('elsewhere.example'))), 'remote-server-not-found');
  });

  it('answers an iq request without exactly one payload with bad-request', async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const raw = await s.raw('alice', 'r');
    const two = xml('iq', { type: 'get', to: 'localhost' }, xml('a', { xmlns: 'urn:x' }), xml('b', { xmlns: 'urn:x' }));
    assert.equal(await condition(raw.iq(two)), 'bad-request');
    assert.equal(await condition(raw.iq(xml('iq', { type: 'set', to: 'localhost' }))), 'bad-request');
  });

  it('delivers an iq to a full JID and fires iq-result/<kind>/<id> for the reply to a server request', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'a');
    const b = await s.xmppjs('bob', 'b');
    // bob's client answers pings itself (xmpp.js iqCallee)
    const pong = await a.iq(xml('iq', { type: 'get', to: b.jid }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.from, b.jid);

    const bus = s.server.hostEvents('localhost')!;
    const seen = new Promise<Element>((resolve) => bus.on('iq-result/host/srv1', (e) => { resolve(e.stanza as Element); return true; }));
    s.server.route(xml('iq', { type: 'get', id: 'srv1', from: 'localhost', to: b.jid }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const reply = await seen;
    assert.equal(reply.attrs.from, b.jid);
    assert.equal(reply.attrs.type, 'result');
  });
});
