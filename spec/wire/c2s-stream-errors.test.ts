/**
 * Wire tests: every stream error the c2s path raises, provoked over a raw TCP socket and
 * checked as the peer sees it (header, <stream:error/> with the condition, </stream:stream>,
 * then the end of the connection). The server keeps running after each.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, type NonzaEvent } from '../../lib/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WireClient, expectStreamError, header, login, openStream, authPlain } from '../helpers/wire-client.js';

const PW = 'pw-juliet';

// A module whose handler throws, to see internal-server-error.
const faulty = defineModule({
  name: 'faulty',
  load(module) {
    module.hook('stanza/urn:example:boom:boom', (_e: NonzaEvent) => { throw new Error('boom'); });
  },
});

describe('c2s stream errors on the wire', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      c2s_require_encryption: false,
      allow_unencrypted_plain_auth: true,
      c2s_close_timeout: 2,
      modules_enabled: ['saslauth', 'faulty'],
      VirtualHost: {
        localhost: {},
        'small.example': { c2s_unauthed_stanza_size_limit: 2000, c2s_stanza_size_limit: 12000 },
      },
    }, { users: { juliet: PW }, modules: [faulty] });
    t.server.accounts.create('small.example', 'romeo', PW);
  });
  after(() => t.stop());

  async function afterOpen(data: string, to = 'localhost'): Promise<WireClient> {
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c, to);
    c.write(data);
    return c;
  }

  it('not-well-formed: mismatched tags (RFC 6120 §11.3)', async () => {
    const c = await afterOpen('<message><body>x</message>');
    await expectStreamError(c, 'not-well-formed');
  });

  it('not-well-formed: a character XML forbids', async () => {
    const c = await afterOpen('<message>\u0001</message>');
    await expectStreamError(c, 'not-well-formed');
  });

  for (const [what, data] of [
    ['a comment', '<!-- hello -->'],
    ['a processing instruction', '<?foo bar?>'],
    ['an entity reference', '<message><body>&custom;</body></message>'],
  ] as const) {
    it(`restricted-xml: ${what} (RFC 6120 §11.1)`, async () => {
      const c = await afterOpen(data);
      await expectStreamError(c, 'restricted-xml');
    });
  }

  for (const [what, prolog] of [
    ['a DTD', "<?xml version='1.0'?><!DOCTYPE stream>"],
    ['an entity declaration', "<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x 'y'>]>"],
  ] as const) {
    it(`restricted-xml: ${what} before the header, answered after our own header (RFC 6120 §4.9.1.2)`, async () => {
      const c = await WireClient.connect(t.c2sPort);
      c.write(prolog);
      await c.expect(/<stream:stream [^>]*>/);
      await expectStreamError(c, 'restricted-xml');
    });
  }

  it('policy-violation: an element over c2s_unauthed_stanza_size_limit before auth', async () => {
    const c = await afterOpen(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${'A'.repeat(12000)}</auth>`);
    const text = await expectStreamError(c, 'policy-violation');
    assert.ok(text.length > 0);
  });

  it('per-host limits: the unauthenticated limit of small.example is 2000', async () => {
    const big = `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${'A'.repeat(3000)}</auth>`;
    const small = await afterOpen(big, 'small.example');
    await expectStreamError(small, 'policy-violation');
    // The same element is fine on localhost (limit 10000): a SASL failure, not a stream error.
    const ok = await afterOpen(big);
    await ok.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl">/);
    ok.destroy();
  });

  it('per-host limits: after auth, c2s_stanza_size_limit (12000 on small.example) applies', async () => {
    const { client } = await login(t.c2sPort, 'romeo', PW, 'r', 'small.example');
    // Under the limit: processed (an iq to nobody gets service-unavailable).
    client.write(`<iq type='get' id='p1' to='small.example'><query xmlns='urn:example:x'>${'b'.repeat(10000)}</query></iq>`);
    await client.expect(/<iq [^>]*id="p1"[^>]*type="error"|<iq [^>]*type="error"[^>]*id="p1"/);
    client.write(`<message to='nobody@small.example'><body>${'b'.repeat(13000)}</body></message>`);
    await expectStreamError(client, 'policy-violation');
  });

  it("host-unknown: a 'to' this server does not serve", async () => {
    const c = await WireClient.connect(t.c2sPort);
    c.write(header('nope.example'));
    const open = await c.expect(/<stream:stream [^>]*>/);
    assert.match(open[0], /from="localhost"/);
    const text = await expectStreamError(c, 'host-unknown');
    assert.match(text, /nope\.example/);
  });

  it("host-unknown: no 'to' at all", async () => {
    const c = await WireClient.connect(t.c2sPort);
    c.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
    await expectStreamError(c, 'host-unknown');
  });

  it('not-authorized: a stanza before authentication (RFC 6120 §4.3.5)', async () => {
    const c = await afterOpen("<message to='juliet@localhost'><body>hi</body></message>");
    await expectStreamError(c, 'not-authorized');
  });

  it('invalid-namespace: a stream header in the wrong namespace', async () => {
    const c = await WireClient.connect(t.c2sPort);
    c.write("<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong' to='localhost' version='1.0'>");
    await expectStreamError(c, 'invalid-namespace');
  });

  it('invalid-namespace: a stanza outside jabber:client (RFC 6120 §4.8.3)', async () => {
    const c = await afterOpen("<message xmlns='jabber:server' to='a@localhost'/>");
    await expectStreamError(c, 'invalid-namespace');
  });

  it('bad-namespace-prefix: an undeclared prefix', async () => {
    const c = await afterOpen('<foo:bar/>');
    await expectStreamError(c, 'bad-namespace-prefix');
  });

  it('unsupported-version: a header without version 1.0', async () => {
    const c = await WireClient.connect(t.c2sPort);
    c.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='0.9'>");
    await expectStreamError(c, 'unsupported-version');
  });

  it('unsupported-stanza-type: an element nobody handles', async () => {
    const c = await afterOpen("<foo xmlns='urn:example:unknown'/>");
    await expectStreamError(c, 'unsupported-stanza-type');
  });

  it('unsupported-encoding: bytes that are not UTF-8 (RFC 6120 §11.6)', async () => {
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c);
    c.write(Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]));
    await expectStreamError(c, 'unsupported-encoding');
  });

  it('internal-server-error: a handler that throws; the server keeps serving', async () => {
    const c = await afterOpen("<boom xmlns='urn:example:boom'/>");
    await expectStreamError(c, 'internal-server-error');
    const again = await WireClient.connect(t.c2sPort);
    await openStream(again);
    assert.match(await authPlain(again, 'juliet', PW), /^<success/);
    again.destroy();
  });

  it('the peer closing first gets our close and the connection ends', async () => {
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c);
    c.write('</stream:stream>');
    await c.expect(/<\/stream:stream>/);
    await c.closed;
  });
});

describe('c2s stream errors that depend on configuration', () => {
  it('connection-timeout: not authenticated within c2s_timeout', async (ctx) => {
    const t = await startTestServer({ c2s_require_encryption: false, c2s_timeout: 0.2 });
    ctx.after(() => t.stop());
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c);
    const text = await expectStreamError(c, 'connection-timeout');
    assert.match(text, /c2s_timeout/);
  });

  it('policy-violation with an operator hint: encryption required but no certificate', async (ctx) => {
    const t = await startTestServer({});
    ctx.after(() => t.stop());
    const c = await WireClient.connect(t.c2sPort);
    c.write(header());
    await c.expect(/<stream:stream [^>]*>/);
    const text = await expectStreamError(c, 'policy-violation');
    assert.match(text, /no certificate is configured for localhost/);
    assert.match(text, /'certificate' and 'key'/);
  });

  it('undefined-condition: no module offers authentication', async (ctx) => {
    const t = await startTestServer({ c2s_require_encryption: false, modules_enabled: [] });
    ctx.after(() => t.stop());
    const c = await WireClient.connect(t.c2sPort);
    c.write(header());
    const text = await expectStreamError(c, 'undefined-condition');
    assert.match(text, /saslauth/);
  });

  it('system-shutdown: server.stop() closes every session and finishes', async () => {
    const t = await startTestServer({ c2s_require_encryption: false, allow_unencrypted_plain_auth: true }, { users: { juliet: PW } });
    const { client } = await login(t.c2sPort, 'juliet', PW);
    const unauthed = await WireClient.connect(t.c2sPort);
    await openStream(unauthed);
    const stopped = t.stop();
    await Promise.all([expectStreamError(client, 'system-shutdown'), expectStreamError(unauthed, 'system-shutdown')]);
    await stopped;
    assert.equal(t.server.sessions.count, 0);
  });

  it('system-shutdown: stop() finishes even when the client never answers', async () => {
    const t = await startTestServer({ c2s_require_encryption: false, c2s_close_timeout: 0.2 });
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c);
    await t.stop();
    assert.match(c.text, /<system-shutdown /);
    await c.closed;
  });
});
