/**
 * Tests for lib/modules/c2s: listeners and their errors, STARTTLS (including plaintext
 * injection), direct TLS with a certificate per host chosen by SNI, the read-timeout chain
 * with the TCP whitespace keepalive, and what a refused STARTTLS looks like.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { defineModule, type ServerError, type SessionEvent } from '../../../lib/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { selfSignedCertificate, type TestCertificate } from '../../helpers/http.js';
import { WireClient, expectStreamError, header, openStream, starttls } from '../../helpers/wire-client.js';

const PW = 'pw';

describe('c2s', () => {
  let local: TestCertificate;
  let other: TestCertificate;
  before(() => {
    local = selfSignedCertificate(['localhost']);
    other = selfSignedCertificate(['other.example']);
  });
  after(() => {
    local.remove();
    other.remove();
  });

  describe('listeners', () => {
    it('reports its sockets through the listeners event and accepts connections on them', async (ctx) => {
      const t = await startTestServer({});
      ctx.after(() => t.stop());
      const c2s = t.listeners.filter((l) => l.service === 'c2s');
      assert.equal(c2s.length, 1);
      assert.equal(c2s[0]!.address, '127.0.0.1');
      assert.ok(c2s[0]!.port > 0);
      const c = await WireClient.connect(t.c2sPort);
      c.write(header());
      await c.expect(/<stream:stream [^>]*from="localhost"/);
      c.destroy();
    });

    it('a port in use refuses the start with XS_ERR_LISTEN', async (ctx) => {
      const blocker: NetServer = createNetServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      ctx.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
      const port = (blocker.address() as { port: number }).port;
      await assert.rejects(startTestServer({ c2s_ports: [port] }), (err: ServerError) =>
        err.code === 'XS_ERR_LISTEN' && err.message.includes(String(port)) && err.message.includes("'c2s'"));
    });

    it('direct TLS ports without any certificate refuse the start with XS_ERR_CERTIFICATE', async () => {
      await assert.rejects(startTestServer({ c2s_direct_tls_ports: [0] }), (err: ServerError) =>
        err.code === 'XS_ERR_CERTIFICATE' && /c2s_direct_tls_ports/.test(err.message));
    });

    it('a certificate without its key refuses the start with XS_ERR_CERTIFICATE', async () => {
      await assert.rejects(startTestServer({ certificate: local.certificate }), (err: ServerError) =>
        err.code === 'XS_ERR_CERTIFICATE' && /'certificate' and 'key'/.test(err.message));
    });
  });

  describe('TLS', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({
        c2s_direct_tls_ports: [0], c2s_close_timeout: 1,
        VirtualHost: {
          localhost: { certificate: local.certificate, key: local.key },
          'other.example': { certificate: other.certificate, key: other.key },
          'nocert.example': {},
        },
      }, { users: { juliet: PW } });
    });
    after(() => t.stop());

    it('STARTTLS upgrades the stream; the session is then secure and encrypted', async () => {
      const c = await WireClient.connect(t.c2sPort);
      await openStream(c);
      const features = await starttls(c, { ca: readFileSync(local.certificate) });
      assert.match(features, /<mechanisms /);
      const session = [...t.server.sessions.all()].find((s) => s.state === 'open' && s.secure);
      assert.ok(session?.encrypted);
      c.destroy();
    });

    it('plaintext sent after <starttls/> is discarded, never processed as if it were encrypted', async () => {
      const c = await WireClient.connect(t.c2sPort);
      await openStream(c);
      const injected = Buffer.from(`\0juliet\0${PW}`).toString('base64');
      c.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>${header()}<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${injected}</auth>`);
      await c.expect(/<proceed /);
      await c.startTls({ ca: readFileSync(local.certificate) });
      const features = await openStream(c);
      assert.match(features, /<mechanisms /, 'still unauthenticated: SASL is offered');
      assert.doesNotMatch(c.text, /<success/);
      assert.equal((c.text.match(/<stream:stream /g) ?? []).length, 2, 'one header per stream we opened');
      c.destroy();
    });

    it('a host without a certificate gets no STARTTLS and the operator hint', async () => {
      const c = await WireClient.connect(t.c2sPort);
      c.write(header('nocert.example'));
      await c.expect(/<stream:stream /);
      const text = await expectStreamError(c, 'policy-violation');
      assert.match(text, /no certificate is configured for nocert\.example/);
    });

    it('direct TLS presents the certificate of the host named by SNI, the first host without SNI', async () => {
      const port = t.port('c2s_direct_tls');
      const subject = (servername: string | undefined, ca: Buffer): Promise<string> => new Promise((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, servername, ca, checkServerIdentity: () => undefined }, () => {
          resolve(String(s.getPeerCertificate().subject.CN));
          s.destroy();
        });
        s.once('error', reject);
      });
      assert.equal(await subject('other.example', readFileSync(other.certificate)), 'other.example');
      assert.equal(await subject('localhost', readFileSync(local.certificate)), 'localhost');
      assert.equal(await subject(undefined, readFileSync(local.certificate)), 'localhost');
    });

    it('direct TLS sessions are encrypted from the first byte and offer -PLUS', async () => {
      const c = await WireClient.connect(t.port('c2s_direct_tls'), { ca: readFileSync(other.certificate), servername: 'other.example' });
      const features = await openStream(c, 'other.example');
      assert.doesNotMatch(features, /starttls/);
      assert.match(features, /<mechanism>SCRAM-SHA-256-PLUS<\/mechanism>/);
      c.destroy();
    });
  });

  describe('plain TCP', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ c2s_require_encryption: false, allow_unencrypted_plain_auth: true, c2s_close_timeout: 1 }, { users: { juliet: PW } });
    });
    after(() => t.stop());

    it('<starttls/> without a certificate: <failure/> then the stream closes (RFC 6120 §5.4.2.2)', async () => {
      const c = await WireClient.connect(t.c2sPort);
      assert.doesNotMatch(await openStream(c), /starttls/);
      c.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      await c.expect(/^<failure xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/><\/stream:stream>$/);
      c.write('</stream:stream>');
      await c.closed;
    });

    it('a new header pipelined right after <auth/> starts the restarted stream (RFC 6120 §4.3.3)', async () => {
      const c = await WireClient.connect(t.c2sPort);
      await openStream(c);
      c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0juliet\0${PW}`).toString('base64')}</auth>${header()}`);
      await c.expect(/<success /);
      await c.expect(/<stream:stream [^>]*>/);
      assert.match((await c.expect(/<stream:features[\s\S]*?<\/stream:features>/))[0], /xmpp-bind/);
      c.destroy();
    });
  });

  describe('read timeout and keepalive', () => {
    it('sends a whitespace keepalive after network_settings.read_timeout of silence', async (ctx) => {
      const t = await startTestServer({ c2s_require_encryption: false, network_settings: { read_timeout: 0.15 } });
      ctx.after(() => t.stop());
      const c = await WireClient.connect(t.c2sPort);
      await openStream(c);
      await c.expect(/^ /);
      await c.expect(/^ /);
      assert.equal(c.isClosed, false);
      c.destroy();
    });

    it('a c2s-read-timeout handler returning false closes the session with connection-timeout', async (ctx) => {
      const seen: string[] = [];
      const strict = defineModule({
        name: 'test_strict_timeout',
        load(module) {
          module.hook('c2s-read-timeout', (e: SessionEvent) => { seen.push(e.session.id); return false; }, 10);
        },
      });
      const t = await startTestServer({
        c2s_require_encryption: false, network_settings: { read_timeout: 0.15 },
        modules_enabled: ['saslauth', 'test_strict_timeout'],
      }, { modules: [strict] });
      ctx.after(() => t.stop());
      const c = await WireClient.connect(t.c2sPort);
      await openStream(c);
      const text = await expectStreamError(c, 'connection-timeout');
      assert.match(text, /read timeout/);
      assert.equal(seen.length, 1);
      assert.doesNotMatch(c.text, /> <stream:error/, 'no keepalive: the higher-priority handler decided');
    });
  });

  it('the session registry is empty once every client has gone', async (ctx) => {
    const t = await startTestServer({ c2s_require_encryption: false });
    ctx.after(() => t.stop());
    const clients = await Promise.all([1, 2, 3].map(() => WireClient.connect(t.c2sPort)));
    await Promise.all(clients.map((c) => openStream(c)));
    assert.equal(t.server.sessions.count, 3);
    for (const c of clients) c.destroy();
    await Promise.all(clients.map((c) => c.closed));
    for (let i = 0; i < 50 && t.server.sessions.count > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(t.server.sessions.count, 0);
  });
});
