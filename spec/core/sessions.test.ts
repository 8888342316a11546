/**
 * Tests for lib/core/sessions.ts: the registry's indexes (full JID, account, host, all),
 * bind order, replacement by a newer session, and per-host session options.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from '../../lib/core/server.js';
import { MemoryDriver } from '../../lib/core/storage/memory.js';
import { xml, type Element } from '../../lib/core/xml.js';
import type { TransportSession } from '../../lib/core/session-view.js';
import { captureLog } from '../helpers/log.js';
import { MemoryTransport } from '../helpers/memory-transport.js';

function makeServer(): Server {
  const server = new Server({
    VirtualHost: { localhost: {}, 'other.example': { c2s_stanza_size_limit: 50000, c2s_close_timeout: 1 } },
    c2s_close_timeout: 2,
  }, { logger: captureLog('silent').logger, storage: new MemoryDriver() });
  for (const h of ['localhost', 'other.example']) {
    server.host(h).events.on('stream-features', (e: { features: Element }) => { e.features.append(xml('x')); });
  }
  return server;
}

function open(server: Server, host: string, user?: string, resource?: string): TransportSession {
  const s = server.sessions.create(new MemoryTransport());
  s.streamOpened({ to: host, version: '1.0' });
  if (user !== undefined) {
    s.setAuthenticated(user);
    s.streamOpened({ to: host, version: '1.0' });
    if (resource !== undefined) s.bindResource(resource);
  }
  return s;
}

describe('SessionRegistry', () => {
  it('indexes bound sessions by full JID and by account, in bind order', () => {
    const server = makeServer();
    const a = open(server, 'localhost', 'juliet', 'a');
    const b = open(server, 'localhost', 'juliet', 'b');
    open(server, 'localhost', 'juliet');
    open(server, 'other.example', 'juliet', 'c');
    assert.equal(server.sessions.get('juliet@localhost/a'), a);
    assert.equal(server.sessions.get('juliet@localhost/zzz'), undefined);
    assert.deepEqual(server.sessions.ofUser('localhost', 'juliet'), [a, b], 'only bound sessions, oldest first');
    assert.deepEqual(server.sessions.ofUser('localhost', 'nobody'), []);
    assert.equal(server.sessions.count, 4);
    assert.equal(server.sessions.hostSessions('localhost').length, 3);
    assert.equal([...server.sessions.all()].length, 4);
  });

  it('forgets a session when it closes, and keeps the newer holder of a replaced JID', () => {
    const server = makeServer();
    const old = open(server, 'localhost', 'romeo', 'r');
    const newer = open(server, 'localhost', 'romeo', 'r');
    assert.equal(old.closed, true);
    old.disconnected();
    assert.equal(server.sessions.get('romeo@localhost/r'), newer);
    assert.deepEqual(server.sessions.ofUser('localhost', 'romeo'), [newer]);
    newer.disconnected();
    assert.equal(server.sessions.get('romeo@localhost/r'), undefined);
    assert.equal(server.sessions.count, 0);
  });

  it('resolves session options per host, falling back to the global section and defaults', () => {
    const server = makeServer();
    assert.equal(server.sessions.settings('other.example').c2s_stanza_size_limit, 50000);
    assert.equal(server.sessions.settings('other.example').c2s_close_timeout, 1);
    assert.equal(server.sessions.settings('localhost').c2s_stanza_size_limit, 262144);
    assert.equal(server.sessions.settings('localhost').c2s_close_timeout, 2);
    assert.equal(server.sessions.settings('*').network_settings.read_timeout, 840);
    const s = open(server, 'other.example', 'juliet');
    assert.equal((s.transport as MemoryTransport).maxStanzaSize, 50000);
  });
});
