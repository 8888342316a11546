/**
 * Tests for lib/modules/c2s/tls.ts (c2s's view of the core's certificates): certificate
 * loading errors, context lookup by host and SNI, and the tls-server-end-point hash choice
 * (RFC 5929 §4.1, lib/core/certificates.ts) read from real certificates.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { Server } from '../../../lib/core/server.js';
import { MemoryDriver } from '../../../lib/core/storage/memory.js';
import type { ServerError } from '../../../lib/core/errors.js';
import { endPointHash } from '../../../lib/core/certificates.js';
import { TlsContexts } from '../../../lib/modules/c2s/tls.js';
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

  const serverWith = (hosts: Record<string, Record<string, unknown>>): Server =>
    new Server({ VirtualHost: hosts }, { logger: captureLog('silent').logger, storage: new MemoryDriver() });

  it('looks contexts up by host, parent domain (for subdomains) and SNI, with the first as default', () => {
    const server = serverWith({
      'example.org': { certificate: rsa.cert, key: rsa.key },
      'other.net': { certificate: ec384.cert, key: ec384.key },
      'plain.example': {},
    });
    const contexts = new TlsContexts(server.certificates);
    const a = server.certificates.get('example.org')!.context;
    const b = server.certificates.get('other.net')!.context;
    assert.notEqual(a, b);
    assert.equal(contexts.get('example.org'), a);
    assert.equal(contexts.get('Conference.Example.org'), a);
    assert.equal(contexts.get('other.net'), b);
    assert.equal(contexts.get('unknown.test'), undefined);
    assert.equal(contexts.get('plain.example'), undefined);
    assert.equal(contexts.forServername('unknown.test'), a);
    assert.equal(contexts.forServername('other.net'), b);
    assert.equal(contexts.default?.host, 'example.org');
    assert.equal(contexts.size, 2);
  });

  it('loads a host certificate relative to the config file, or explains what is wrong', () => {
    writeFileSync(join(dir, 'broken.pem'), 'not a pem');
    const server = serverWith({
      'good.example': { certificate: rsa.cert, key: rsa.key },
      'half.example': { certificate: rsa.cert },
      'missing.example': { certificate: 'nope.crt', key: 'nope.key' },
      'broken.example': { certificate: join(dir, 'broken.pem'), key: rsa.key },
      'none.example': {},
    });
    assert.ok(server.certificates.get('good.example')?.context);
    assert.equal(server.certificates.get('none.example'), undefined);
    for (const host of ['half.example', 'missing.example', 'broken.example']) {
      assert.throws(() => server.certificates.get(host), (err: ServerError) => err.code === 'XS_ERR_CERTIFICATE' && err.message.includes(host));
    }
    // c2s reads every host at load: the first broken one stops it.
    assert.throws(() => new TlsContexts(server.certificates), (err: ServerError) => err.code === 'XS_ERR_CERTIFICATE' && err.message.includes('half.example'));
  });
});
