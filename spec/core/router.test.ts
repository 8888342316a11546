/**
 * Tests for lib/core/router.ts: the kind of each address, the order of the events and the
 * buses they fire on, and the defaults when nobody handles a stanza (delivery to a full JID,
 * service-unavailable, remote-server-not-found, jid-malformed, never an error for an error).
 */
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from '../../lib/core/server.js';
import { MemoryDriver } from '../../lib/core/storage/memory.js';
import { xml, type Element } from '../../lib/core/xml.js';
import type { Session, TransportSession } from '../../lib/core/session-view.js';
import { errorReply } from '../../lib/core/router.js';
import { captureLog } from '../helpers/log.js';
import { MemoryTransport } from '../helpers/memory-transport.js';

/** A bound session for user@host/resource on `server`. */
function bound(server: Server, user: string, host: string, resource: string): { s: TransportSession; t: MemoryTransport } {
  const t = new MemoryTransport();
  const s = server.sessions.create(t);
  s.streamOpened({ to: host, version: '1.0' });
  s.setAuthenticated(user);
  s.streamOpened({ to: host, version: '1.0' });
  s.bindResource(resource);
  t.sent.length = 0;
  return { s, t };
}

describe('router', () => {
  let server: Server;
  let fired: string[];
  let juliet: { s: TransportSession; t: MemoryTransport };
  let romeo: { s: TransportSession; t: MemoryTransport };

  beforeEach(() => {
    server = new Server({ VirtualHost: { localhost: {}, 'other.example': {} } }, { logger: captureLog('silent').logger, storage: new MemoryDriver() });
    fired = [];
    for (const host of ['localhost', 'other.example']) {
      const bus = server.host(host).events;
      bus.on('stream-features', (e: { features: Element }) => { e.features.append(xml('x')); });
      bus.addWrapper('*', (next, payload, event) => {
        if (/^(pre-)?(message|presence|iq)|^iq-/.test(event)) fired.push(`${host} ${event}`);
        return next(payload);
      });
    }
    juliet = bound(server, 'juliet', 'localhost', 'balcony');
    romeo = bound(server, 'romeo', 'other.example', 'garden');
    fired.length = 0;
  });

  it('a message to a bare JID: pre-message/bare on the sender host, message/bare on the destination host', () => {
    server.route(xml('message', { to: 'romeo@other.example', from: juliet.s.fullJid }), juliet.s);
    assert.deepEqual(fired.slice(0, 2), ['localhost pre-message/bare', 'other.example message/bare']);
  });

  it('kinds: full, host, self (iq without to, presence to the own bare JID), bare for a message without to', () => {
    server.route(xml('presence', { to: 'romeo@other.example/garden' }), juliet.s);
    server.route(xml('presence', { to: 'other.example' }), juliet.s);
    server.route(xml('iq', { type: 'result', id: '1' }), juliet.s);
    server.route(xml('presence', { to: 'juliet@localhost' }), juliet.s);
    server.route(xml('message', {}), juliet.s);
    const main = fired.filter((e) => !e.includes(' pre-'));
    assert.deepEqual(main, [
      'other.example presence/full', 'other.example presence/host', 'localhost iq/self', 'localhost presence/self', 'localhost message/bare',
    ]);
  });

  it('iq get/set with one child: iq-<type>/<kind>/<ns>:<name> first; a handler result stops the chain', () => {
    server.host('localhost').events.on('iq-get/host/urn:xmpp:ping:ping', (e: { origin?: Session; stanza: Element }) => {
      assert.equal(e.origin, juliet.s);
      return true;
    });
    server.route(xml('iq', { type: 'get', id: 'p', to: 'localhost', from: juliet.s.fullJid }, xml('ping', { xmlns: 'urn:xmpp:ping' })), juliet.s);
    assert.deepEqual(fired, ['localhost pre-iq/host', 'localhost iq-request/host', 'localhost iq-get/host/urn:xmpp:ping:ping']);
    assert.equal(juliet.t.sent.length, 0);
  });

  it('iq get/set: iq-request/<kind> comes before the per-payload event, and its result stops the chain', () => {
    server.host('other.example').events.on('iq-request/bare', () => true);
    server.route(xml('iq', { type: 'get', id: 'v', to: 'romeo@other.example', from: juliet.s.fullJid }, xml('vCard', { xmlns: 'vcard-temp' })), juliet.s);
    assert.deepEqual(fired, ['localhost pre-iq/bare', 'other.example iq-request/bare']);
    server.route(xml('iq', { type: 'result', id: 'w', to: 'romeo@other.example', from: juliet.s.fullJid }), juliet.s);
    assert.deepEqual(fired.slice(2), ['localhost pre-iq/bare', 'other.example iq/bare'], 'results never fire iq-request');
  });

  it('a pre- handler result stops routing before the destination sees anything', () => {
    server.host('localhost').events.on('pre-message/bare', () => true);
    server.route(xml('message', { to: 'romeo@other.example' }), juliet.s);
    assert.deepEqual(fired, ['localhost pre-message/bare']);
  });

  it('unhandled: a full JID that exists gets the stanza; server stanzas (no origin) too', () => {
    server.route(xml('message', { to: 'romeo@other.example/garden', from: juliet.s.fullJid }, xml('body', {}, 'hi')), juliet.s);
    server.route(xml('message', { to: 'romeo@other.example/garden', from: 'other.example' }, xml('body', {}, 'notice')));
    assert.equal(romeo.t.sent.length, 2);
    assert.match(romeo.t.sent[0]!, /<body>hi<\/body>/);
    assert.match(romeo.t.sent[1]!, /<body>notice<\/body>/);
  });

  it('unhandled iq get/set: service-unavailable back to the sender (RFC 6120 §8.4); results are dropped', () => {
    server.route(xml('iq', { type: 'get', id: 'q1', to: 'localhost', from: juliet.s.fullJid }, xml('query', { xmlns: 'urn:example' })), juliet.s);
    assert.equal(juliet.t.sent.length, 1);
    assert.match(juliet.t.sent[0]!, /^<iq type="error" id="q1" to="juliet@localhost\/balcony" from="localhost"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><\/error><\/iq>$/);
    server.route(xml('iq', { type: 'result', id: 'r1', to: 'localhost', from: juliet.s.fullJid }), juliet.s);
    assert.equal(juliet.t.sent.length, 1);
  });

  it('a message to an offline full JID bounces; a headline or an error never does', () => {
    const from = juliet.s.fullJid;
    server.route(xml('message', { to: 'romeo@other.example/elsewhere', from, id: 'm1' }), juliet.s);
    server.route(xml('message', { to: 'romeo@other.example/elsewhere', from, type: 'headline' }), juliet.s);
    server.route(xml('message', { to: 'romeo@other.example/elsewhere', from, type: 'error' }), juliet.s);
    server.route(xml('presence', { to: 'romeo@other.example/elsewhere', from }), juliet.s);
    assert.equal(juliet.t.sent.length, 1);
    assert.match(juliet.t.sent[0]!, /id="m1".*<service-unavailable /);
  });

  it('a domain that is not local: remote-server-not-found (no s2s); a malformed to: jid-malformed', () => {
    const from = juliet.s.fullJid;
    server.route(xml('message', { to: 'someone@remote.example', from, id: 'a' }), juliet.s);
    server.route(xml('message', { to: 'bad@@jid', from, id: 'b' }), juliet.s);
    assert.match(juliet.t.sent[0]!, /id="a".*<error type="cancel"><remote-server-not-found /);
    assert.match(juliet.t.sent[1]!, /id="b".*<error type="modify"><jid-malformed /);
  });

  it('errorReply swaps addresses, keeps the id, and carries an optional text', () => {
    const reply = errorReply(xml('iq', { type: 'set', id: 'z', to: 'a@b', from: 'c@d/e' }), 'auth', 'forbidden', 'no');
    assert.equal(reply.attrs.to, 'c@d/e');
    assert.equal(reply.attrs.from, 'a@b');
    assert.equal(reply.attrs.id, 'z');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(reply.getChild('error')?.getChildText('text'), 'no');
  });
  describe('route gates (setRouteGate, routeHere)', () => {
    it('a gate sees each stanza to its host after pre-*, with the bare JID as its address, before any event there', () => {
      const seen: string[] = [];
      server.setRouteGate('other.example', (stanza, address) => {
        seen.push(`${stanza.name} ${address} after ${fired.join(',')}`);
        return true;
      });
      server.route(xml('message', { to: 'room@other.example/nick', from: juliet.s.fullJid }), juliet.s);
      server.route(xml('iq', { type: 'get', id: 'g', to: 'other.example', from: juliet.s.fullJid }, xml('query', { xmlns: 'urn:x' })), juliet.s);
      assert.deepEqual(seen, [
        'message room@other.example after localhost pre-message/full',
        'iq other.example after localhost pre-message/full,localhost pre-iq/host',
      ]);
      assert.deepEqual(fired, ['localhost pre-message/full', 'localhost pre-iq/host'], 'nothing fired on the gated host');
      assert.equal(juliet.t.sent.length, 0, 'a taken stanza is not bounced');
    });

    it('a gate that leaves a stanza lets it route as usual; other hosts have no gate', () => {
      let calls = 0;
      server.setRouteGate('other.example', () => { calls++; return false; });
      server.route(xml('message', { to: 'romeo@other.example/garden', from: juliet.s.fullJid, type: 'chat' }), juliet.s);
      server.route(xml('message', { to: 'juliet@localhost/balcony', from: romeo.s.fullJid, type: 'chat' }), romeo.s);
      assert.equal(calls, 1);
      assert.equal(romeo.t.sent.filter((x) => x.startsWith('<message')).length, 1);
      assert.equal(juliet.t.sent.filter((x) => x.startsWith('<message')).length, 1);
    });

    it('routeHere skips pre-* and the gate; removing the gate restores plain routing', () => {
      let calls = 0;
      server.setRouteGate('other.example', () => { calls++; return true; });
      server.routeHere(xml('message', { to: 'romeo@other.example/garden', from: juliet.s.fullJid, type: 'chat' }));
      assert.equal(calls, 0);
      assert.deepEqual(fired.slice(0, 1), ['other.example message/full']);
      assert.equal(romeo.t.sent.filter((x) => x.startsWith('<message')).length, 1);
      server.setRouteGate('other.example', undefined);
      server.route(xml('message', { to: 'romeo@other.example/garden', from: juliet.s.fullJid, type: 'chat' }), juliet.s);
      assert.equal(calls, 0);
      assert.equal(romeo.t.sent.filter((x) => x.startsWith('<message')).length, 2);
    });
  });
});
