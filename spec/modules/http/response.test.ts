/**
 * Tests for lib/modules/http/response.ts: a Location that starts like a path never names
 * another host (protocol-relative `//host`, `/\host`, tabs), whether a route handler sets it
 * or an upgrade refusal carries it; absolute URLs are left to the app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule } from '../../../lib/core/api.js';
import { sameOriginLocation } from '../../../lib/modules/http/response.js';
import { rawRequest, request, startHttpServer, type HttpTestServer } from '../../helpers/http.js';

const ORIGIN = 'http://a.example/';

/** The host a browser would go to for `location` on ORIGIN (the WHATWG URL parser, as browsers use). */
function target(location: string): string {
  return new URL(location, ORIGIN).host;
}

describe('sameOriginLocation', () => {
  it('gives protocol-relative values one leading slash', () => {
    const evil = ['//evil.example/x', '/\\evil.example/x', '\\\\evil.example/x', '\\/evil.example/x', '///evil.example/x', '/\t/evil.example/x', ' //evil.example/x', '/\n/evil.example/x'];
    for (const value of evil) {
      assert.equal(target(value), 'evil.example', `the case is real: ${JSON.stringify(value)}`);
      const safe = sameOriginLocation(value);
      assert.equal(target(safe), 'a.example', JSON.stringify(value));
      assert.equal(new URL(safe, ORIGIN).pathname, '/evil.example/x', JSON.stringify(value));
    }
  });

  it('leaves paths, relative references and absolute URLs alone', () => {
    for (const value of ['/files/', '/a//b', 'sub/', '?x=1', 'https://elsewhere.example/', 'http://a.example/x']) assert.equal(sameOriginLocation(value), value);
  });
});

describe('Location from apps', () => {
  let t: HttpTestServer;
  const redirects = defineModule({
    name: 'redirects',
    depends: ['http'],
    load(module) {
      module.provides('http', {
        name: 'go',
        route: {
          'GET /relative': (req, res) => { res.status(302).header('Location', '//evil.example/x'); return 302; },
          'GET /backslash': (req, res) => { res.status(302).header('location', '/\\evil.example/x'); return 302; },
          'GET /absolute': (req, res) => { res.status(302).header('location', 'https://elsewhere.example/'); return 302; },
        },
        upgrade: (req, socket, head, refuse) => refuse(400, 'Go away.', { Location: '//evil.example/x' }),
      });
    },
  });

  before(async () => {
    t = await startHttpServer({ modules_enabled: ['http', 'redirects'], VirtualHost: { 'a.example': {} } }, [redirects]);
  });
  after(() => t.stop());

  it('rewrites a protocol-relative Location a handler sets to a path on this origin', async () => {
    for (const path of ['/go/relative', '/go/backslash']) {
      const r = await request({ port: t.port, path, headers: { host: 'a.example' } });
      assert.equal(r.status, 302, path);
      assert.equal(r.headers.location, '/evil.example/x', path);
      assert.equal(target(r.headers.location!), 'a.example', path);
    }
  });

  it('keeps an absolute URL an app chose', async () => {
    const r = await request({ port: t.port, path: '/go/absolute', headers: { host: 'a.example' } });
    assert.equal(r.headers.location, 'https://elsewhere.example/');
  });

  it('rewrites a Location on an upgrade refusal too', async () => {
    const raw = await rawRequest(t.port, 'GET /go HTTP/1.1\r\nHost: a.example\r\nUpgrade: anything\r\nConnection: Upgrade\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400 /);
    const location = /\r\nlocation: ([^\r]*)/i.exec(raw)?.[1];
    assert.equal(location, '/evil.example/x');
  });
});
