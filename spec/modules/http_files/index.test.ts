/**
 * Tests for lib/modules/http_files: files and index pages from a folder at a path, content
 * types, HEAD, ETag / Last-Modified revalidation, the slash redirect (which never leaves this
 * origin), the security headers (http_files_csp), and refusals for dot-dot, hidden files and
 * symlinks out of the folder.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INVALID, type ServerError } from '../../../lib/core/api.js';
import { folderLocation, safeJoin } from '../../../lib/modules/http_files/index.js';
import { DEFAULT_CSP, fileHeaders, frameOptions, parseCsp } from '../../../lib/modules/http_files/headers.js';
import { rawRequest, request, startHttpServer, type HttpTestServer } from '../../helpers/http.js';

/** The status and Location of a raw HTTP answer. */
function statusAndLocation(raw: string): { status: number; location: string | undefined } {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), location: /\r\nlocation: ([^\r]*)/i.exec(head)?.[1] };
}

describe('safeJoin', () => {
  it('stays inside the root', () => {
    assert.equal(safeJoin('/srv/www', 'a/b.html'), '/srv/www/a/b.html');
    assert.equal(safeJoin('/srv/www', ''), '/srv/www');
    assert.equal(safeJoin('/srv/www', '../etc/passwd'), undefined);
    assert.equal(safeJoin('/srv/www', 'a/../../x'), undefined);
    assert.equal(safeJoin('/srv/www', '.git/config'), undefined);
    assert.equal(safeJoin('/srv/www', 'a\\..\\..\\x'), undefined);
  });
});

describe('folderLocation', () => {
  it('adds the slash and makes every run of slashes or backslashes one', () => {
    assert.equal(folderLocation('/files', '?x=1'), '/files/?x=1');
    assert.equal(folderLocation('//evil.example', ''), '/evil.example/');
    assert.equal(folderLocation('/\\evil.example/x', ''), '/evil.example/x/');
    assert.equal(folderLocation('///a//b', ''), '/a/b/');
  });
});

describe('http_files_csp', () => {
  it('parses a policy, false or "" (none), and refuses other values and header-splitting text', () => {
    assert.equal(parseCsp(DEFAULT_CSP), DEFAULT_CSP);
    assert.equal(parseCsp("  default-src 'self'  "), "default-src 'self'");
    assert.equal(parseCsp(false), false);
    assert.equal(parseCsp(''), false);
    for (const bad of [true, 42, null, ["default-src 'self'"], "default-src 'self'\r\nX-Evil: 1", 'caf\u00e9']) assert.equal(parseCsp(bad), INVALID, JSON.stringify(bad));
  });

  it('has a default that forbids framing, plugins and <base>, and lets WebSocket reach any host', () => {
    for (const directive of ["default-src 'self'", "connect-src 'self' ws: wss: http: https:", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
      assert.ok(DEFAULT_CSP.split(';').map((d) => d.trim()).includes(directive), directive);
    }
  });

  it('derives X-Frame-Options from frame-ancestors (RFC 7034)', () => {
    assert.equal(frameOptions(DEFAULT_CSP), 'DENY');
    assert.equal(frameOptions("default-src 'self'; FRAME-ANCESTORS 'self'"), 'SAMEORIGIN');
    assert.equal(frameOptions("frame-ancestors https://portal.example"), undefined);
    assert.equal(frameOptions("frame-ancestors 'self' https://portal.example"), undefined);
    assert.equal(frameOptions("default-src 'self'"), undefined);
    assert.equal(frameOptions(false), undefined);
    assert.deepEqual(fileHeaders(false), { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  });
});

describe('http_files', () => {
  let dir: string;
  let t: HttpTestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xs-files-'));
    const www = join(dir, 'www');
    mkdirSync(join(www, 'app'), { recursive: true });
    mkdirSync(join(www, 'evil.example'));
    writeFileSync(join(www, 'evil.example', 'index.html'), '<p>a folder named like a host</p>');
    writeFileSync(join(www, 'index.html'), '<h1>chat</h1>');
    writeFileSync(join(www, 'app', 'main.js'), 'console.log(1);');
    writeFileSync(join(www, 'a b.txt'), 'spaced');
    writeFileSync(join(www, '.env'), 'SECRET=1');
    writeFileSync(join(dir, 'outside.txt'), 'outside');
    symlinkSync(join(dir, 'outside.txt'), join(www, 'link.txt'));
    t = await startHttpServer({
      modules_enabled: ['http', 'http_files'],
      http_files_dir: www,
      VirtualHost: { 'a.example': {}, 'b.example': { http_paths: { files: '/' } } },
    });
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, host = 'a.example', headers: Record<string, string> = {}, method = 'GET') =>
    request({ port: t.port, path, method, headers: { host, ...headers } });

  it('serves the index file of the folder at /files/ and redirects /files there', async () => {
    const index = await get('/files/');
    assert.deepEqual([index.status, index.body, index.headers['content-type']], [200, '<h1>chat</h1>', 'text/html; charset=utf-8']);
    const bare = await get('/files?x=1');
    assert.deepEqual([bare.status, bare.headers.location], [301, '/files/?x=1']);
  });

  it('serves files with their content type, percent-decoded names and HEAD', async () => {
    const js = await get('/files/app/main.js');
    assert.deepEqual([js.status, js.body, js.headers['content-type']], [200, 'console.log(1);', 'text/javascript; charset=utf-8']);
    assert.equal((await get('/files/a%20b.txt')).body, 'spaced');
    const head = await get('/files/app/main.js', 'a.example', {}, 'HEAD');
    assert.deepEqual([head.status, head.body, head.headers['content-length']], [200, '', '15']);
  });

  it('answers 304 to a matching If-None-Match or If-Modified-Since', async () => {
    const first = await get('/files/app/main.js');
    const etag = first.headers.etag!;
    assert.match(etag, /^W\/"/);
    assert.equal((await get('/files/app/main.js', 'a.example', { 'if-none-match': etag })).status, 304);
    assert.equal((await get('/files/app/main.js', 'a.example', { 'if-modified-since': first.headers['last-modified']! })).status, 304);
    assert.equal((await get('/files/app/main.js', 'a.example', { 'if-none-match': 'W/"other"' })).status, 200);
  });

  it('is moved by http_paths per host (root on b.example)', async () => {
    assert.equal((await get('/', 'b.example')).body, '<h1>chat</h1>');
    assert.equal((await get('/app/main.js', 'b.example')).body, 'console.log(1);');
  });

  it('refuses hidden files, missing files, dot-dot and symlinks out of the folder with 404', async () => {
    for (const path of ['/files/.env', '/files/nope.txt', '/files/link.txt', '/files/..%2Foutside.txt', '/files/app/..%2F..%2Foutside.txt']) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /outside|SECRET/, path);
    }
    const raw = await rawRequest(t.port, 'GET /files/../outside.txt HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n');
    assert.doesNotMatch(raw, /\r\n\r\noutside$/);
  });

  it('never redirects to another host, whatever slashes the path starts with', async () => {
    // Sent verbatim on a socket: `/\` is read as `//` by the URL parser, `/./` is removed.
    const targets = ['//evil.example', '/\\evil.example', '///evil.example', '/.//evil.example', '/./\\evil.example',
      '//evil.example/../evil.example', '/%2Fevil.example', '//evil.example?x=1'];
    for (const target of targets) {
      const { status, location } = statusAndLocation(await rawRequest(t.port, `GET ${target} HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n`));
      assert.equal(status, 301, target);
      assert.ok(location !== undefined, target);
      assert.doesNotMatch(location, /^[/\\]{2}/, `${target} -> ${location}`);
      assert.match(location, /^\/[^/\\]/, `${target} -> ${location}`);
      assert.equal(new URL(location, 'http://b.example/').host, 'b.example', `${target} -> ${location}`);
    }
    const bare = statusAndLocation(await rawRequest(t.port, 'GET //evil.example?x=1 HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n'));
    assert.equal(bare.location, '/evil.example/?x=1');
    const followed = await get(bare.location!, 'b.example');
    assert.deepEqual([followed.status, followed.body], [200, '<p>a folder named like a host</p>']);
    // Under a base path the extra slashes are folded too.
    assert.equal((await get('/files//app', 'a.example')).headers.location, '/files/app/');
  });

  it('sends the default Content-Security-Policy and anti-framing headers with files and index pages', async () => {
    for (const path of ['/files/', '/files/app/main.js']) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-security-policy'], DEFAULT_CSP, path);
      assert.equal(r.headers['x-frame-options'], 'DENY', path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', path);
    }
    const etag = (await get('/files/')).headers.etag!;
    assert.equal((await get('/files/', 'a.example', { 'if-none-match': etag })).headers['content-security-policy'], DEFAULT_CSP, 'a 304 too');
    // Its redirects and 404s are the http module's pages, never framable either.
    for (const path of ['/files', '/files/nope.txt']) assert.match(String((await get(path)).headers['content-security-policy']), /frame-ancestors 'none'/, path);
  });
});

describe('http_files_csp settings', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'xs-files-csp-'));
    writeFileSync(join(dir, 'index.html'), '<h1>app</h1>');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const headersWith = async (config: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const t = await startHttpServer({ modules_enabled: ['http', 'http_files'], http_files_dir: dir, VirtualHost: { localhost: config } });
    try {
      const r = await request({ port: t.port, path: '/files/', headers: { host: 'localhost' } });
      assert.equal(r.status, 200);
      return r.headers;
    } finally {
      await t.stop();
    }
  };

  it('sends a configured policy, with the X-Frame-Options it implies', async () => {
    const h = await headersWith({ http_files_csp: "default-src 'self'; frame-ancestors 'self'" });
    assert.equal(h['content-security-policy'], "default-src 'self'; frame-ancestors 'self'");
    assert.equal(h['x-frame-options'], 'SAMEORIGIN');
  });

  it('sends no policy and no X-Frame-Options for false or ""', async () => {
    for (const off of [false, '']) {
      const h = await headersWith({ http_files_csp: off });
      assert.equal(h['content-security-policy'], undefined, JSON.stringify(off));
      assert.equal(h['x-frame-options'], undefined, JSON.stringify(off));
      assert.equal(h['x-content-type-options'], 'nosniff');
    }
  });

  it('refuses a policy that could split the response at start', async () => {
    let error: ServerError | undefined;
    try {
      const t = await startHttpServer({ modules_enabled: ['http', 'http_files'], http_files_dir: dir, http_files_csp: "default-src 'self'\r\nSet-Cookie: a=b" });
      await t.stop();
    } catch (e) {
      error = e as ServerError;
    }
    assert.equal(error?.code, 'XS_ERR_OPTION_INVALID');
    assert.match(error?.message ?? '', /http_files_csp/);
  });
});
