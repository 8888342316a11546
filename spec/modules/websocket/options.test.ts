/**
 * Tests for lib/modules/websocket/options.ts: origin normalisation and allow-list entries,
 * and a server refusing to start on invalid websocket options (XS_ERR_OPTION_INVALID naming
 * the option, module and host).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INVALID, isServerError } from '../../../lib/core/api.js';
import { normalizeOrigin, parseOriginEntry, WEBSOCKET_OPTIONS } from '../../../lib/modules/websocket/options.js';
import { startTestServer } from '../../helpers/server.js';

describe('origins', () => {
  it('normalises serialised origins', () => {
    assert.equal(normalizeOrigin('HTTPS://Example.COM:443'), 'https://example.com');
    assert.equal(normalizeOrigin('http://example.com:8080/'), 'http://example.com:8080');
    assert.equal(normalizeOrigin('null'), 'null');
    for (const bad of ['example.com', 'https://a.test/path', 'https://u:p@a.test', '']) assert.equal(normalizeOrigin(bad), undefined, bad);
  });

  it('parses wildcard entries', () => {
    assert.deepEqual(parseOriginEntry('*.Example.org'), { pattern: { scheme: undefined, suffix: '.example.org', port: undefined } });
    assert.deepEqual(parseOriginEntry('https://*.example.org:8443'), { pattern: { scheme: 'https:', suffix: '.example.org', port: '8443' } });
    assert.deepEqual(parseOriginEntry('https://a.example.org'), { exact: 'https://a.example.org' });
    assert.equal(parseOriginEntry('*.'), undefined);
    assert.equal(parseOriginEntry('a.*.example.org'), undefined);
  });
});

describe('option specs', () => {
  it('bounds numbers and validates redirect URIs', () => {
    assert.equal(WEBSOCKET_OPTIONS.websocket_ping_interval.parse(-1), INVALID);
    assert.equal(WEBSOCKET_OPTIONS.websocket_pong_timeout.parse(0), INVALID);
    assert.equal(WEBSOCKET_OPTIONS.websocket_max_buffered_bytes.parse(100), INVALID);
    assert.equal(WEBSOCKET_OPTIONS.websocket_frame_buffer_limit.parse(5000), INVALID);
    assert.equal(WEBSOCKET_OPTIONS.websocket_frame_buffer_limit.parse(1_000_000), 1_000_000);
    assert.equal(WEBSOCKET_OPTIONS.websocket_see_other_uri.parse('wss://b.example/xmpp-websocket'), 'wss://b.example/xmpp-websocket');
    assert.equal(WEBSOCKET_OPTIONS.websocket_see_other_uri.parse('https://b.example/http-bind'), 'https://b.example/http-bind');
    assert.equal(WEBSOCKET_OPTIONS.websocket_see_other_uri.parse('mailto:x@y'), INVALID);
  });

  it('documents every option', () => {
    for (const [name, spec] of Object.entries(WEBSOCKET_OPTIONS)) assert.ok((spec.doc ?? '').length > 20, name);
  });

  it('refuses to start with an invalid per-host value, naming option, module and host', async () => {
    await assert.rejects(
      startTestServer({ modules_enabled: ['saslauth', 'websocket'], VirtualHost: { localhost: { websocket_allowed_origins: ['example.org/x'] } } }),
      (err) => isServerError(err) && err.code === 'XS_ERR_OPTION_INVALID'
        && /websocket_allowed_origins/.test(err.message) && /websocket/.test(err.message) && /localhost/.test(err.message),
    );
  });

  it('reads global-only options from the global section', () => {
    assert.equal(WEBSOCKET_OPTIONS.websocket_frame_buffer_limit.scope, 'global');
    assert.equal(WEBSOCKET_OPTIONS.websocket_max_fragments.scope, 'global');
    assert.equal(WEBSOCKET_OPTIONS.websocket_ping_interval.scope, 'host');
    assert.equal(WEBSOCKET_OPTIONS.websocket_allowed_origins.scope, 'host');
  });
});
