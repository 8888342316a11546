/**
 * Tests for lib/modules/http/routing.ts (route keys, base paths, matching) and the module's
 * routing over real sockets: two VirtualHosts, an http_host override, an unknown host,
 * http_default_host, http_paths with $host, trailing slashes, HEAD, 405, host-agnostic apps.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, type ItemRecord } from '../../../lib/core/api.js';
import type { HttpApp } from '../../../lib/core/http-api.js';
import { basePath, createMount, parseRouteKey, RouteTable, trimPath } from '../../../lib/modules/http/routing.js';
import { resolveCors } from '../../../lib/modules/http/cors.js';
import type { ServerError } from '../../../lib/core/errors.js';
import { request, startHttpServer, type HttpTestServer } from '../../helpers/http.js';

const NO_CORS = {
  access_control_allow_origins: undefined, access_control_allow_methods: new Set<string>(), access_control_allow_headers: new Set<string>(),
  access_control_allow_credentials: false, access_control_max_age: 0, http_default_cors_enabled: false, http_cors_override: {},
};

function mountOn(table: RouteTable, app: HttpApp, base: string): void {
  const record: ItemRecord<HttpApp> = { kind: 'http', item: app, module: 'test', host: table.host };
  table.add(createMount(record, table.host, () => base, (a, m) => resolveCors(a.name, a.cors, NO_CORS, m)));
}

describe('route keys and paths', () => {
  it('parses Prosody-style keys', () => {
    assert.deepEqual(parseRouteKey('GET'), { method: 'GET', path: '', wildcard: false });
    assert.deepEqual(parseRouteKey('GET /'), { method: 'GET', path: '', wildcard: false });
    assert.deepEqual(parseRouteKey('POST /upload/'), { method: 'POST', path: '/upload', wildcard: false });
    assert.deepEqual(parseRouteKey('GET /*'), { method: 'GET', path: '', wildcard: true });
    assert.deepEqual(parseRouteKey('GET /a/*'), { method: 'GET', path: '/a', wildcard: true });
    for (const bad of ['get', '/x', 'GET x', 'GET /a*b', 'GET /a /b', '']) assert.equal(parseRouteKey(bad), undefined, bad);
  });

  it('builds base paths from http_paths, default_path and the name, with $host', () => {
    assert.equal(basePath(undefined, undefined, 'websocket', 'a.example'), '/websocket');
    assert.equal(basePath(undefined, 'xmpp-websocket', 'websocket', 'a.example'), '/xmpp-websocket');
    assert.equal(basePath('/$host/ws/', '/xmpp-websocket', 'websocket', 'a.example'), '/a.example/ws');
    assert.equal(basePath('/', undefined, 'files', 'a.example'), '');
    assert.equal(trimPath('//a//b///'), '/a/b');
  });

  it('refuses malformed apps with XS_ERR_ITEM_INVALID', () => {
    const table = new RouteTable('h');
    assert.throws(() => mountOn(table, { name: 'x', route: { 'FETCH stuff': () => 200 } }, '/x'), (e: ServerError) => e.code === 'XS_ERR_ITEM_INVALID' && /route key "FETCH stuff"/.test(e.message));
    assert.throws(() => mountOn(table, { name: '', route: {} }, '/x'), (e: ServerError) => e.code === 'XS_ERR_ITEM_INVALID');
    assert.throws(() => mountOn(table, { name: 'x', route: { GET: 'nope' as never } }, '/x'), (e: ServerError) => e.code === 'XS_ERR_ITEM_INVALID');
  });
});

describe('RouteTable.match', () => {
  const table = new RouteTable('h');
  const h = (): number => 200;
  mountOn(table, { name: 'a', route: { GET: h, 'POST /upload': h, 'GET /*': h } }, '/a');
  mountOn(table, { name: 'deep', route: { 'GET /*': h } }, '/a/deep');
  mountOn(table, { name: 'root', route: { 'GET /*': h } }, '');

  const pick = (method: string, path: string): string => {
    const m = table.match(method, path);
    if (m.kind === 'route') return `${m.route.mount.app.name}:${m.route.method}:${m.wildcard ?? '-'}`;
    if (m.kind === 'method') return `405:${m.allowed.join(',')}`;
    return 'none';
  };

  it('prefers exact routes, then the longest wildcard prefix', () => {
    assert.equal(pick('GET', '/a'), 'a:GET:-');
    assert.equal(pick('GET', '/a/'), 'a:GET:-');
    assert.equal(pick('GET', '/a/x/y'), 'a:GET:x/y');
    assert.equal(pick('GET', '/a/deep/z'), 'deep:GET:z');
    assert.equal(pick('GET', '/a/deep'), 'deep:GET:');
    assert.equal(pick('GET', '/elsewhere'), 'root:GET:elsewhere');
    assert.equal(pick('GET', '/'), 'root:GET:');
  });

  it('falls back from HEAD to GET and reports allowed methods', () => {
    assert.equal(pick('HEAD', '/a'), 'a:GET:-');
    assert.equal(pick('POST', '/a/upload'), 'a:POST:-');
    assert.equal(pick('PUT', '/a/upload'), '405:GET,HEAD,OPTIONS,POST');
  });
});

describe('http routing over sockets', () => {
  let t: HttpTestServer;

  /** An app that says which host, path and wildcard served the request. */
  const echo = (name: string): HttpApp => ({
    name,
    route: {
      'GET /*': (req, res) => res.json({ host: req.host, app: req.app, path: req.path, wildcard: req.wildcard, method: req.method, base: req.basePath }),
      'POST /echo': (req, res) => res.json({ host: req.host, body: req.body?.toString('utf8') ?? null }),
      'GET /status': () => 418,
      'GET /html': () => '<p>hi</p>',
      'GET /fail': () => { throw new Error('boom'); },
      'GET /async': async (_req, res) => { await new Promise((r) => setImmediate(r)); res.status(201).send('later', 'text/plain'); },
    },
  });

  const probe = defineModule({
    name: 'probe',
    depends: ['http'],
    load(module) {
      module.provides('http', echo('probe'));
      module.provides('http', { name: 'ws', default_path: '/xmpp-websocket', route: { GET: (req) => `<p>${req.host}</p>` } });
    },
  });

  const globalProbe = defineModule({
    name: 'global_probe',
    global: true,
    depends: ['http'],
    load(module) {
      module.provides('http', { name: 'anyhost', route: { GET: (req, res) => res.json({ host: req.host }) } });
      module.provides('http', { name: 'anyvhost', route: { GET: (req, res) => res.json({ host: req.host, vhost: req.vhost ?? null }) } });
    },
  });

  before(async () => {
    t = await startHttpServer({
      modules_enabled: ['http', 'probe', 'global_probe'],
      http_paths: { probe: '/$host/probe' },
      VirtualHost: {
        'a.example': {},
        'b.example': { http_host: 'chat.b.example' },
        'c.example': { http_paths: { probe: '/p' } },
      },
    }, [probe, globalProbe]);
  });
  after(() => t.stop());

  const get = (host: string | undefined, path: string, extra: Partial<Parameters<typeof request>[0]> = {}) =>
    request({ port: t.port, path, headers: host === undefined ? {} : { host }, ...extra });

  it('routes by Host (port stripped) to the VirtualHost, with $host in http_paths', async () => {
    const r = await get(`a.example:${t.port}`, '/a.example/probe/x/y?q=1');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { host: 'a.example', app: 'probe', path: '/a.example/probe/x/y', wildcard: 'x/y', method: 'GET', base: '/a.example/probe' });
    const c = JSON.parse((await get('c.example', '/p/')).body) as { host: string; wildcard: string };
    assert.deepEqual([c.host, c.wildcard], ['c.example', '']);
  });

  it('routes the http_host name to its VirtualHost and not the VirtualHost name', async () => {
    const r = await get('CHAT.B.EXAMPLE.', '/b.example/probe/');
    assert.equal(JSON.parse(r.body).host, 'b.example');
    const byVhostName = await get('b.example', '/b.example/probe/');
    assert.equal(byVhostName.status, 404);
    assert.match(byVhostName.body, /Unknown host/);
  });

  it('answers 404 with a small page for an unknown host and an unknown path', async () => {
    const unknown = await get('nowhere.example', '/a.example/probe/');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(unknown.body, /<title>404 Not Found<\/title>/);
    const missing = await get('a.example', '/nothing-here');
    assert.equal(missing.status, 404);
    assert.doesNotMatch(missing.body, /Unknown host/);
  });

  it('serves the same default path on each host as that host', async () => {
    assert.equal((await get('a.example', '/xmpp-websocket')).body, '<p>a.example</p>');
    assert.equal((await get('c.example', '/xmpp-websocket/')).body, '<p>c.example</p>');
  });

  it('tells every app the VirtualHost its Host header names (req.vhost), by http_host, undefined when none', async () => {
    const vhost = async (host: string | undefined): Promise<unknown> => JSON.parse((await get(host, '/anyvhost')).body);
    assert.deepEqual(await vhost(`a.example:${t.port}`), { host: '*', vhost: 'a.example' });
    assert.deepEqual(await vhost('CHAT.B.EXAMPLE.'), { host: '*', vhost: 'b.example' });
    assert.deepEqual(await vhost('b.example'), { host: '*', vhost: null }, 'the VirtualHost name is not its http_host');
    assert.deepEqual(await vhost('nowhere.example'), { host: '*', vhost: null });
    assert.deepEqual(await vhost(undefined), { host: '*', vhost: null });
  });

  it('serves host-agnostic apps of global modules on every host, even an unknown one', async () => {
    for (const host of ['a.example', 'nowhere.example']) {
      const r = await get(host, '/anyhost');
      assert.equal(r.status, 200, host);
      assert.deepEqual(JSON.parse(r.body), { host: '*' });
    }
  });

  it('answers HEAD from the GET route without a body', async () => {
    const r = await get('a.example', '/xmpp-websocket', { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
    assert.equal(r.headers['content-length'], String(Buffer.byteLength('<p>a.example</p>')));
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    const r = await get('a.example', '/xmpp-websocket', { method: 'DELETE' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD, OPTIONS');
  });

  it('turns handler results into responses: status page, HTML, async, 500 on throw', async () => {
    const status = await get('a.example', '/a.example/probe/status');
    assert.equal(status.status, 418);
    assert.match(status.body, /418/);
    const html = await get('a.example', '/a.example/probe/html');
    assert.deepEqual([html.status, html.body, html.headers['content-type']], [200, '<p>hi</p>', 'text/html; charset=utf-8']);
    const later = await get('a.example', '/a.example/probe/async');
    assert.deepEqual([later.status, later.body], [201, 'later']);
    const fail = await get('a.example', '/a.example/probe/fail');
    assert.equal(fail.status, 500);
    assert.doesNotMatch(fail.body, /boom/);
  });

  it('reads request bodies for the handler', async () => {
    const r = await get('a.example', '/a.example/probe/echo', { method: 'POST', body: 'hello body', headers: { host: 'a.example', 'content-type': 'text/plain' } });
    assert.deepEqual(JSON.parse(r.body), { host: 'a.example', body: 'hello body' });
  });

  it('answers 400 to a request target that is not a path and to bad percent-encoding', async () => {
    const { rawRequest } = await import('../../helpers/http.js');
    const star = await rawRequest(t.port, 'OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n');
    assert.match(star, /^HTTP\/1\.1 400 /);
    const pct = await rawRequest(t.port, 'GET /a.example/probe/%FF HTTP/1.1\r\nHost: a.example\r\n\r\n');
    assert.match(pct, /^HTTP\/1\.1 400 /);
  });
});

describe('http_default_host', () => {
  let t: HttpTestServer;
  const probe = defineModule({
    name: 'probe',
    depends: ['http'],
    load(module) { module.provides('http', { name: 'who', route: { GET: (req) => req.host } }); },
  });
  const anyHost = defineModule({
    name: 'any_host',
    global: true,
    depends: ['http'],
    load(module) { module.provides('http', { name: 'vhost', route: { GET: (req) => `${req.host} ${String(req.vhost)}` } }); },
  });
  before(async () => {
    t = await startHttpServer({
      modules_enabled: ['http', 'probe', 'any_host'],
      http_default_host: 'b.example',
      VirtualHost: { 'a.example': {}, 'b.example': {} },
    }, [probe, anyHost]);
  });
  after(() => t.stop());

  it('serves unknown Host names and requests by IP as the default host', async () => {
    assert.equal((await request({ port: t.port, path: '/who', headers: { host: 'unknown.example' } })).body, 'b.example');
    assert.equal((await request({ port: t.port, path: '/who' })).body, 'b.example');
    assert.equal((await request({ port: t.port, path: '/who', headers: { host: 'a.example' } })).body, 'a.example');
  });

  it('gives req.vhost the default host for unknown Host names, to host-agnostic apps too', async () => {
    assert.equal((await request({ port: t.port, path: '/vhost', headers: { host: 'unknown.example' } })).body, '* b.example');
    assert.equal((await request({ port: t.port, path: '/vhost', headers: { host: 'a.example' } })).body, '* a.example');
  });
});
