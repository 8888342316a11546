/**
 * Tests for lib/modules/websocket/page.ts: the info page's text (escaped), the endpoint URL
 * as the request reached it, the insecurity warning, a verbatim custom body, and the
 * security headers (CSP allowing only the page's own style, no framing).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { HttpRequest } from '../../../lib/core/http-api.js';
import { endpointUrl, infoPage, infoPageHeaders } from '../../../lib/modules/websocket/page.js';
import { WEBSOCKET_OPTIONS, type WebSocketOptions } from '../../../lib/modules/websocket/options.js';

const defaults = Object.fromEntries(Object.entries(WEBSOCKET_OPTIONS).map(([k, s]) => [k, s.default])) as unknown as WebSocketOptions;

function req(url: string, secure: boolean): HttpRequest {
  return { url: new URL(url), secure } as unknown as HttpRequest;
}

describe('info page', () => {
  it('shows the ws:// URL without the query, and warns when not secure', () => {
    const html = infoPage(req('http://chat.example:5280/xmpp-websocket/?token=x', false), defaults);
    assert.match(html, /<code>ws:\/\/chat\.example:5280\/xmpp-websocket\/<\/code>/);
    assert.doesNotMatch(html, /token=/);
    assert.match(html, /not considered secure/);
    assert.match(html, /consider_websocket_secure/);
  });

  it('shows wss:// and no warning for a secure request or a host declared secure', () => {
    assert.doesNotMatch(infoPage(req('https://chat.example/xmpp-websocket', true), defaults), /not considered secure/);
    assert.match(endpointUrl(req('https://chat.example/xmpp-websocket', true)), /^wss:\/\/chat\.example\/xmpp-websocket$/);
    assert.doesNotMatch(infoPage(req('http://chat.example/xmpp-websocket', false), { ...defaults, consider_websocket_secure: true }), /not considered secure/);
  });

  it('escapes the configured text, and sends a custom body verbatim', () => {
    assert.match(infoPage(req('http://a/', true), { ...defaults, websocket_get_response_text: '<b>&</b>' }), /&lt;b&gt;&amp;&lt;\/b&gt;/);
    assert.equal(infoPage(req('http://a/', false), { ...defaults, websocket_get_response_body: '<p>mine</p>' }), '<p>mine</p>');
  });
});

describe('info page headers', () => {
  const directives = (csp: string | undefined): Map<string, string> =>
    new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...v]) => [name!, v.join(' ')]));

  it('forbid framing, sniffing and referrers', () => {
    for (const options of [defaults, { ...defaults, websocket_get_response_body: '<p>mine</p>' }]) {
      const h = infoPageHeaders(options);
      assert.equal(directives(h['content-security-policy']).get('frame-ancestors'), "'none'");
      assert.equal(directives(h['content-security-policy']).get('object-src'), "'none'");
      assert.equal(directives(h['content-security-policy']).get('base-uri'), "'none'");
      assert.equal(h['x-frame-options'], 'DENY');
      assert.equal(h['x-content-type-options'], 'nosniff');
      assert.equal(h['referrer-policy'], 'no-referrer');
    }
  });

  it('let the built-in page load nothing and run no script, allowing its own style by hash', () => {
    const csp = directives(infoPageHeaders(defaults)['content-security-policy']);
    assert.equal(csp.get('default-src'), "'none'");
    assert.equal(csp.has('script-src'), false);
    for (const html of [infoPage(req('http://a/', false), defaults), infoPage(req('https://a/', true), defaults)]) {
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
      assert.equal(csp.get('style-src'), `'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`);
    }
  });

  it('leave an operator\'s custom body its scripts and styles', () => {
    const csp = directives(infoPageHeaders({ ...defaults, websocket_get_response_body: '<p>mine</p>' })['content-security-policy']);
    assert.equal(csp.has('default-src'), false);
    assert.equal(csp.has('style-src'), false);
  });
});
