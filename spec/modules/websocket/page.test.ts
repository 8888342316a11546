/**
 * Tests for lib/modules/websocket/page.ts: the info page's text (escaped), the endpoint URL
 * as the request reached it, the insecurity warning, and a verbatim custom body.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpRequest } from '../../../lib/core/api.js';
import { endpointUrl, infoPage } from '../../../lib/modules/websocket/page.js';
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
