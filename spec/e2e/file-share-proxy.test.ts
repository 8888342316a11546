/**
 * End to end: an upload through a real nginx running the `file_share` snippet of
 * examples/nginx.conf. The component's http_external_url points at nginx, so the slot's URLs
 * do; a few MB of random bytes go up through nginx (streamed, not buffered) and come back down
 * byte for byte, plainly and over TLS.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import { startNginx, type ProxyProcess } from '../helpers/proxies.js';
import { COMPONENT, call, put, requestSlot, startFileShare, type FileShareServer } from '../helpers/file-share.js';

let cert: TestCertificate;
let proxy: ProxyProcess;
let s: FileShareServer & { removeData(): void };

before(async () => {
  cert = selfSignedCertificate([COMPONENT, 'localhost']);
  // The upstream port is known only once the server listens, and the public URL only once
  // nginx does: start the server, then nginx, then the server again on the same data with the URL.
  const probe = await startFileShare([]);
  const upstream = probe.httpPort;
  await probe.stop();
  probe.removeData();
  proxy = await startNginx({ upstreamPort: upstream, certificate: cert.certificate, key: cert.key, blocks: ['file_share'] });
  s = await startFileShare(['alice'], { http_external_url: `http://${COMPONENT}:${proxy.httpPort}/` }, { http_ports: [upstream], http_interfaces: ['127.0.0.1', '::1'] });
});

after(async () => {
  await s?.stop();
  s?.removeData();
  await proxy?.stop();
  cert?.remove();
});

/** GET over TLS to nginx (the test certificate names the component). */
function httpsGet(url: string): Promise<{ status: number; body: Buffer }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    httpsRequest({ host: '127.0.0.1', port: Number(u.port), path: u.pathname, servername: u.hostname, headers: { host: u.host }, ca: readFileSync(cert.certificate) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

describe('http_file_share behind nginx', () => {
  it('uploads a few MB through nginx and downloads them byte for byte', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const slot = await requestSlot(await s.raw('alice'), 'archive.tar.gz', data.length, 'application/gzip');
    assert.ok(slot.ok);
    assert.equal(new URL(slot.put).port, String(proxy.httpPort), 'the slot URL points at nginx');
    const up = await put(slot, data, { 'content-type': 'application/gzip' });
    assert.equal(up.status, 201, proxy.output());
    const down = await call(slot.get);
    assert.equal(down.status, 200);
    assert.equal(down.headers['content-type'], 'application/gzip');
    assert.match(String(down.headers['content-disposition']), /^attachment; filename="archive\.tar\.gz"/);
    assert.ok(down.body.equals(data), 'byte for byte');
    const tls = await httpsGet(slot.get.replace('http:', 'https:').replace(`:${proxy.httpPort}/`, `:${proxy.httpsPort}/`));
    assert.equal(tls.status, 200);
    assert.ok(tls.body.equals(data), 'byte for byte over TLS');
  });

  it('passes the server\'s refusal of a wrong size through nginx', async () => {
    const slot = await requestSlot(await s.raw('alice'), 'x.bin', 1000);
    assert.ok(slot.ok);
    const r = await put(slot, randomBytes(2000));
    assert.equal(r.status, 413);
    assert.equal((await call(slot.get)).status, 404);
  });
});
