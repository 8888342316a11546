/**
 * Tests for lib/modules/http/cors.ts and CORS over sockets: policy resolution
 * (http_cors_override over the app's cors over the defaults), `*` versus a reflected origin
 * with `Vary: Origin`, allow-lists, credentials, OPTIONS preflights, and that an origin list
 * with several apps on several hosts loads (Prosody 0.12.3 failed there).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule } from '../../../lib/core/api.js';
import { corsHeaders, resolveCors, type CorsOptions } from '../../../lib/modules/http/cors.js';
import { request, startHttpServer, type HttpTestServer } from '../../helpers/http.js';

const DEFAULTS: CorsOptions = {
  access_control_allow_origins: undefined,
  access_control_allow_methods: new Set(['GET', 'OPTIONS']),
  access_control_allow_headers: new Set(['Content-Type']),
  access_control_allow_credentials: false,
  access_control_max_age: 7200,
  http_default_cors_enabled: true,
  http_cors_override: {},
};

describe('resolveCors / corsHeaders', () => {
  it('answers * to everyone when any origin is allowed without credentials', () => {
    const p = resolveCors('app', undefined, DEFAULTS, ['POST']);
    assert.deepEqual(corsHeaders(p, 'https://x.example', false), { 'access-control-allow-origin': '*' });
    assert.deepEqual(corsHeaders(p, undefined, true), {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, OPTIONS, POST',
      'access-control-allow-headers': 'Content-Type',
      'access-control-max-age': '7200',
    });
  });

  it('reflects a listed origin with Vary: Origin and omits headers for others', () => {
    const p = resolveCors('app', undefined, { ...DEFAULTS, access_control_allow_origins: ['https://Good.example/'] }, []);
    assert.deepEqual(corsHeaders(p, 'https://good.example', false), { vary: 'Origin', 'access-control-allow-origin': 'https://good.example' });
    assert.deepEqual(corsHeaders(p, 'https://evil.example', false), { vary: 'Origin' });
  });

  it('reflects with credentials, never for the opaque origin "null"', () => {
    const p = resolveCors('app', { credentials: true }, DEFAULTS, []);
    assert.deepEqual(corsHeaders(p, 'https://x.example', false), { vary: 'Origin', 'access-control-allow-origin': 'https://x.example', 'access-control-allow-credentials': 'true' });
    assert.deepEqual(corsHeaders(p, 'null', false), { vary: 'Origin' });
  });

  it('lets http_cors_override win over the app and the app over the default', () => {
    const off = { ...DEFAULTS, http_default_cors_enabled: false };
    assert.equal(resolveCors('app', undefined, off, []).enabled, false);
    assert.equal(resolveCors('app', { enabled: true }, off, []).enabled, true);
    assert.equal(resolveCors('app', {}, off, []).enabled, true);
    assert.equal(resolveCors('app', { enabled: true }, { ...DEFAULTS, http_cors_override: { app: { enabled: false } } }, []).enabled, false);
    const o = resolveCors('app', { origins: ['https://a.example'] }, { ...DEFAULTS, http_cors_override: { app: { origins: '*', headers: ['X-Token'], max_age: 5 } } }, []);
    assert.deepEqual([o.origins, o.headers, o.maxAge], [undefined, ['Content-Type', 'X-Token'], 5]);
    assert.deepEqual(corsHeaders(resolveCors('app', { enabled: false }, DEFAULTS, []), 'https://x.example', true), {});
  });
});

describe('CORS over sockets', () => {
  let t: HttpTestServer;
  const apps = defineModule({
    name: 'apps',
    depends: ['http'],
    load(module) {
      module.provides('http', { name: 'open', route: { GET: () => 'open', POST: () => 'posted' } });
      module.provides('http', { name: 'closed', cors: { enabled: false }, route: { GET: () => 'closed' } });
      module.provides('http', { name: 'custom', route: { GET: () => 'custom', 'OPTIONS': (_req, res) => { res.status(200).send('mine', 'text/plain'); } } });
      module.provides('http', { name: 'creds', cors: { credentials: true }, route: { GET: () => 'creds' } });
    },
  });

  before(async () => {
    t = await startHttpServer({
      modules_enabled: ['http', 'apps'],
      access_control_allow_origins: ['https://web.example'],
      http_cors_override: { creds: { credentials: true, origins: ['https://other.example'] } },
      VirtualHost: { 'a.example': {}, 'b.example': { access_control_allow_origins: ['https://b-web.example'] } },
    }, [apps]);
  });
  after(() => t.stop());

  const send = (host: string, path: string, headers: Record<string, string>, method = 'GET') =>
    request({ port: t.port, path, method, headers: { host, ...headers } });

  it('loads several apps on several hosts with an origin list set (Prosody 0.12.3 failed)', async () => {
    for (const host of ['a.example', 'b.example']) assert.equal((await send(host, '/open', {})).body, 'open');
  });

  it('reflects an allowed origin with Vary: Origin, per host', async () => {
    const a = await send('a.example', '/open', { origin: 'https://web.example' });
    assert.equal(a.headers['access-control-allow-origin'], 'https://web.example');
    assert.equal(a.headers.vary, 'Origin');
    const b = await send('b.example', '/open', { origin: 'https://web.example' });
    assert.equal(b.headers['access-control-allow-origin'], undefined);
    assert.equal(b.body, 'open', 'a disallowed origin is still served; the browser enforces');
    assert.equal((await send('b.example', '/open', { origin: 'https://b-web.example' })).headers['access-control-allow-origin'], 'https://b-web.example');
  });

  it('answers an OPTIONS preflight with 204 and the allowed methods and headers', async () => {
    const r = await send('a.example', '/open', { origin: 'https://web.example', 'access-control-request-method': 'POST' }, 'OPTIONS');
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], 'https://web.example');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS, POST');
    assert.equal(r.headers['access-control-allow-headers'], 'Content-Type');
    assert.equal(r.headers['access-control-max-age'], '7200');
    assert.equal(r.headers.allow, 'GET, HEAD, OPTIONS, POST');
  });

  it('sends no CORS headers for an app with cors disabled', async () => {
    const r = await send('a.example', '/closed', { origin: 'https://web.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    assert.equal(r.headers['access-control-allow-methods'], undefined);
  });

  it('lets an app answer OPTIONS itself', async () => {
    const r = await send('a.example', '/custom', { origin: 'https://web.example' }, 'OPTIONS');
    assert.deepEqual([r.status, r.body], [200, 'mine']);
    assert.equal(r.headers['access-control-allow-origin'], 'https://web.example');
  });

  it('applies http_cors_override (origins and credentials) to its app only', async () => {
    const ok = await send('a.example', '/creds', { origin: 'https://other.example' });
    assert.equal(ok.headers['access-control-allow-origin'], 'https://other.example');
    assert.equal(ok.headers['access-control-allow-credentials'], 'true');
    const no = await send('a.example', '/creds', { origin: 'https://web.example' });
    assert.equal(no.headers['access-control-allow-origin'], undefined);
  });
});
