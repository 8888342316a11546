/**
 * Tests for lib/modules/http/listeners.ts and the module's start-up: HTTPS with a certificate
 * per host chosen by SNI, no HTTPS without certificates, one ephemeral port shared by
 * 127.0.0.1 and ::1, start errors (port in use, bad certificate, bad trusted_proxies), the
 * `http-url` answers, and closing every connection at stop.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, connect, type Server as NetServer } from 'node:net';
import { defineModule, type ModuleApi } from '../../../lib/core/api.js';
import { httpUrl } from '../../../lib/core/http-api.js';
import type { ServerError } from '../../../lib/core/errors.js';
import { captureLog } from '../../helpers/log.js';
import { httpListeners, request, selfSignedCertificate, startHttpServer, type HttpTestServer, type TestCertificate } from '../../helpers/http.js';

const who = defineModule({
  name: 'who',
  depends: ['http'],
  load(module) { module.provides('http', { name: 'who', route: { GET: (req) => `${req.host} ${String(req.secure)} ${String(req.encrypted)}` } }); },
});

describe('https with SNI', () => {
  let certA: TestCertificate;
  let certB: TestCertificate;
  let t: HttpTestServer;
  before(async () => {
    certA = selfSignedCertificate(['a.example']);
    certB = selfSignedCertificate(['chat.b.example', 'b.example']);
    t = await startHttpServer({
      modules_enabled: ['http', 'who'],
      https_ports: [0],
      https_interfaces: ['127.0.0.1'],
      http_default_host: 'b.example',
      VirtualHost: {
        'a.example': { certificate: certA.certificate, key: certA.key },
        'b.example': { certificate: certB.certificate, key: certB.key, http_host: 'chat.b.example' },
      },
    }, [who]);
  });
  after(async () => {
    await t.stop();
    certA.remove();
    certB.remove();
  });

  it('presents each host\'s certificate by SNI and marks requests secure and encrypted', async () => {
    const port = t.portOf('https');
    const a = await request({ port, path: '/who', headers: { host: 'a.example' }, tls: { servername: 'a.example' } });
    assert.deepEqual([a.certificateName, a.body], ['a.example', 'a.example true true']);
    const b = await request({ port, path: '/who', headers: { host: 'chat.b.example' }, tls: { servername: 'chat.b.example' } });
    assert.deepEqual([b.certificateName, b.body], ['chat.b.example', 'b.example true true']);
  });

  it('presents the default host\'s certificate without SNI or for an unknown name', async () => {
    const port = t.portOf('https');
    const none = await request({ port, path: '/who', headers: { host: 'b.example' }, tls: {} });
    assert.equal(none.certificateName, 'chat.b.example');
    const unknown = await request({ port, path: '/who', headers: { host: 'x.example' }, tls: { servername: 'x.example' } });
    assert.deepEqual([unknown.certificateName, unknown.body], ['chat.b.example', 'b.example true true']);
  });

  it('serves plain http beside it, not secure', async () => {
    assert.equal((await request({ port: t.port, path: '/who', headers: { host: 'a.example' } })).body, 'a.example false false');
  });
});

describe('listeners', () => {
  it('does not start https without certificates, with one info line', async () => {
    const log = captureLog('info');
    const t = await startHttpServer({ https_ports: [0], modules_enabled: ['http'] }, [], log.logger);
    try {
      assert.deepEqual(t.listeners.map((l) => l.kind), ['http']);
      assert.equal(log.lines.filter((l) => l.msg === 'no host has a certificate and key; https is not started').length, 1);
      assert.equal(log.lines.filter((l) => l.msg === 'http listener started').length, 1);
    } finally {
      await t.stop();
    }
  });

  it('shares one ephemeral port between 127.0.0.1 and ::1', async () => {
    const t = await startHttpServer({ http_interfaces: ['127.0.0.1', '::1'], modules_enabled: ['http', 'who'] }, [who]);
    try {
      const ports = new Set(t.listeners.map((l) => l.port));
      assert.equal(ports.size, 1);
      const v6 = t.listeners.find((l) => l.address === '::1');
      assert.ok(v6, 'listening on ::1');
      const r = await request({ port: t.port, address: '::1', path: '/who', headers: { host: 'localhost' } });
      assert.equal(r.body, 'localhost false false');
    } finally {
      await t.stop();
    }
  });

  it('fails the start with XS_ERR_LISTEN when the port is taken, leaving nothing open', async () => {
    const blocker: NetServer = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      // ::1 binds first, then 127.0.0.1 fails: the ::1 listener must be closed again.
      await assert.rejects(startHttpServer({ http_ports: [port], http_interfaces: ['::1', '127.0.0.1'], modules_enabled: ['http'] }), (e: ServerError) =>
        e.code === 'XS_ERR_LISTEN' && e.message.includes(`127.0.0.1 port ${port}`) && e.message.includes('EADDRINUSE'));
      await assert.rejects(request({ port, address: '::1', path: '/' }), /ECONNREFUSED/);
    } finally {
      blocker.close();
    }
  });

  it('fails the start with XS_ERR_CERTIFICATE for a missing file, and XS_ERR_OPTION_INVALID for bad trusted_proxies', async () => {
    await assert.rejects(startHttpServer({ https_ports: [0], certificate: '/nonexistent/cert.pem', key: '/nonexistent/key.pem', modules_enabled: ['http'] }), (e: ServerError) =>
      e.code === 'XS_ERR_CERTIFICATE' && e.message.includes('/nonexistent/cert.pem') && e.message.includes('ENOENT'));
    await assert.rejects(startHttpServer({ trusted_proxies: ['10.0.0.0/40'], modules_enabled: ['http'] }), (e: ServerError) =>
      e.code === 'XS_ERR_OPTION_INVALID' && e.message.includes(`'trusted_proxies'`) && e.message.includes('CIDR'));
  });

  it('closes its listeners when unloaded and serves again after a reload', async () => {
    const t = await startHttpServer({ modules_enabled: ['http', 'who'] }, [who]);
    try {
      const before = t.port;
      await t.server.modules.reload('localhost', 'http');
      const [listener] = httpListeners(t.server);
      assert.ok(listener);
      assert.ok(t.server.modules.isLoaded('localhost', 'who'), 'the dependent module came back');
      assert.equal((await request({ port: listener.port, path: '/who', headers: { host: 'localhost' } })).body, 'localhost false false');
      if (listener.port !== before) await assert.rejects(request({ port: before, path: '/who' }), /ECONNREFUSED/);
      await t.server.modules.unload('localhost', 'http');
      assert.deepEqual(httpListeners(t.server), []);
      await assert.rejects(request({ port: listener.port, path: '/who' }), /ECONNREFUSED/);
    } finally {
      await t.stop();
    }
  });

  it('closes keep-alive connections at stop', async () => {
    const t = await startHttpServer({ modules_enabled: ['http', 'who'] }, [who]);
    const socket = connect({ host: '127.0.0.1', port: t.port });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.on('connect', () => r()));
    socket.write('GET /who HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise<void>((r) => socket.once('data', () => r()));
    await t.stop();
    await closed;
    assert.ok(socket.destroyed);
  });
});

describe('http-url', () => {
  let captured: ModuleApi | undefined;
  const urls = defineModule({
    name: 'urls',
    depends: ['http'],
    load(module) { if (module.host === 'b.example') captured = module as unknown as ModuleApi; },
  });
  let t: HttpTestServer;
  before(async () => {
    t = await startHttpServer({
      modules_enabled: ['http', 'urls'],
      VirtualHost: {
        'a.example': { http_external_url: 'https://public.example/prefix/', http_paths: { websocket: '/ws' } },
        'b.example': { http_host: 'chat.b.example' },
      },
    }, [urls]);
  });
  after(() => t.stop());

  const url = (host: string, name: string, defaultPath?: string): unknown =>
    t.server.events.fire('http-url', { host, name, defaultPath });

  it('uses http_external_url with its prefix and the app path', () => {
    assert.equal(url('a.example', 'websocket', '/xmpp-websocket'), 'https://public.example/prefix/ws');
  });

  it('uses http_host and the listening port otherwise', () => {
    assert.equal(url('b.example', 'websocket', '/xmpp-websocket'), `http://chat.b.example:${t.port}/xmpp-websocket`);
    assert.equal(url('b.example', 'files', '/'), `http://chat.b.example:${t.port}/`);
  });

  it('is what httpUrl(module, ...) returns', () => {
    assert.ok(captured);
    assert.equal(httpUrl(captured, 'websocket', 'xmpp-websocket'), `http://chat.b.example:${t.port}/xmpp-websocket`);
  });
});
