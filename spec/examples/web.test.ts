/**
 * Tests for the chat page's DOM-free parts (examples/web): the plain-words explanations of
 * errors, the choice of WebSocket endpoint from host-meta, the contact list model, and the
 * page as the default configuration serves it (Content-Security-Policy, no framing, nothing
 * inline the policy would block). The page as a whole runs in chromium in spec/e2e/browser.test.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAT_PAGE_DIR, defaultConfig } from '../../lib/cli/default-config.js';
import { request } from '../helpers/http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { explainError, explainStanzaError } from '../../examples/web/words.js';
import { REL_WEBSOCKET, chooseWebSocketUrl, discoverWebSocketUrl } from '../../examples/web/discovery.js';
import { ContactList, bareJid, isContactAddress } from '../../examples/web/contacts.js';

const URL_ = 'ws://localhost:5280/xmpp-websocket';

describe('explainError', () => {
  it('names a wrong password and gives up', () => {
    assert.deepEqual(explainError({ name: 'SASLError', condition: 'not-authorized' }, URL_, 'localhost'), { text: 'Wrong address or password.', fatal: true });
  });

  it('points at the insecure WebSocket when no mechanism is offered', () => {
    const e = explainError({ name: 'SASLError', condition: 'SASL: No compatible mechanism available.', message: 'SASL: No compatible mechanism available.' }, URL_, 'localhost');
    assert.match(e.text, /does not consider this WebSocket secure/);
    assert.equal(e.fatal, true);
  });

  it('says the page will not send a password over plain ws:// to another machine', () => {
    const e = explainError({ name: 'Error', message: 'SASL: Mechanism undefined not found.' }, 'ws://chat.example.org/xmpp-websocket', 'example.org');
    assert.match(e.text, /only over an encrypted connection/);
    assert.equal(e.fatal, true);
  });

  it('says the server cannot be reached, with the URL, and may retry', () => {
    const e = explainError({ name: 'Error', code: 'ECONNERROR', message: `WebSocket ECONNERROR ${URL_}` }, URL_, 'localhost');
    assert.equal(e.text, `Cannot reach the server at ${URL_}. Check that it is running and that the address is right.`);
    assert.equal(e.fatal, false);
  });

  it('explains stream errors, quoting the server', () => {
    assert.match(explainError({ name: 'StreamError', condition: 'host-unknown' }, URL_, 'example.org').text, /does not serve example\.org/);
    const pv = explainError({ name: 'StreamError', condition: 'policy-violation', text: 'Encryption is required' }, URL_, 'localhost');
    assert.equal(pv.text, 'The server closed the connection (policy violation). The server said: “Encryption is required”');
    assert.equal(explainError({ name: 'StreamError', condition: 'conflict' }, URL_, 'localhost').fatal, true);
    assert.equal(explainError({ name: 'StreamError', condition: 'system-shutdown' }, URL_, 'localhost').fatal, false);
  });

  it('describes undeliverable messages', () => {
    assert.equal(explainStanzaError('service-unavailable', undefined), 'Not delivered: the recipient cannot receive messages right now.');
    assert.equal(explainStanzaError('gone', 'moved'), 'Not delivered: gone (moved).');
  });
});

describe('chooseWebSocketUrl', () => {
  const page = { protocol: 'https:', host: 'chat.example.org', hostname: 'chat.example.org' };

  it('takes the host-meta link on the page\'s host', () => {
    const jrd = { links: [{ rel: 'other', href: 'wss://chat.example.org/x' }, { rel: REL_WEBSOCKET, href: 'wss://chat.example.org/ws' }] };
    assert.equal(chooseWebSocketUrl(jrd, page), 'wss://chat.example.org/ws');
  });

  it('falls back to /xmpp-websocket on the page\'s host and scheme', () => {
    assert.equal(chooseWebSocketUrl({ links: [{ rel: REL_WEBSOCKET, href: 'wss://elsewhere.example/ws' }] }, page), 'wss://chat.example.org/xmpp-websocket');
    assert.equal(chooseWebSocketUrl({ links: [{ rel: REL_WEBSOCKET, href: 'not a url' }] }, page), 'wss://chat.example.org/xmpp-websocket');
    assert.equal(chooseWebSocketUrl(null, { protocol: 'http:', host: 'localhost:5280', hostname: 'localhost' }), 'ws://localhost:5280/xmpp-websocket');
  });

  it('uses the default when host-meta cannot be fetched', async () => {
    const url = await discoverWebSocketUrl(page, () => Promise.reject(new Error('404')));
    assert.equal(url, 'wss://chat.example.org/xmpp-websocket');
  });
});

describe('ContactList', () => {
  it('tracks roster items, presence per resource, and the best availability', () => {
    const list = new ContactList();
    list.replaceRoster([{ jid: 'bob@Example.org', subscription: 'both' }, { jid: 'carol@example.org', name: 'Carol', subscription: 'none', ask: 'subscribe' }]);
    const bob = list.get('bob@example.org')!;
    assert.equal(bob.jid, 'bob@example.org');
    assert.equal(list.availability(bob), 'offline');
    list.applyPresence('bob@example.org/phone', undefined, 'away', 'on the move');
    list.applyPresence('bob@example.org/desk', undefined, undefined, undefined);
    assert.equal(list.availability(bob), 'online');
    list.applyPresence('bob@example.org/desk', 'unavailable', undefined, undefined);
    assert.equal(list.availability(bob), 'away');
    assert.equal(list.statusText(bob), 'on the move');
    assert.deepEqual(list.sorted().map((c) => c.jid), ['bob@example.org', 'carol@example.org']);
    assert.equal(list.expectsSubscribe('carol@example.org'), true, 'we asked carol first');
    assert.equal(list.expectsSubscribe('dave@example.org'), false);
    list.clearPresence();
    assert.equal(list.availability(bob), 'offline');
  });

  it('keeps a conversation when its contact leaves the roster', () => {
    const list = new ContactList();
    list.applyRosterItem({ jid: 'bob@example.org', subscription: 'both' });
    list.get('bob@example.org')!.lines.push({ direction: 'in', text: 'hi', at: new Date() });
    list.applyRosterItem({ jid: 'bob@example.org', subscription: 'remove' });
    assert.equal(list.get('bob@example.org')?.inRoster, false);
    list.applyRosterItem({ jid: 'carol@example.org' });
    list.applyRosterItem({ jid: 'carol@example.org', subscription: 'remove' });
    assert.equal(list.get('carol@example.org'), undefined);
  });

  it('parses addresses', () => {
    assert.equal(bareJid('Bob@Example.ORG/Res/x'), 'Bob@example.org');
    assert.ok(isContactAddress('bob@example.org'));
    assert.ok(isContactAddress('alice@localhost'));
    for (const bad of ['bob', 'bob@', '@example.org', 'bob smith@example.org', 'bob@example.org/res']) assert.ok(!isContactAddress(bad), bad);
  });
});

describe('the chat page as the default configuration serves it', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ ...defaultConfig(), https_ports: [] });
  });
  after(() => t?.stop());

  const directives = (csp: unknown): Map<string, string> =>
    new Map(String(csp).split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...v]) => [name!, v.join(' ')]));

  it('is sent at / with a Content-Security-Policy and headers that forbid framing', async () => {
    const r = await request({ port: t.port('http'), path: '/', headers: { host: 'localhost' } });
    assert.equal(r.status, 200);
    assert.match(r.body, /<title>XMPP chat<\/title>/);
    const csp = directives(r.headers['content-security-policy']);
    assert.equal(csp.get('frame-ancestors'), "'none'");
    assert.equal(csp.get('default-src'), "'self'");
    assert.equal(csp.get('connect-src'), "'self' ws: wss: http: https:");
    assert.equal(csp.get('object-src'), "'none'");
    assert.equal(csp.get('base-uri'), "'none'");
    assert.equal(csp.has('script-src'), false, 'scripts fall back to default-src \'self\'');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    for (const path of ['/style.css', '/app.bundle.js']) {
      const asset = await request({ port: t.port('http'), path, method: 'HEAD', headers: { host: 'localhost' } });
      assert.equal(asset.status, 200, path);
      assert.equal(asset.headers['content-security-policy'], r.headers['content-security-policy'], path);
    }
    const missing = await request({ port: t.port('http'), path: '/nope.html', headers: { host: 'localhost' } });
    assert.equal(missing.status, 404);
    assert.equal(directives(missing.headers['content-security-policy']).get('frame-ancestors'), "'none'");
    assert.equal(missing.headers['x-frame-options'], 'DENY');
  });

  it('has no inline script, style or handler that the policy would block', () => {
    const html = readFileSync(join(CHAT_PAGE_DIR, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length > 0);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs!, /\ssrc="[^"/:][^":]*"/, 'a script from a same-origin file');
      assert.equal(body!.trim(), '', 'no inline script');
    }
    assert.doesNotMatch(html, /<style\b/i);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /javascript:/i);
    for (const [, url] of html.matchAll(/\s(?:src|href)="([^"]*)"/gi)) assert.doesNotMatch(url!, /^(?:[a-z]+:|\/\/)/i, `${url} is on the page's origin`);
  });
});
