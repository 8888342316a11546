/**
 * Tests for lib/core/session.ts: the stream state machine driven through an in-memory
 * transport: headers and features, the gates before authentication and binding, the one
 * close path (order, codes, the grace period, idempotence), keepalives and conflicts.
 */
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from '../../lib/core/server.js';
import { MemoryDriver } from '../../lib/core/storage/memory.js';
import { xml, NS_CLIENT, NS_BIND, type Element } from '../../lib/core/xml.js';
import type { Session, TransportSession } from '../../lib/core/session-view.js';
import { DEFAULT_INSECURE_HINT } from '../../lib/core/session-elements.js';
import type { RawConfig } from '../../lib/core/config.js';
import { captureLog } from '../helpers/log.js';
import { MemoryTransport } from '../helpers/memory-transport.js';

const OPEN = { to: 'localhost', version: '1.0' } as const;

function makeServer(extra: RawConfig = {}): Server {
  return new Server({ VirtualHost: { localhost: {}, 'other.example': {} }, c2s_close_timeout: 0.05, ...extra }, {
    logger: captureLog('silent').logger, storage: new MemoryDriver(),
  });
}

/** A session on `server` with a transport that records everything. */
function connect(server: Server, secure = true): { s: TransportSession; t: MemoryTransport } {
  const t = new MemoryTransport();
  t.secure = secure;
  return { s: server.sessions.create(t), t };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Session', () => {
  let server: Server;
  let events: string[];
  beforeEach(() => {
    server = makeServer();
    events = [];
    const bus = server.host('localhost').events;
    // A minimal "saslauth": something to offer, so streams stay open.
    bus.on('stream-features', (e: { session: Session; features: Element }) => {
      if (!e.session.authenticated) e.features.append(xml('mechanisms', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl' }));
      else if (!e.session.bound) e.features.append(xml('bind', { xmlns: NS_BIND }));
    });
    for (const name of ['pre-session-close', 'c2s-closed', 'resource-bind', 'pre-resource-unbind', 'resource-unbind']) {
      bus.on(name, (e) => { events.push(`${name}${e.reason?.condition ? ` ${String(e.reason.condition)}` : ''}`); });
    }
  });

  describe('opening', () => {
    it('answers with a header (from, new id, version 1.0, language, to = the client from) and features', () => {
      const { s, t } = connect(server);
      s.streamOpened({ ...OPEN, from: 'Juliet@LocalHost/x', 'xml:lang': 'de-CH' });
      assert.deepEqual(t.ops, ['open', 'limit', 'send']);
      const attrs = t.opens[0]!;
      assert.equal(attrs.from, 'localhost');
      assert.equal(attrs.version, '1.0');
      assert.equal(attrs['xml:lang'], 'de-CH');
      assert.equal(attrs.to, 'juliet@localhost', 'RFC 6120 §4.7.2: the bare JID the client announced');
      assert.match(attrs.id!, /^[A-Za-z0-9_-]{16}$/);
      assert.match(t.sent[0]!, /^<stream:features xmlns:stream="http:\/\/etherx.jabber.org\/streams"><mechanisms /);
      assert.equal(s.state, 'open');
      assert.equal(s.host, 'localhost');
      assert.equal(t.maxStanzaSize, 10000);
    });

    it('ignores a language tag that is not one, and ids differ between streams', () => {
      const a = connect(server);
      const b = connect(server);
      a.s.streamOpened({ ...OPEN, 'xml:lang': 'x y' });
      b.s.streamOpened(OPEN);
      assert.equal(a.t.opens[0]!['xml:lang'], 'en');
      assert.notEqual(a.t.opens[0]!.id, b.t.opens[0]!.id);
    });

    it('a second header outside a restart is bad-format; a restart to another host is not-authorized', () => {
      const a = connect(server);
      a.s.streamOpened(OPEN);
      a.s.streamOpened(OPEN);
      assert.match(a.t.sent.at(-1)!, /<bad-format /);
      const b = connect(server);
      b.s.streamOpened(OPEN);
      b.s.resetStream();
      b.s.streamOpened({ ...OPEN, to: 'other.example' });
      assert.match(b.t.sent.at(-1)!, /<not-authorized /);
    });

    it('without features on an insecure connection: policy-violation with the transport hint, or a generic one', () => {
      const bare = makeServer({ c2s_require_encryption: true });
      const a = connect(bare, false);
      a.t.insecureHint = 'do X';
      a.s.streamOpened(OPEN);
      assert.match(a.t.sent[0]!, /<policy-violation [^>]*\/><text [^>]*>do X<\/text>/);
      const b = connect(bare, false);
      b.s.streamOpened(OPEN);
      assert.ok(b.t.sent[0]!.includes(DEFAULT_INSECURE_HINT.replace(/'/g, '&apos;')));
      const c = connect(bare, true);
      c.s.streamOpened(OPEN);
      assert.match(c.t.sent[0]!, /<undefined-condition .*saslauth/);
    });
  });

  describe('the one close path', () => {
    it('pre-session-close, error, close, then waits for the peer; its close ends with the code', () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.close({ condition: 'policy-violation', text: 'too big' });
      assert.deepEqual(t.ops.slice(-2), ['send', 'close']);
      assert.match(t.sent.at(-1)!, /<stream:error [^>]*><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/><text [^>]*>too big<\/text><\/stream:error>/);
      assert.equal(t.ended, undefined, 'waiting for the peer');
      assert.equal(s.closed, true);
      assert.deepEqual(events, ['pre-session-close policy-violation']);
      s.streamClosed();
      assert.deepEqual(t.ended, { code: 1008, reason: 'too big' });
      assert.deepEqual(events, ['pre-session-close policy-violation', 'c2s-closed policy-violation']);
      assert.equal(server.sessions.count, 0);
    });

    it('is idempotent', () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.close('conflict');
      s.close('system-shutdown');
      s.streamClosed();
      s.disconnected();
      assert.equal(t.ops.filter((o) => o === 'close').length, 1);
      assert.equal(t.ops.filter((o) => o === 'end').length, 1);
      assert.deepEqual(events, ['pre-session-close conflict', 'c2s-closed conflict']);
    });

    it('after c2s_close_timeout without the peer close, the transport ends anyway', async () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.close();
      assert.equal(t.ended, undefined);
      await wait(120);
      assert.deepEqual(t.ended, { code: 1000, reason: undefined });
    });

    it('before the peer opened a stream: our header first (RFC 6120 §4.9.1.2), no waiting', () => {
      const { s, t } = connect(server);
      s.close('system-shutdown');
      assert.deepEqual(t.ops, ['open', 'send', 'close', 'end']);
      assert.equal(t.ended?.code, 1001);
    });

    it('a transport error ends at once: the input is dead, nobody will send a close', () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.transportError('not-well-formed', 'bad');
      assert.deepEqual(t.ops.slice(-3), ['send', 'close', 'end']);
      assert.equal(t.ended?.code, 1007);
    });

    it('the peer closing first: we close too and end at once', () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.streamClosed();
      assert.deepEqual(t.ops.slice(-2), ['close', 'end']);
      assert.deepEqual(events, ['pre-session-close', 'c2s-closed']);
    });

    it('disconnected() goes through the close path with a dropped reason, writing nothing', () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      const before = t.calls.length;
      s.disconnected(new Error('ECONNRESET'));
      assert.deepEqual(t.ops.slice(before), ['end']);
      assert.deepEqual(events, ['pre-session-close', 'c2s-closed']);
      s.send(xml('message'));
      assert.equal(t.sent.length, 1, 'nothing is sent once closed');
    });

    it('a reason may carry its own close code (a WebSocket 1009, say)', () => {
      const { s, t } = connect(server);
      s.transportError('policy-violation', 'frame too large', 1009);
      assert.equal(t.ended?.code, 1009);
    });
  });

  describe('gates and dispatch', () => {
    it('a stanza before authentication closes with not-authorized (RFC 6120 §4.3.5)', () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.received(xml('message', { xmlns: NS_CLIENT, to: 'a@localhost' }));
      assert.match(t.sent.at(-1)!, /<not-authorized /);
    });

    it('before authentication, iq requests go to stanza/iq/<ns>:<name> (in-band registration); unhandled ones are refused', () => {
      const got: string[] = [];
      server.host('localhost').events.on('stanza/iq/jabber:iq:register:query', (e: { origin: Session; session: Session; stanza: Element }) => {
        assert.equal(e.origin, e.session);
        got.push(String(e.stanza.attrs.id));
        return true;
      });
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.received(xml('iq', { xmlns: NS_CLIENT, type: 'get', id: 'r1' }, xml('query', { xmlns: 'jabber:iq:register' })));
      assert.deepEqual(got, ['r1']);
      assert.equal(s.closed, false);
      s.received(xml('iq', { xmlns: NS_CLIENT, type: 'get', id: 'v1' }, xml('query', { xmlns: 'jabber:iq:version' })));
      assert.match(t.sent.at(-1)!, /<not-authorized /);
    });

    it('after SASL success: the limit rises, a header is expected, then bind is offered', () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.setAuthenticated('juliet');
      assert.equal(t.maxStanzaSize, 262144);
      assert.equal(s.state, 'restarting');
      assert.equal(t.ops.at(-1), 'restart');
      s.streamOpened(OPEN);
      assert.match(t.sent.at(-1)!, /<bind /);
      assert.notEqual(t.opens[0]!.id, t.opens[1]!.id, 'RFC 6120 §4.3.3: a new stream id');
      assert.equal(s.bareJid, 'juliet@localhost');
    });

    it('an element where a header is expected after a restart is bad-format', () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.setAuthenticated('juliet');
      s.received(xml('iq', { type: 'get' }));
      assert.match(t.sent.at(-1)!, /<bad-format /);
    });

    it('bound: stamps from with the full JID (RFC 6120 §8.1.2.1) and routes', () => {
      const routed: string[] = [];
      server.host('localhost').events.on('message/bare', (e: { stanza: Element }) => { routed.push(String(e.stanza.attrs.from)); return true; });
      const { s } = connect(server);
      s.streamOpened(OPEN);
      s.setAuthenticated('juliet');
      s.streamOpened(OPEN);
      assert.equal(s.bindResource('balcony'), 'balcony');
      s.received(xml('message', { xmlns: NS_CLIENT, to: 'romeo@localhost', from: 'mallory@evil.example' }));
      assert.deepEqual(routed, ['juliet@localhost/balcony']);
      assert.deepEqual(events, ['resource-bind']);
    });

    it('while closing, a bound session still processes what arrives (RFC 6120 §4.4)', () => {
      const routed: string[] = [];
      server.host('localhost').events.on('message/bare', () => { routed.push('x'); return true; });
      const { s } = connect(server);
      s.streamOpened(OPEN);
      s.setAuthenticated('juliet');
      s.streamOpened(OPEN);
      s.bindResource('r');
      s.close();
      s.received(xml('message', { to: 'romeo@localhost' }));
      assert.deepEqual(routed, ['x']);
    });

    it('stanzas outside jabber:client: invalid-namespace; unknown top-level elements: unsupported-stanza-type', () => {
      const a = connect(server);
      a.s.streamOpened(OPEN);
      a.s.received(xml('presence', { xmlns: 'jabber:server' }));
      assert.match(a.t.sent.at(-1)!, /<invalid-namespace /);
      const b = connect(server);
      b.s.streamOpened(OPEN);
      b.s.received(xml('thing', { xmlns: NS_CLIENT }));
      assert.match(b.t.sent.at(-1)!, /<unsupported-stanza-type /);
    });

    it('nonzas go to stanza/<ns>:<name> handlers', () => {
      const got: string[] = [];
      server.host('localhost').events.on('stanza/urn:example:x:hello', (e: { session: Session; stanza: Element }) => { got.push(e.stanza.name); return true; });
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      s.received(xml('hello', { xmlns: 'urn:example:x' }));
      assert.deepEqual(got, ['hello']);
      assert.equal(s.closed, false);
      assert.equal(t.sent.length, 1);
    });

    it("the peer's stream error closes the stream cleanly, without an error of ours", () => {
      const { s, t } = connect(server);
      s.streamOpened(OPEN);
      const err = xml('stream:error', { 'xmlns:stream': 'http://etherx.jabber.org/streams', xmlns: NS_CLIENT }, xml('system-shutdown', { xmlns: 'urn:ietf:params:xml:ns:xmpp-streams' }));
      s.received(err);
      assert.equal(t.ops.at(-1), 'close');
      assert.equal(t.sent.length, 1, 'no stream error in answer');
    });
  });

  describe('keepalive and binding', () => {
    it('c2s-read-timeout: a handler keeps the session; none, or false, closes it with connection-timeout', () => {
      const a = connect(server);
      a.s.streamOpened(OPEN);
      a.s.readTimeout();
      assert.match(a.t.sent.at(-1)!, /<connection-timeout /);
      server.host('localhost').events.on('c2s-read-timeout', () => true, -100);
      const b = connect(server);
      b.s.streamOpened(OPEN);
      b.s.readTimeout();
      assert.equal(b.s.closed, false);
      server.host('localhost').events.on('c2s-read-timeout', () => false, 10);
      b.s.readTimeout();
      assert.match(b.t.sent.at(-1)!, /<connection-timeout /);
    });

    it('bindResource: generated resources; a conflict unbinds the old session and closes it with conflict', () => {
      const bind = (resource?: string): { s: TransportSession; t: MemoryTransport } => {
        const c = connect(server);
        c.s.streamOpened(OPEN);
        c.s.setAuthenticated('juliet');
        c.s.streamOpened(OPEN);
        c.s.bindResource(resource);
        return c;
      };
      const generated = bind();
      assert.match(generated.s.resource!, /^[A-Za-z0-9_-]{12}$/);
      const first = bind('phone');
      events.length = 0;
      const second = bind('phone');
      assert.equal(server.sessions.get('juliet@localhost/phone'), second.s);
      assert.equal(first.s.bound, false);
      assert.match(first.t.sent.at(-1)!, /<conflict /);
      assert.deepEqual(events, ['pre-session-close conflict', 'pre-resource-unbind conflict', 'resource-unbind conflict', 'resource-bind']);
      assert.deepEqual(server.sessions.ofUser('localhost', 'juliet').map((s) => s.resource).sort(), [generated.s.resource, 'phone'].sort());
      first.s.streamClosed();
      assert.equal(server.sessions.get('juliet@localhost/phone'), second.s, 'the old session leaving does not unbind the new one');
    });

    it('c2s_timeout closes a session that does not authenticate in time', async () => {
      const quick = makeServer({ c2s_timeout: 0.05 });
      quick.host('localhost').events.on('stream-features', (e: { features: Element }) => { e.features.append(xml('x')); });
      const { s, t } = connect(quick);
      s.streamOpened(OPEN);
      await wait(100);
      assert.match(t.sent.at(-1)!, /<connection-timeout /);
      assert.equal(s.closed, true);
    });
  });
});
