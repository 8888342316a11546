/**
 * A client that stops reading (findings 1 and 2): what it cannot take is bounced to the sender
 * while it is over its buffer limit, it is cut with resource-constraint only after it drained
 * nothing for the grace period, and what was still queued for it goes to offline storage.
 * Every message is accounted for: read by the victim, stored, or bounced.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectToken, duplicates, tokenMessage, type Transport } from '../helpers/token-clients.js';

const PW = 'pw';

for (const kind of ['ws', 'tcp'] as Transport[]) {
  describe(`a client that stops reading, over ${kind}`, () => {
    let t: TestServer;
    let ports: { ws: number; tcp: number };
    before(async () => {
      t = await startTestServer({
        modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket'],
        consider_websocket_secure: true,
        c2s_require_encryption: false,
        allow_unencrypted_plain_auth: true,
        websocket_max_buffered_bytes: 256 * 1024,
        websocket_slow_reader_grace: 1.5,
        c2s_max_buffered_bytes: 256 * 1024,
        c2s_slow_reader_grace: 1.5,
        offline_max_bytes: 256 * 1024 * 1024,
        offline_max_messages: 100_000,
      }, { users: { alice: PW, bob: PW } });
      ports = { ws: t.port('http'), tcp: t.c2sPort };
    });
    after(() => t.stop());

    it('bounces what does not fit, cuts it after the grace, stores the rest: every message accounted for', async () => {
      const victim = await connectToken(kind, ports, 'bob', PW, 'stuck');
      victim.send('<presence/>');
      await victim.ping();
      victim.pauseReading();
      const sender = await connectToken(kind === 'ws' ? 'tcp' : 'ws', ports, 'alice', PW, 's');
      const sent: string[] = [];
      const start = Date.now();
      // Keep sending until the server gives up on the victim (kernel buffers absorb a few MB first).
      while (t.server.sessions.get(victim.jid) !== undefined && Date.now() - start < 30_000) {
        for (let i = 0; i < 20; i++) {
          const tok = `tok-slow-${kind}-${sent.length}`;
          sent.push(tok);
          sender.send(tokenMessage(victim.jid, tok, 32_000));
        }
        await sender.ping(10_000);
      }
      assert.equal(t.server.sessions.get(victim.jid), undefined, 'the victim was cut');
      await sender.ping();
      const bounced = sender.messageErrors();
      assert.ok(bounced > 0, 'some messages were refused to the sender while the victim was full');
      assert.match(sender.received(), /<resource-constraint xmlns=["']urn:ietf:params:xml:ns:xmpp-stanzas["']/);
      // The core counts it all as back-pressure on the victim's transport (server.stats, read by http_openmetrics).
      const pressure = t.server.stats.backPressure.get(kind === 'ws' ? 'websocket' : 'tcp');
      assert.ok(pressure !== undefined && pressure.queued > 0 && pressure.refused > 0 && pressure.slow_reader === 1, `back-pressure counted: ${JSON.stringify(pressure)}`);

      // The victim reads again: what was written to its connection, then the stream error.
      victim.resumeReading();
      await victim.closed;
      assert.match(victim.received(), /<resource-constraint xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']/);
      assert.match(victim.received(), kind === 'ws' ? /websocket_max_buffered_bytes/ : /c2s_max_buffered_bytes/);
      const read = victim.tokens();

      const stored = t.server.storage.listStats('localhost', 'offline', 'bob').count;
      const again = await connectToken(kind, ports, 'bob', PW, 'again');
      again.send('<presence/>');
      await again.waitFor(() => again.tokens().length >= stored, 30_000, `${stored} stored messages`);
      await again.ping();
      const later = again.tokens();
      assert.deepEqual(duplicates([...read, ...later]), [], 'nothing delivered twice');
      assert.equal(read.length + later.length + bounced, sent.length,
        `read ${read.length} + stored ${later.length} + bounced ${bounced} = sent ${sent.length}`);
      await again.closeCleanly();
      await sender.closeCleanly();
    });
  });
}
