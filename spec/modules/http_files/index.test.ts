/**
 * Tests for lib/modules/http_files: files and index pages from a folder at a path, content
 * types, HEAD, ETag / Last-Modified revalidation, the slash redirect, and refusals for
 * dot-dot, hidden files and symlinks out of the folder.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { safeJoin } from '../../../lib/modules/http_files/index.js';
import { rawRequest, request, startHttpServer, type HttpTestServer } from '../../helpers/http.js';

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

describe('http_files', () => {
  let dir: string;
  let t: HttpTestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xs-files-'));
    const www = join(dir, 'www');
    mkdirSync(join(www, 'app'), { recursive: true });
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
});
