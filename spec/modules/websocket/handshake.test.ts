/**
 * Tests for lib/modules/websocket/handshake.ts: the subprotocol grammar, the Origin policy
 * (exact origins, wildcards, scheme and port, no Origin) and every refusal checkUpgrade makes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpRequest } from '../../../lib/core/http-api.js';
import { checkUpgrade, originAllowed, parseSubprotocols } from '../../../lib/modules/websocket/handshake.js';
import { WEBSOCKET_OPTIONS, type OriginPolicy } from '../../../lib/modules/websocket/options.js';
import { INVALID } from '../../../lib/core/api.js';

function policy(list: string[]): OriginPolicy | undefined {
  const parsed = WEBSOCKET_OPTIONS.websocket_allowed_origins.parse(list);
  assert.notEqual(parsed, INVALID);
  return parsed as OriginPolicy | undefined;
}

function req(headers: Record<string, string>, method = 'GET', httpVersion = '1.1'): HttpRequest {
  const base: Record<string, string> = {
    upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13', 'sec-websocket-protocol': 'xmpp',
  };
  const all = { ...base, ...headers };
  for (const k of Object.keys(all)) if (all[k] === '') delete all[k];
  const [major, minor] = httpVersion.split('.').map(Number);
  return { method, headers: all, raw: { httpVersion, httpVersionMajor: major, httpVersionMinor: minor } } as unknown as HttpRequest;
}

describe('parseSubprotocols', () => {
  it('splits tokens with optional whitespace', () => {
    assert.deepEqual(parseSubprotocols('chat, xmpp'), ['chat', 'xmpp']);
    assert.deepEqual(parseSubprotocols('xmpp'), ['xmpp']);
    assert.deepEqual(parseSubprotocols(' a ,\tb'), ['a', 'b']);
  });

  it('refuses empty items, separators and repeats', () => {
    for (const bad of ['', 'a,,b', 'a b', 'xmpp, xmpp', 'x"y', 'a,']) assert.equal(parseSubprotocols(bad), undefined, bad);
  });
});

describe('originAllowed', () => {
  it('allows anything without a policy, and requests without Origin under any policy', () => {
    assert.ok(originAllowed(undefined, 'https://any.test'));
    assert.ok(originAllowed(policy(['https://a.test']), undefined));
  });

  it('matches exact origins after normalisation (case, default port, trailing slash)', () => {
    const p = policy(['https://Chat.Example.com/']);
    assert.ok(originAllowed(p, 'https://chat.example.com'));
    assert.ok(originAllowed(p, 'https://chat.example.com:443'));
    assert.ok(!originAllowed(p, 'http://chat.example.com'));
    assert.ok(!originAllowed(p, 'https://chat.example.com:8443'));
  });

  it('matches *.domain wildcards on strict subdomains, with optional scheme and port', () => {
    const any = policy(['*.example.org']);
    assert.ok(originAllowed(any, 'https://a.example.org'));
    assert.ok(originAllowed(any, 'http://a.b.example.org:8080'));
    assert.ok(!originAllowed(any, 'https://example.org'));
    assert.ok(!originAllowed(any, 'https://badexample.org'));
    const https = policy(['https://*.example.org']);
    assert.ok(!originAllowed(https, 'http://a.example.org'));
    const port = policy(['https://*.example.org:8443']);
    assert.ok(originAllowed(port, 'https://a.example.org:8443'));
    assert.ok(!originAllowed(port, 'https://a.example.org'));
  });

  it('treats "*" as no restriction and "null" as an exact entry', () => {
    assert.equal(policy(['https://a.test', '*']), undefined);
    assert.ok(originAllowed(policy(['null']), 'null'));
    assert.ok(!originAllowed(policy(['*.example.org']), 'null'));
  });

  it('rejects malformed entries at config time', () => {
    for (const bad of [['example.org/path'], ['https://'], [42], 'https://a.test', ['https://user@a.test']]) {
      assert.equal(WEBSOCKET_OPTIONS.websocket_allowed_origins.parse(bad), INVALID, JSON.stringify(bad));
    }
  });
});

describe('checkUpgrade', () => {
  it('accepts a correct request', () => {
    assert.equal(checkUpgrade(req({}), undefined), undefined);
    assert.equal(checkUpgrade(req({ connection: 'keep-alive, Upgrade', 'sec-websocket-protocol': 'foo, XMPP' }), undefined), undefined);
  });

  const cases: [string, Record<string, string>, number, RegExp, string?][] = [
    ['no xmpp token', { 'sec-websocket-protocol': 'chat' }, 400, /xmpp.*subprotocol.*RFC 7395 §3\.1/],
    ['no protocol header', { 'sec-websocket-protocol': '' }, 400, /xmpp/],
    ['a malformed protocol header', { 'sec-websocket-protocol': 'xmpp,' }, 400, /malformed/],
    ['version 8', { 'sec-websocket-version': '8' }, 426, /version 13/],
    ['no version', { 'sec-websocket-version': '' }, 426, /version 13/],
    ['a short key', { 'sec-websocket-key': 'abc' }, 400, /Sec-WebSocket-Key/],
    ['another upgrade', { upgrade: 'h2c' }, 400, /only upgrades to WebSocket/],
    ['no Connection: Upgrade', { connection: 'keep-alive' }, 400, /Connection: Upgrade/],
    ['POST', {}, 405, /GET/, 'POST'],
  ];
  for (const [what, headers, status, message, method] of cases) {
    it(`refuses ${what} with ${status}`, () => {
      const r = checkUpgrade(req(headers, method), undefined);
      assert.equal(r?.status, status);
      assert.match(r?.message ?? '', message);
    });
  }

  it('refuses an HTTP/1.0 (or older) request with 400 saying HTTP/1.1 is needed (RFC 6455 §4.1)', () => {
    for (const version of ['1.0', '0.9']) {
      const r = checkUpgrade(req({}, 'GET', version), undefined);
      assert.equal(r?.status, 400, version);
      assert.match(r?.message ?? '', /HTTP\/1\.1 or later/);
      assert.match(r?.message ?? '', /RFC 6455 §4\.1/);
    }
    assert.equal(checkUpgrade(req({}, 'GET', '2.0'), undefined), undefined, 'a higher version is fine');
  });

  it('names version 13 in a 426 (RFC 6455 §4.2.2)', () => {
    assert.deepEqual(checkUpgrade(req({ 'sec-websocket-version': '7' }), undefined)?.headers, { 'Sec-WebSocket-Version': '13' });
  });

  it('refuses an origin outside the policy with 403', () => {
    const r = checkUpgrade(req({ origin: 'https://evil.test' }), policy(['https://good.test']));
    assert.equal(r?.status, 403);
    assert.match(r?.message ?? '', /websocket_allowed_origins/);
    assert.equal(checkUpgrade(req({ origin: 'https://good.test' }), policy(['https://good.test'])), undefined);
  });
});
