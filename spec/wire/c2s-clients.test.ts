/**
 * Real client libraries against c2s over loopback: @xmpp/client (STARTTLS, SCRAM-SHA-1 and
 * PLAIN) and stanza (its own SASL and binding, over direct TLS through a small TCP transport
 * adapter): login, resource conflict, and a wrong password followed by a good one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createClient, type Agent } from 'stanza';
import { defineModule, type AuthSuccessEvent } from '../../lib/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import { StanzaTcpTransport, stanzaTlsOptions } from '../helpers/stanza-tcp.js';

const PW = 'correct horse';

/** The parts of @xmpp/client used here (it ships no type declarations). */
interface XmppJs {
  on(event: 'error', fn: (err: Error & { condition?: string }) => void): void;
  on(event: 'disconnect', fn: () => void): void;
  start(): Promise<{ toString(): string }>;
  stop(): Promise<void>;
  reconnect: { stop(): void };
}

/** Records which SASL mechanism each login used. */
const mechanisms: string[] = [];
const recorder = defineModule({
  name: 'test_recorder',
  load(module) {
    module.hook('authentication-success', (e: AuthSuccessEvent) => { mechanisms.push(e.mechanism); });
  },
});

async function xmppjs(port: number, username: string, password: string, resource?: string): Promise<XmppJs> {
  const specifier = '@xmpp/client';
  const lib = (await import(specifier)) as { client(o: Record<string, unknown>): XmppJs };
  const c = lib.client({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', username, password, resource });
  c.reconnect.stop();
  return c;
}

/** Start a stanza client over our TCP transport; resolves with the bound JID or rejects. */
function stanzaLogin(client: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    client.on('session:started', () => resolve(String(client.jid)));
    client.on('auth:failed', () => reject(new Error('auth:failed')));
    client.connect();
  });
}

function stanzaClient(url: string, user: string, password: string, resource: string): Agent {
  const client = createClient({
    jid: `${user}@localhost`, password, resource, server: 'localhost',
    transports: { tcp: url }, transportPreferenceOrder: ['tcp'], autoReconnect: false,
  });
  client.transports.tcp = StanzaTcpTransport;
  // stanza's -PLUS mechanisms only know tls-unique, which TLS 1.3 does not have.
  client.sasl.disable('SCRAM-SHA-256-PLUS');
  client.sasl.disable('SCRAM-SHA-1-PLUS');
  return client;
}

describe('c2s with real client libraries', () => {
  let cert: TestCertificate;
  let t: TestServer;
  let plainOnly: TestServer;
  let tlsPort: number;
  let previousReject: string | undefined;

  before(async () => {
    cert = selfSignedCertificate(['localhost']);
    stanzaTlsOptions.ca = readFileSync(cert.certificate);
    // @xmpp/client's STARTTLS cannot be given a CA: trust the test certificate by skipping verification.
    previousReject = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const common = {
      certificate: cert.certificate, key: cert.key,
      c2s_direct_tls_ports: [0], c2s_close_timeout: 1,
      modules_enabled: ['saslauth', 'test_recorder'],
    };
    t = await startTestServer(common, { users: { juliet: PW, romeo: PW }, modules: [recorder] });
    tlsPort = t.port('c2s_direct_tls');
    plainOnly = await startTestServer({ ...common, sasl_mechanisms: ['PLAIN'] }, { users: { juliet: PW }, modules: [recorder] });
  });

  after(async () => {
    await t?.stop();
    await plainOnly?.stop();
    if (previousReject === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousReject;
    cert?.remove();
  });

  describe('@xmpp/client (STARTTLS)', () => {
    it('logs in with SCRAM-SHA-1 and binds the requested resource', async () => {
      mechanisms.length = 0;
      const c = await xmppjs(t.c2sPort, 'juliet', PW, 'balcony');
      const jid = await c.start();
      assert.equal(String(jid), 'juliet@localhost/balcony');
      assert.deepEqual(mechanisms, ['SCRAM-SHA-1']);
      const session = t.server.sessions.get('juliet@localhost/balcony');
      assert.ok(session?.secure && session.encrypted, 'the session is on TLS after STARTTLS');
      await c.stop();
    });

    it('logs in with PLAIN when that is the only mechanism offered', async () => {
      mechanisms.length = 0;
      const c = await xmppjs(plainOnly.c2sPort, 'juliet', PW);
      const jid = String(await c.start());
      assert.match(jid, /^juliet@localhost\/.+/);
      assert.deepEqual(mechanisms, ['PLAIN']);
      await c.stop();
    });

    it('a wrong password fails with not-authorized, then the right one works', async () => {
      const bad = await xmppjs(t.c2sPort, 'juliet', 'wrong');
      bad.on('error', () => undefined);
      await assert.rejects(bad.start(), (err: Error & { condition?: string }) => err.condition === 'not-authorized');
      await bad.stop().catch(() => undefined);
      const good = await xmppjs(t.c2sPort, 'juliet', PW);
      assert.match(String(await good.start()), /^juliet@localhost\//);
      await good.stop();
    });

    it('resource conflict: the new session wins, the old one gets <conflict/>', async () => {
      const first = await xmppjs(t.c2sPort, 'romeo', PW, 'phone');
      const errors: string[] = [];
      first.on('error', (err) => errors.push(err.condition ?? err.message));
      const disconnected = new Promise<void>((resolve) => first.on('disconnect', resolve));
      await first.start();
      const second = await xmppjs(t.c2sPort, 'romeo', PW, 'phone');
      await second.start();
      await disconnected;
      assert.ok(errors.includes('conflict'), `errors: ${errors.join(', ')}`);
      assert.equal(t.server.sessions.ofUser('localhost', 'romeo').length, 1);
      await second.stop();
      await first.stop().catch(() => undefined);
    });
  });

  describe('stanza (direct TLS)', () => {
    it('logs in with SCRAM-SHA-256 and binds', async () => {
      mechanisms.length = 0;
      const client = stanzaClient(`xmpps://127.0.0.1:${tlsPort}`, 'juliet', PW, 'tablet');
      assert.equal(await stanzaLogin(client), 'juliet@localhost/tablet');
      assert.deepEqual(mechanisms, ['SCRAM-SHA-256']);
      await client.disconnect();
    });

    it('logs in with PLAIN', async () => {
      mechanisms.length = 0;
      const client = stanzaClient(`xmpps://127.0.0.1:${plainOnly.port('c2s_direct_tls')}`, 'juliet', PW, 'p');
      assert.equal(await stanzaLogin(client), 'juliet@localhost/p');
      assert.deepEqual(mechanisms, ['PLAIN']);
      await client.disconnect();
    });

    it('a wrong password fails, then the right one works', async () => {
      const bad = stanzaClient(`xmpps://127.0.0.1:${tlsPort}`, 'juliet', 'nope', 'x');
      await assert.rejects(stanzaLogin(bad), /auth:failed/);
      await bad.disconnect();
      const good = stanzaClient(`xmpps://127.0.0.1:${tlsPort}`, 'juliet', PW, 'x');
      assert.equal(await stanzaLogin(good), 'juliet@localhost/x');
      await good.disconnect();
    });

    it('resource conflict: the old stanza session is told <conflict/> and disconnected', async () => {
      const first = stanzaClient(`xmpps://127.0.0.1:${tlsPort}`, 'romeo', PW, 'desk');
      await stanzaLogin(first);
      const conflict = new Promise<string>((resolve) => {
        first.on('streamError' as never, (e: { condition: string }) => resolve(e.condition));
      });
      const gone = new Promise<void>((resolve) => first.on('disconnected', () => resolve()));
      const second = stanzaClient(`xmpps://127.0.0.1:${tlsPort}`, 'romeo', PW, 'desk');
      await stanzaLogin(second);
      assert.equal(await conflict, 'conflict');
      await gone;
      assert.deepEqual(t.server.sessions.ofUser('localhost', 'romeo').map((s) => s.fullJid), ['romeo@localhost/desk']);
      await second.disconnect();
    });
  });
});
