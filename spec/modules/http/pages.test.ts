/**
 * Tests for lib/modules/http/pages.ts: escaping, page content, that the module renders its
 * pages through the `http-message` event so another module can restyle them, and the
 * security headers (CSP with the pages' own style hashes, no framing) every page carries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { defineModule } from '../../../lib/core/api.js';
import { escapeHtml, pageHeaders, renderPage } from '../../../lib/modules/http/pages.js';
import { rawRequest, request, startHttpServer } from '../../helpers/http.js';

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The directives of a policy, by name. */
function directives(csp: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of (csp ?? '').split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) out.set(name, values.join(' '));
  }
  return out;
}

/** The headers of a raw HTTP answer, lower-cased names. */
function rawHeaders(raw: string): Record<string, string> {
  const lines = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
}

/** What every page of the module must be sent with. */
function assertPageHeaders(headers: Record<string, string | string[] | undefined>, what: string): void {
  const csp = directives(String(headers['content-security-policy']));
  assert.equal(csp.get('default-src'), "'none'", what);
  assert.equal(csp.get('frame-ancestors'), "'none'", what);
  assert.equal(csp.get('base-uri'), "'none'", what);
  assert.equal(csp.get('object-src'), "'none'", what);
  assert.doesNotMatch(csp.get('style-src') ?? '', /unsafe-inline/, what);
  assert.equal(csp.has('script-src'), false, `${what}: no script`);
  assert.equal(headers['x-frame-options'], 'DENY', what);
  assert.equal(headers['x-content-type-options'], 'nosniff', what);
  assert.equal(headers['referrer-policy'], 'no-referrer', what);
}

describe('pages', () => {
  it('escapes text and renders a small page with the status as title', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const page = renderPage({ status: 404, message: 'No <script> here' });
    assert.match(page, /^<!DOCTYPE html>/);
    assert.match(page, /<title>404 Not Found<\/title>/);
    assert.match(page, /<p>No &lt;script&gt; here<\/p>/);
    assert.ok(page.length < 1000);
    assert.match(renderPage({ title: 'It works', message: 'Point your client here.' }), /<h1>It works<\/h1>/);
  });

  it('renders error pages through http-message, which a module can override', async () => {
    const branded = defineModule({
      name: 'branded',
      global: true,
      load(module) { module.hook('http-message', (c) => `<p>branded ${String(c.status)}</p>`); },
    });
    const t = await startHttpServer({ modules_enabled: ['http', 'branded'] }, [branded]);
    try {
      const r = await request({ port: t.port, path: '/missing' });
      assert.deepEqual([r.status, r.body], [404, '<p>branded 404</p>']);
      assert.equal(t.server.events.fire('http-message', { status: 503, message: 'x' }), '<p>branded 503</p>');
    } finally {
      await t.stop();
    }
  });
});

describe('page security headers', () => {
  it('allow exactly the page\'s inline styles, by hash, and nothing else', () => {
    const page = renderPage({ status: 404 });
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    const headers = pageHeaders(page);
    assertPageHeaders(headers, 'renderPage');
    assert.equal(directives(headers['content-security-policy']).get('style-src'), sha256(style));
    const restyled = pageHeaders('<style media="screen">p{color:red}</style><p>x</p><STYLE>h1{}</STYLE >');
    assert.equal(directives(restyled['content-security-policy']).get('style-src'), `${sha256('p{color:red}')} ${sha256('h1{}')}`);
    assert.equal(directives(pageHeaders('<p>plain</p>')['content-security-policy']).has('style-src'), false);
  });

  it('are sent with error pages, refused upgrades and malformed requests', async () => {
    const t = await startHttpServer({ modules_enabled: ['http'] });
    try {
      const missing = await request({ port: t.port, path: '/missing' });
      assert.equal(missing.status, 404);
      assertPageHeaders(missing.headers, '404 page');
      // The hash in the header is the hash of the style the page was sent with.
      const style = /<style>([\s\S]*?)<\/style>/.exec(missing.body)![1]!;
      assert.equal(directives(String(missing.headers['content-security-policy'])).get('style-src'), sha256(style));
      const upgrade = await rawRequest(t.port, 'GET /nothing HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      assert.match(upgrade, /^HTTP\/1\.1 404 /);
      assertPageHeaders(rawHeaders(upgrade), 'refused upgrade');
      const malformed = await rawRequest(t.port, 'GET nopath HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      assert.match(malformed, /^HTTP\/1\.1 400 /);
      assertPageHeaders(rawHeaders(malformed), '400 page');
    } finally {
      await t.stop();
    }
  });
});
