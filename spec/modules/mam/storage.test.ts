/**
 * Tests for lib/modules/mam beyond queries: preferences and default_archive_policy, offline
 * messages archived and delivered once, account deletion, expiry, SQLite persistence with
 * stable ids across a restart, carbons carrying the sender's stanza-id, and a stream
 * management ack that is only sent once the archive rows are written.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { xml } from '../../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../../helpers/im-server.js';
import { authenticated, bindResource } from '../../helpers/sm-client.js';
import { startTestServer } from '../../helpers/server.js';
import { condition, converse, mamServer, NS_MAM, NS_SID, query, stanzaId } from './helpers.js';

const prefs = (d: string, always: string[] = [], never: string[] = []) => xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS_MAM, default: d },
  xml('always', {}, ...always.map((j) => xml('jid', {}, j))), xml('never', {}, ...never.map((j) => xml('jid', {}, j)))));

describe('mam preferences, lifecycle and storage', () => {
  it('follows the preferences: never lists, always lists, roster default, and the server default', async (t) => {
    const s = await mamServer(t, { default_archive_policy: false });
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    const c = await s.raw('carol', 'desk');
    const got = await a.iq(xml('iq', { type: 'get' }, xml('prefs', { xmlns: NS_MAM })));
    assert.equal(got.getChild('prefs', NS_MAM)?.attrs.default, 'never', 'default_archive_policy = false');
    await converse(b, a, ['not kept']);
    await a.iq(prefs('never', ['bob@localhost']));
    await converse(b, a, ['kept for bob list']);
    await converse(c, a, ['not kept for carol']);
    await a.iq(prefs('always', [], ['carol@localhost']));
    await converse(c, a, ['carol never']);
    await converse(b, a, ['bob default always']);
    assert.deepEqual((await query(a)).bodies, ['kept for bob list', 'bob default always']);
    // roster: only contacts in the roster
    await a.iq(prefs('roster'));
    await a.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'carol@localhost' }))));
    await converse(b, a, ['bob not in roster']);
    await converse(c, a, ['carol in roster']);
    assert.deepEqual((await query(a)).bodies.slice(-1), ['carol in roster']);
    const echoed = await a.iq(xml('iq', { type: 'get' }, xml('prefs', { xmlns: NS_MAM })));
    assert.equal(echoed.getChild('prefs', NS_MAM)?.attrs.default, 'roster');
    assert.equal(condition(await a.iq(prefs('sometimes')).catch((e: unknown) => e)), 'bad-request');
  });

  it('archives a message stored offline; on login it is delivered once, with the id the archive returns', async (t) => {
    const s = await mamServer(t, { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'mam', 'offline'] });
    const a = await s.raw('alice', 'desk');
    await a.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'while you were out')));
    await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const b = await s.raw('bob', 'desk');
    const archived = await query(b); // before the initial presence: nothing offline delivered yet
    assert.deepEqual(archived.bodies, ['while you were out']);
    await b.send(xml('presence'));
    const delivered = await b.next((el) => el.name === 'message' && el.getChildText('body') === 'while you were out' && !el.getChild('result', NS_MAM));
    assert.equal(stanzaId(delivered, 'bob@localhost'), archived.ids[0]);
    await b.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(b.received.filter((el) => el.name === 'message' && el.getChildText('body') === 'while you were out').length, 1, 'once');
    assert.deepEqual((await query(b)).bodies, ['while you were out'], 'archived once');
  });

  it('deletes the archive with the account', async (t) => {
    const s = await mamServer(t);
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    await converse(a, b, ['x', 'y']);
    await b.stop();
    s.server.flushWrites();
    assert.equal(s.server.storage.archive.query('localhost', 'archive', 'bob', {}).length, 2);
    s.server.accounts.delete('localhost', 'bob');
    assert.equal(s.server.storage.archive.query('localhost', 'archive', 'bob', {}).length, 0);
    assert.equal(s.server.storage.archive.query('localhost', 'archive', 'alice', {}).length, 2, 'the other side keeps its own');
  });

  it('expires old messages in the background (archive_expires_after)', async (t) => {
    const s = await mamServer(t, { archive_expires_after: 1, archive_cleanup_interval: 1 });
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    await converse(a, b, ['old']);
    assert.equal((await query(b)).bodies.length, 1);
    for (let i = 0; i < 50 && (await query(b)).bodies.length > 0; i++) await sleep(100);
    assert.deepEqual((await query(b)).bodies, []);
  });

  it('keeps the archive and its ids in SQLite across a restart', async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const config = { storage: 'sqlite', data_path: dir.path, modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'mam'] };
    const s1 = await startImServer(['alice', 'bob'], config);
    const a = await s1.raw('alice', 'desk');
    const b = await s1.raw('bob', 'desk');
    const got = await converse(a, b, ['persisted']);
    const id = stanzaId(got[0]!, 'bob@localhost')!;
    await s1.stop();
    const s2 = await startImServer([], config);
    t.after(() => s2.stop());
    const b2 = await s2.raw('bob', 'again');
    const p = await query(b2);
    assert.deepEqual(p.ids, [id]);
    assert.deepEqual((await query(b2, { 'after-id': id })).bodies, []);
    const a2 = await s2.raw('alice', 'again');
    await converse(a2, b2, ['after restart']);
    assert.deepEqual((await query(b2, {}, { after: id })).bodies, ['after restart'], 'new positions come after the old ones');
  });

  it('gives the sender\'s other resources the sender\'s stanza-id in the sent carbon', async (t) => {
    const s = await mamServer(t);
    const a1 = await s.raw('alice', 'one');
    const a2 = await s.raw('alice', 'two');
    const b = await s.raw('bob', 'desk');
    await a2.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
    await converse(a1, b, ['carbon me']);
    const copy = await a2.next((el) => el.name === 'message' && el.getChild('sent', 'urn:xmpp:carbons:2') !== undefined);
    const inner = copy.getChild('sent', 'urn:xmpp:carbons:2')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
    const ids = inner.getChildren('stanza-id', NS_SID);
    assert.equal(ids.length, 1, 'only the sender\'s id, not the recipient\'s');
    assert.equal(ids[0]!.attrs.by, 'alice@localhost');
    assert.equal(ids[0]!.attrs.id, (await query(a1)).ids[0]);
  });

  for (const storage of ['memory', 'sqlite'] as const) {
  it(`writes the archive before it acknowledges a message with stream management (XEP-0198 <a/>), ${storage}`, async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const ts = await startTestServer({
      storage, data_path: dir.path,
      c2s_require_encryption: false, allow_unencrypted_plain_auth: true, modules_enabled: ['roster', 'saslauth', 'smacks', 'mam'],
    }, { users: { alice: 'pw', bob: 'pw' } });
    t.after(() => ts.stop());
    const c = await authenticated('tcp', { tcp: ts.c2sPort, ws: 0 }, 'alice', 'pw');
    await bindResource(c, 'sm');
    c.write("<enable xmlns='urn:xmpp:sm:3'/>");
    await c.expect(/<enabled\b/);
    c.write("<message to='bob@localhost' type='chat' xmlns='jabber:client'><body>acked</body></message><r xmlns='urn:xmpp:sm:3'/>");
    await c.expect(/<a\b[^>]*h=["']1["']/);
    // read storage directly, without flushing: the row is there because the ack waited for it
    // (with SQLite it was written by the storage worker thread)
    const rows = ts.server.storage.archive.query('localhost', 'archive', 'alice', {});
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.value, /acked/);
    c.cut();
  });
  }
});
