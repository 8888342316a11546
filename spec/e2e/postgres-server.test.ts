/**
 * End to end on PostgreSQL storage (`"storage": "sql"`, lib/core/storage/postgres.ts): a real
 * server on a private cluster, two @xmpp/client users over WebSocket exchange messages, one
 * gets what was sent while it was offline at its next login, a MAM query returns the history,
 * and all of it (accounts included) is still there after a server restart on the same
 * database. With the database stopped, an iq that needs storage gets a stanza error (the
 * server does not crash), and it works again once the database is back, without a restart.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { xml } from '../../lib/core/xml.js';
import type { RawConfig } from '../../lib/index.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/engines.js';
import { xmppJsClientAt, type ImClient } from '../helpers/im-clients.js';
import { PASSWORD } from '../helpers/im-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { installWebSocketGlobal } from '../helpers/ws-clients.js';
import { condition, query } from '../modules/mam/helpers.js';

const missing = postgresAvailable();
let db: PostgresServer | undefined;
before(async () => { if (missing === undefined) db = await startPostgres(); });
after(() => { db?.destroy(); });

const config = (): RawConfig => ({
  storage: 'sql',
  sql: db!.sqlOption(),
  sql_query_timeout: 2,
  c2s_require_encryption: false,
  allow_unencrypted_plain_auth: true,
  consider_websocket_secure: true,
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'offline', 'mam', 'private'],
});

async function login(t: TestServer, user: string, resource: string): Promise<ImClient> {
  installWebSocketGlobal();
  return xmppJsClientAt(`ws://127.0.0.1:${t.port('http')}/xmpp-websocket`, user, PASSWORD, resource);
}

const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: `m-${body}` }, xml('body', {}, body));
const ping = () => xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
const bodyIs = (body: string) => (el: { name: string; getChildText(n: string): string | null }) => el.name === 'message' && el.getChildText('body') === body;

describe('a server on PostgreSQL', { skip: missing }, () => {
  it('keeps messages, offline messages, the archive and accounts across a restart', async () => {
    const first = await startTestServer(config(), { users: { alice: PASSWORD, bob: PASSWORD } });
    try {
      const alice = await login(first, 'alice', 'web');
      const bob = await login(first, 'bob', 'web');
      await alice.send(xml('presence'));
      await bob.send(xml('presence'));
      await alice.send(chat('bob@localhost', 'hello bob'));
      await bob.next(bodyIs('hello bob'), 'hello bob');
      await bob.send(chat('alice@localhost', 'hello alice'));
      await alice.next(bodyIs('hello alice'), 'hello alice');
      await bob.stop();
      await alice.send(chat('bob@localhost', 'while you were away'));
      await alice.iq(ping()); // handled (and stored) when this returns
      await alice.stop();

      const bob2 = await login(first, 'bob', 'phone');
      await bob2.send(xml('presence'));
      const offline = await bob2.next(bodyIs('while you were away'), 'the offline message');
      assert.ok(offline.getChild('delay', 'urn:xmpp:delay'), 'delivered from offline storage with a delay');
      const page = await query(bob2);
      assert.deepEqual(page.bodies, ['hello bob', 'hello alice', 'while you were away']);
      await bob2.stop();
    } finally {
      await first.stop();
    }
    const c = new pg.Client({ connectionString: db!.url() });
    await c.connect();
    const archived = Number((await c.query('SELECT count(*) AS n FROM xs_archive')).rows[0].n);
    await c.end();
    assert.ok(archived >= 6, `both archives are in PostgreSQL (${archived} rows)`);

    const second = await startTestServer(config()); // no users created: they are in the database
    try {
      const bob = await login(second, 'bob', 'again');
      const page = await query(bob);
      assert.deepEqual(page.bodies, ['hello bob', 'hello alice', 'while you were away']);
      await bob.send(xml('presence'));
      await bob.iq(ping());
      assert.equal(bob.has(bodyIs('while you were away')), false, 'the offline message was delivered once');
      const alice = await login(second, 'alice', 'again');
      assert.equal((await query(alice, { with: 'bob@localhost' })).bodies.length, 3);
      await alice.stop();
      await bob.stop();
    } finally {
      await second.stop();
    }
  });

  it('answers an iq that needs storage with a stanza error while the database is down, and works again after', async () => {
    const t = await startTestServer(config(), { users: { carol: PASSWORD } });
    try {
      const carol = await login(t, 'carol', 'web');
      await carol.send(xml('presence'));
      assert.deepEqual((await query(carol)).bodies, []);
      db!.stop();
      try {
        await assert.rejects(query(carol), (err: unknown) => {
          assert.ok(['internal-server-error', 'resource-constraint', 'service-unavailable'].includes(condition(err) ?? ''), `condition ${condition(err)}`);
          return true;
        });
        await assert.rejects(carol.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:private' }, xml('x', { xmlns: 'urn:example' })))),
          (err: unknown) => condition(err) === 'resource-constraint', 'a private XML read (XEP-0049) fails as a stanza error');
        await assert.rejects(login(t, 'carol', 'second'), /temporary-auth-failure/, 'a login fails with a SASL failure, not a crash');
        await carol.iq(ping()); // the session (and the server) go on
        await carol.send(chat('carol@localhost', 'to myself while down'));
        await carol.iq(ping());
      } finally {
        db!.start();
      }
      const until = Date.now() + 15_000;
      for (;;) {
        try {
          await query(carol);
          break;
        } catch (err) {
          if (Date.now() > until) throw err;
          await sleep(200);
        }
      }
      await carol.send(chat('carol@localhost', 'back'));
      await carol.next(bodyIs('back'), 'back');
      assert.ok((await query(carol)).bodies.includes('back'), 'archived after the database came back');
      await carol.stop();
    } finally {
      await t.stop();
    }
  });
});
