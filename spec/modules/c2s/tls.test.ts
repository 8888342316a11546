/**
 * Tests for lib/modules/c2s/tls.ts: certificate loading errors, context lookup by host and
 * SNI, and the tls-server-end-point hash choice (RFC 5929 §4.1) read from real certificates.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { Server } from '../../../lib/core/server.js';
import { MemoryDriver } from '../../../lib/core/storage/memory.js';
import type { ServerError } from '../../../lib/core/errors.js';
import { TlsContexts, endPointHash, loadHostCertificate } from '../../../lib/modules/c2s/tls.js';
import { captureLog } from '../../helpers/log.js';

function makeCert(dir: string, name: string, args: string[]): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', ...args, '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

function der(file: string): Buffer {
  return new X509Certificate(readFileSync(file)).raw;
}

describe('c2s tls', () => {
  let dir: string;
  let rsa: { cert: string; key: string };
  let ec384: { cert: string; key: string };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'xs-c2s-tls-'));
    rsa = makeCert(dir, 'rsa.example', ['-newkey', 'rsa:2048', '-sha256']);
    ec384 = makeCert(dir, 'ec.example', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tls-server-end-point uses the signature hash: SHA-256 for sha256WithRSA, SHA-384 for ecdsa-with-SHA384', () => {
    assert.equal(endPointHash(der(rsa.cert)), 'sha256');
    assert.equal(endPointHash(der(ec384.cert)), 'sha384');
  });

  it('tls-server-end-point maps SHA-1 signatures to SHA-256 (RFC 5929 §4.1)', () => {
    const sha1 = makeCert(dir, 'sha1.example', ['-newkey', 'rsa:2048', '-sha1']);
    assert.equal(endPointHash(der(sha1.cert)), 'sha256');
  });

  it('garbage is not a certificate', () => {
    assert.equal(endPointHash(Buffer.from([0x30, 0x82, 0xff])), undefined);
  });

  it('looks contexts up by host, parent domain (for subdomains) and SNI, with the first as default', () => {
    const contexts = new TlsContexts();
    const a = createSecureContext({ cert: readFileSync(rsa.cert), key: readFileSync(rsa.key) });
    const b = createSecureContext({ cert: readFileSync(ec384.cert), key: readFileSync(ec384.key) });
    contexts.set('example.org', { context: a, cert: Buffer.alloc(0), key: Buffer.alloc(0) });
    contexts.set('other.net', { context: b, cert: Buffer.alloc(0), key: Buffer.alloc(0) });
    assert.equal(contexts.get('example.org'), a);
    assert.equal(contexts.get('Conference.Example.org'), a);
    assert.equal(contexts.get('other.net'), b);
    assert.equal(contexts.get('unknown.test'), undefined);
    assert.equal(contexts.forServername('unknown.test'), a);
    assert.equal(contexts.forServername('other.net'), b);
    assert.equal(contexts.size, 2);
  });

  it('loads a host certificate relative to the config file, or explains what is wrong', async () => {
    writeFileSync(join(dir, 'broken.pem'), 'not a pem');
    const server = new Server({
      VirtualHost: {
        'good.example': { certificate: rsa.cert, key: rsa.key },
        'half.example': { certificate: rsa.cert },
        'missing.example': { certificate: 'nope.crt', key: 'nope.key' },
        'broken.example': { certificate: join(dir, 'broken.pem'), key: rsa.key },
        'none.example': {},
      },
    }, { logger: captureLog('silent').logger, storage: new MemoryDriver() });
    assert.ok((await loadHostCertificate(server, 'good.example'))?.context);
    assert.equal(await loadHostCertificate(server, 'none.example'), undefined);
    for (const host of ['half.example', 'missing.example', 'broken.example']) {
      await assert.rejects(loadHostCertificate(server, host), (err: ServerError) => err.code === 'XS_ERR_CERTIFICATE' && err.message.includes(host));
    }
  });
});
