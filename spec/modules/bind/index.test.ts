/**
 * Tests for lib/modules/bind: the bind feature after SASL, generated and requested resources,
 * bad resources, the conflict policy (the new session wins, the old gets <conflict/>), the
 * pre-bind gate, legacy session establishment, and the bind/unbind events.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, type SessionEvent, type SessionCloseEvent } from '../../../lib/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { WireClient, authPlain, bind, expectStreamError, login, openStream } from '../../helpers/wire-client.js';

const PW = 'pw';
const events: string[] = [];
const recorder = defineModule({
  name: 'test_bind_events',
  load(module) {
    module.hook('resource-bind', (e: SessionEvent) => { events.push(`bind ${e.session.fullJid}`); });
    module.hook('pre-resource-unbind', (e: SessionEvent) => { events.push(`pre-unbind ${e.session.fullJid}`); });
    module.hook('resource-unbind', (e: SessionEvent) => { events.push(`unbind ${e.session.fullJid}`); });
    module.hook('c2s-closed', (e: SessionCloseEvent) => { events.push(`closed ${e.session.fullJid ?? e.session.id} ${e.reason?.condition ?? ''}`.trim()); });
  },
});

describe('bind', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      c2s_require_encryption: false, allow_unencrypted_plain_auth: true, c2s_close_timeout: 1,
      modules_enabled: ['saslauth', 'test_bind_events'],
    }, { users: { juliet: PW, romeo: PW }, modules: [recorder] });
  });
  after(() => t.stop());

  async function authenticated(user = 'juliet'): Promise<{ c: WireClient; features: string }> {
    const c = await WireClient.connect(t.c2sPort);
    assert.doesNotMatch(await openStream(c), /xmpp-bind/);
    assert.match(await authPlain(c, user, PW), /^<success/);
    return { c, features: await openStream(c) };
  }

  it('offers bind, and session establishment as optional, after authentication', async () => {
    const { c, features } = await authenticated();
    assert.match(features, /<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/>/);
    assert.match(features, /<session xmlns="urn:ietf:params:xml:ns:xmpp-session"><optional\/><\/session>/);
    c.destroy();
  });

  it('generates a resource when the client asks for none', async () => {
    const { c } = await authenticated();
    const jid = await bind(c);
    assert.match(jid, /^juliet@localhost\/[A-Za-z0-9_-]{8,}$/);
    assert.equal(t.server.sessions.get(jid)?.resource, jid.split('/')[1]);
    c.destroy();
  });

  it('binds the requested resource, NFC-normalised', async () => {
    const { c } = await authenticated();
    assert.equal(await bind(c, 'cafe\u0301'), 'juliet@localhost/caf\u00e9');
    c.destroy();
  });

  it('a resource that is not valid gets bad-request and the stream stays usable', async () => {
    const { c } = await authenticated();
    c.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${'x'.repeat(1100)}</resource></bind></iq>`);
    const err = await c.expect(/<iq [^>]*>[\s\S]*?<\/iq>/);
    assert.match(err[0], /type="error"/);
    assert.match(err[0], /<bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
    assert.equal(await bind(c, 'ok'), 'juliet@localhost/ok');
    c.destroy();
  });

  it('before binding, other stanzas get a not-authorized stanza error, not a stream error', async () => {
    const { c } = await authenticated();
    c.write("<iq type='get' id='early'><ping xmlns='urn:xmpp:ping'/></iq>");
    const err = await c.expect(/<iq [^>]*>[\s\S]*?<\/iq>/);
    assert.match(err[0], /id="early"/);
    assert.match(err[0], /<error type="auth"><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
    assert.equal(await bind(c, 'later'), 'juliet@localhost/later');
    c.destroy();
  });

  it('a second bind on a bound stream gets not-allowed; legacy session establishment gets a result', async () => {
    const { client } = await login(t.c2sPort, 'juliet', PW, 'one');
    client.write("<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>two</resource></bind></iq>");
    assert.match((await client.expect(/<iq [^>]*id="b2"[\s\S]*?<\/iq>/))[0], /<not-allowed /);
    client.write("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
    assert.match((await client.expect(/<iq [^>]*id="s1"[^>]*\/>/))[0], /type="result"/);
    client.destroy();
  });

  it('conflict: the new session wins; the old one is unbound first, then gets <conflict/>', async () => {
    const first = await login(t.c2sPort, 'romeo', PW, 'phone');
    const oldSession = t.server.sessions.get('romeo@localhost/phone');
    events.length = 0;
    const second = await login(t.c2sPort, 'romeo', PW, 'phone');
    const text = await expectStreamError(first.client, 'conflict');
    assert.match(text, /Replaced/);
    const now = t.server.sessions.get('romeo@localhost/phone');
    assert.ok(now && now !== oldSession);
    assert.deepEqual(t.server.sessions.ofUser('localhost', 'romeo'), [now]);
    assert.deepEqual(events.slice(0, 3), ['pre-unbind romeo@localhost/phone', 'unbind romeo@localhost/phone', 'bind romeo@localhost/phone']);
    assert.ok(events.includes('closed romeo@localhost/phone conflict'));
    assert.equal(oldSession?.closed, true);
    second.client.destroy();
  });

  it('a closed session is unbound and gone from the registry', async () => {
    const { client, jid } = await login(t.c2sPort, 'juliet', PW, 'bye');
    assert.ok(t.server.sessions.get(jid));
    events.length = 0;
    client.write('</stream:stream>');
    await client.closed;
    assert.equal(t.server.sessions.get(jid), undefined);
    assert.deepEqual(events, [`pre-unbind ${jid}`, `unbind ${jid}`, `closed ${jid}`]);
  });
});
