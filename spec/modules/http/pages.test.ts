/**
 * Tests for lib/modules/http/pages.ts: escaping, page content, and that the module renders its
 * pages through the `http-message` event so another module can restyle them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule } from '../../../lib/core/api.js';
import { escapeHtml, renderPage } from '../../../lib/modules/http/pages.js';
import { request, startHttpServer } from '../../helpers/http.js';

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
