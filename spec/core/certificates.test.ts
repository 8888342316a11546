/**
 * Tests for lib/core/certificates.ts: each host's certificate and key read once (PEM, context,
 * DER, names, tls-server-end-point), paths relative to the config file, lookup by host, by
 * alias (http_host) and by SNI with its default, the one XS_ERR_CERTIFICATE text for a
 * missing, unreadable or mismatched pair, and channel-binding data over real TLS sockets.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { CertificateStore, channelBindingData, endPointHash, type HostCertificate } from '../../lib/core/certificates.js';
import { Config, type RawConfig } from '../../lib/core/config.js';
import type { ServerError } from '../../lib/core/errors.js';
import { Server } from '../../lib/core/server.js';
import { MemoryDriver } from '../../lib/core/storage/memory.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import { captureLog } from '../helpers/log.js';
import { startTestServer } from '../helpers/server.js';

function store(hosts: RawConfig['VirtualHost'], global: RawConfig = {}, file?: string): CertificateStore {
  return new CertificateStore(new Config({ ...global, VirtualHost: hosts }, file));
}

const isCertificateError = (...parts: string[]) => (err: ServerError): boolean =>
  err.code === 'XS_ERR_CERTIFICATE' && parts.every((p) => err.message.includes(p));

describe('core certificates', () => {
  let a: TestCertificate;
  let b: TestCertificate;
  before(() => {
    a = selfSignedCertificate(['a.example']);
    b = selfSignedCertificate(['chat.b.example', 'b.example']);
  });
  after(() => {
    a.remove();
    b.remove();
  });

  describe('loading', () => {
    it('reads a host\'s pair once: PEM contents, a context, the DER, its names and its tls-server-end-point', () => {
      const certs = store({ 'a.example': { certificate: a.certificate, key: a.key }, 'none.example': {} });
      const got = certs.get('a.example')!;
      assert.equal(got.host, 'a.example');
      assert.equal(got.certificateFile, a.certificate);
      assert.equal(got.keyFile, a.key);
      assert.deepEqual(got.cert, readFileSync(a.certificate));
      assert.deepEqual(got.key, readFileSync(a.key));
      assert.ok(got.context.context, 'a SecureContext');
      assert.deepEqual(got.der, got.x509.raw);
      assert.deepEqual(got.names, ['a.example']);
      // RFC 5929 §4.1: sha256WithRSAEncryption -> SHA-256 of the DER certificate.
      assert.deepEqual(got.endPoint, createHash('sha256').update(got.der).digest());
      assert.equal(certs.get('A.Example.'), got, 'the same object, whatever the case or a trailing dot');
      assert.equal(certs.get('none.example'), undefined);
      assert.equal(certs.get('not-a-vhost.example'), undefined);
      assert.deepEqual(certs.hosts(), ['a.example']);
    });

    it('names the subjectAltName DNS entries', () => {
      const got = store({ 'b.example': { certificate: b.certificate, key: b.key } }).get('b.example')!;
      assert.deepEqual(got.names, ['chat.b.example', 'b.example']);
    });

    it('keeps what it read: the files are not read again', () => {
      const dir = mkdtempSync(join(tmpdir(), 'xs-certs-once-'));
      try {
        copyFileSync(a.certificate, join(dir, 'a.crt'));
        copyFileSync(a.key, join(dir, 'a.key'));
        const certs = store({ 'a.example': { certificate: join(dir, 'a.crt'), key: join(dir, 'a.key') } });
        const first = certs.get('a.example');
        rmSync(join(dir, 'a.crt'));
        assert.equal(certs.get('a.example'), first);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reads a global pair once for every host that inherits it', () => {
      const certs = store({ 'a.example': {}, 'b.example': {} }, { certificate: a.certificate, key: a.key });
      const [x, y] = [certs.get('a.example')!, certs.get('b.example')!];
      assert.deepEqual([x.host, y.host], ['a.example', 'b.example']);
      assert.equal(x.context, y.context);
    });

    it('resolves relative paths against the config file\'s folder, not the working directory', () => {
      const dir = mkdtempSync(join(tmpdir(), 'xs-certs-rel-'));
      try {
        mkdirSync(join(dir, 'tls'));
        copyFileSync(a.certificate, join(dir, 'tls', 'a.crt'));
        copyFileSync(a.key, join(dir, 'tls', 'a.key'));
        assert.notEqual(process.cwd(), dir);
        const certs = store({ 'a.example': { certificate: 'tls/a.crt', key: './tls/a.key' } }, {}, join(dir, 'server.json'));
        const got = certs.get('a.example')!;
        assert.equal(got.certificateFile, join(dir, 'tls', 'a.crt'));
        assert.equal(got.keyFile, join(dir, 'tls', 'a.key'));
        assert.deepEqual(got.names, ['a.example']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('one error text (XS_ERR_CERTIFICATE naming host, file and reason)', () => {
    it('a certificate without its key, or a key without its certificate', () => {
      const certs = store({ 'half.example': { certificate: a.certificate }, 'other.example': { key: a.key } });
      assert.throws(() => certs.get('half.example'), isCertificateError("host 'half.example'", a.certificate, "'key' is not set", "'certificate' and 'key'"));
      assert.throws(() => certs.get('other.example'), isCertificateError("host 'other.example'", a.key, "'certificate' is not set"));
    });

    it('a value that is no path', () => {
      const certs = store({ 'odd.example': { certificate: a.certificate, key: 42 } });
      assert.throws(() => certs.get('odd.example'), isCertificateError("host 'odd.example'", "'key' must be a PEM file path"));
    });

    it('a missing key file names the key file', () => {
      const certs = store({ 'a.example': { certificate: a.certificate, key: '/nonexistent/a.key' } });
      assert.throws(() => certs.get('a.example'), isCertificateError("host 'a.example'", "('/nonexistent/a.key')", 'cannot be read', 'ENOENT'));
    });

    it('a missing certificate file names the certificate file', () => {
      const certs = store({ 'a.example': { certificate: '/nonexistent/a.crt', key: '/nonexistent/a.key' } });
      assert.throws(() => certs.get('a.example'), isCertificateError("('/nonexistent/a.crt')", 'cannot be read', 'ENOENT'));
    });

    it('a key that does not match the certificate', () => {
      const certs = store({ 'a.example': { certificate: a.certificate, key: b.key } });
      assert.throws(() => certs.get('a.example'), isCertificateError("host 'a.example'", a.certificate, `the key '${b.key}' does not match the certificate`));
    });

    it('files that are not PEM', () => {
      const dir = mkdtempSync(join(tmpdir(), 'xs-certs-bad-'));
      try {
        writeFileSync(join(dir, 'junk.pem'), 'not a pem');
        const certs = store({
          'c.example': { certificate: join(dir, 'junk.pem'), key: a.key },
          'k.example': { certificate: a.certificate, key: join(dir, 'junk.pem') },
        });
        assert.throws(() => certs.get('c.example'), isCertificateError('junk.pem', 'not a PEM certificate'));
        assert.throws(() => certs.get('k.example'), isCertificateError('junk.pem', 'not an unencrypted PEM private key'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('hosts() stops at the first broken host; the lookups for SNI skip it and never throw', () => {
      const certs = store({
        'a.example': { certificate: a.certificate, key: a.key },
        'broken.example': { certificate: a.certificate, key: b.key },
      });
      assert.throws(() => certs.hosts(), isCertificateError("host 'broken.example'"));
      assert.equal(certs.find('broken.example'), undefined);
      assert.equal(certs.forServername('broken.example')?.host, 'a.example');
    });

    it('is the error the server start gives (c2s loads the certificates)', async () => {
      await assert.rejects(startTestServer({ modules_enabled: [], VirtualHost: { 'a.example': { certificate: a.certificate, key: b.key } } }),
        isCertificateError("host 'a.example'", 'does not match'));
    });
  });

  describe('lookup', () => {
    let certs: CertificateStore;
    let ca: HostCertificate;
    let cb: HostCertificate;
    before(() => {
      certs = store({
        'a.example': { certificate: a.certificate, key: a.key },
        'b.example': { certificate: b.certificate, key: b.key },
        'plain.example': {},
      });
      ca = certs.get('a.example')!;
      cb = certs.get('b.example')!;
    });

    it('finds a VirtualHost by name, and a subdomain by its parent domain unless told not to', () => {
      assert.equal(certs.find('a.example'), ca);
      assert.equal(certs.find('B.EXAMPLE.'), cb);
      assert.equal(certs.find('conference.a.example'), ca);
      assert.equal(certs.find('conference.a.example', { parentDomains: false }), undefined);
      assert.equal(certs.find('plain.example'), undefined);
      assert.equal(certs.find('unknown.test'), undefined);
      assert.equal(certs.find(undefined), undefined);
    });

    it('finds an http_host name through aliases, before the VirtualHost names', () => {
      const aliases = new Map([['chat.b.example', 'b.example'], ['a.example', 'b.example']]);
      assert.equal(certs.find('chat.b.example', { aliases }), cb);
      assert.equal(certs.find('chat.b.example', { parentDomains: false }), undefined, 'not a VirtualHost name');
      assert.equal(certs.find('www.chat.b.example', { aliases }), undefined, 'aliases have no parent-domain lookup');
      assert.equal(certs.find('a.example', { aliases }), cb, 'an alias wins over a VirtualHost name');
    });

    it('SNI: the named host, else the fallback (VirtualHost or alias), else the first host with a certificate', () => {
      assert.equal(certs.forServername('b.example'), cb);
      assert.equal(certs.forServername('a.example'), ca);
      assert.equal(certs.forServername(undefined), ca);
      assert.equal(certs.forServername('unknown.test'), ca);
      assert.equal(certs.forServername('unknown.test', { fallback: 'b.example' }), cb);
      assert.equal(certs.forServername(undefined, { fallback: 'chat.b.example', aliases: new Map([['chat.b.example', 'b.example']]) }), cb);
      assert.equal(certs.forServername(undefined, { fallback: 'plain.example' }), ca, 'a fallback without a certificate falls through');
    });

    it('is what a module sees as server.certificates', () => {
      const server = new Server({ VirtualHost: { 'a.example': { certificate: a.certificate, key: a.key } } }, { logger: captureLog('silent').logger, storage: new MemoryDriver() });
      assert.equal(server.certificates.get('a.example')?.host, 'a.example');
      assert.deepEqual(server.certificates.hosts(), ['a.example']);
    });
  });

  describe('channel binding', () => {
    /** A TLS server with the store's context; resolves with both ends of one connection. */
    async function handshake(cert: HostCertificate, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<{ server: TLSSocket; client: TLSSocket; close(): void }> {
      const tlsServer = createTlsServer({ SNICallback: (_name, cb) => cb(null, cert.context), cert: cert.cert, key: cert.key, maxVersion });
      tlsServer.listen(0, '127.0.0.1');
      await once(tlsServer, 'listening');
      const accepted = once(tlsServer, 'secureConnection') as Promise<[TLSSocket]>;
      const client = tlsConnect({ host: '127.0.0.1', port: (tlsServer.address() as AddressInfo).port, servername: cert.host, rejectUnauthorized: false });
      await once(client, 'secureConnect');
      const [server] = await accepted;
      return { server, client, close: () => { client.destroy(); server.destroy(); tlsServer.close(); } };
    }

    it('tls-server-end-point is the hash of the certificate the peer saw (RFC 5929 §4.1), tls-exporter matches the client (RFC 9266)', async () => {
      const cert = store({ 'a.example': { certificate: a.certificate, key: a.key } }).get('a.example')!;
      const c = await handshake(cert, 'TLSv1.3');
      try {
        const peer = c.client.getPeerCertificate().raw;
        assert.deepEqual(channelBindingData(c.server, 'tls-server-end-point'), createHash('sha256').update(peer).digest());
        assert.deepEqual(channelBindingData(c.server, 'tls-server-end-point'), cert.endPoint);
        assert.deepEqual(channelBindingData(c.server, 'tls-exporter'), c.client.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)));
        assert.equal(channelBindingData(c.server, 'tls-unique'), undefined, 'tls-unique is never offered');
      } finally {
        c.close();
      }
    });

    it('no tls-exporter below TLS 1.3 (RFC 9266 §3); tls-server-end-point still', async () => {
      const cert = store({ 'a.example': { certificate: a.certificate, key: a.key } }).get('a.example')!;
      const c = await handshake(cert, 'TLSv1.2');
      try {
        assert.equal(c.server.getProtocol(), 'TLSv1.2');
        assert.equal(channelBindingData(c.server, 'tls-exporter'), undefined);
        assert.ok(channelBindingData(c.server, 'tls-server-end-point'));
      } finally {
        c.close();
      }
    });

    it('nothing for a socket without TLS', async () => {
      const plain = createNetServer().listen(0, '127.0.0.1');
      await once(plain, 'listening');
      const accepted = once(plain, 'connection') as Promise<[Socket]>;
      const client = netConnect((plain.address() as AddressInfo).port, '127.0.0.1');
      const [socket] = await accepted;
      try {
        assert.equal(channelBindingData(socket as unknown as TLSSocket, 'tls-server-end-point'), undefined);
        assert.equal(channelBindingData(socket as unknown as TLSSocket, 'tls-exporter'), undefined);
      } finally {
        client.destroy();
        socket.destroy();
        plain.close();
      }
    });

    it('endPointHash: undefined for something that is not a certificate', () => {
      assert.equal(endPointHash(Buffer.from([0x30, 0x82, 0xff])), undefined);
      assert.equal(endPointHash(Buffer.alloc(0)), undefined);
      assert.equal(endPointHash(Buffer.from([0x30, 0x03, 0x30, 0x01])), undefined);
    });
  });
});
