/**
 * Tests for the chat page's DOM-free parts (examples/web): the plain-words explanations of
 * errors, the choice of WebSocket endpoint from host-meta, and the contact list model.
 * The page as a whole runs in chromium in spec/e2e/browser.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
