/**
 * Tests for lib/modules/http_openmetrics: a scripted session over TCP and WebSocket (logins,
 * a wrong password, messages, a stream management resumption, WebSocket closes both ways, a
 * stream error) moves the counters `/metrics` reports, with the right labels, in text that
 * parses as OpenMetrics and as Prometheus text; who may read it (loopback by default, the
 * forwarded address behind a trusted proxy, openmetrics_allow_cidr); and the example Grafana
 * dashboard only asks for metrics the server exports.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { request } from '../../helpers/http.js';
import { parseExposition, valueOf, type Family } from '../../helpers/openmetrics.js';
import { authenticated, resumeSession, smLogin } from '../../helpers/sm-client.js';
import { WireClient, authPlain, expectStreamError, openStream } from '../../helpers/wire-client.js';
import { WsProbe, wsLogin } from '../../helpers/ws-probe.js';
import { METRIC_NAMES } from '../../../lib/modules/http_openmetrics/metrics.js';
import { wantsOpenMetrics } from '../../../lib/modules/http_openmetrics/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const PW = 'pw';
const CONFIG = {
  modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'websocket', 'smacks', 'http_openmetrics'],
  consider_websocket_secure: true,
  c2s_require_encryption: false,
  allow_unencrypted_plain_auth: true,
  c2s_close_timeout: 1,
  https_ports: [],
};
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

async function scrape(port: number, openMetrics = true, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const reply = await request({ port, path: '/metrics', headers: { ...(openMetrics ? { accept: OPENMETRICS } : {}), ...headers } });
  assert.equal(reply.status, 200, reply.body);
  assert.match(String(reply.headers['content-type']), openMetrics ? /^application\/openmetrics-text; version=1\.0\.0/ : /^text\/plain; version=0\.0\.4/);
  return parseExposition(reply.body, openMetrics);
}

/** Wait until `pred` holds (server-side effects of a client's last write). */
async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('http_openmetrics: /metrics after a scripted session', () => {
  let t: TestServer;
  let ports: { tcp: number; ws: number };
  let http: number;
  before(async () => {
    t = await startTestServer(CONFIG, { users: { alice: PW, bob: PW, carol: PW } });
    ports = { tcp: t.c2sPort, ws: t.port('http') };
    http = t.port('http');
  });
  after(() => t.stop());

  it('the counters move with the right labels', async () => {
    const before = await scrape(http);
    const moved = (sample: string, labels: Record<string, string>, after: Map<string, Family>): number =>
      valueOf(after, sample, labels) - valueOf(before, sample, labels);

    // alice over TCP with stream management; bob over WebSocket.
    const { c: alice, id } = await smLogin('tcp', ports, 'alice', PW, 'phone');
    const { probe: bob } = await wsLogin(ports.ws, 'bob', PW, { resource: 'web' });
    // A wrong password over TCP.
    const wrong = await WireClient.connect(ports.tcp);
    await openStream(wrong);
    assert.match(await authPlain(wrong, 'carol', 'not-the-password'), /^<failure/);
    wrong.destroy();
    // Three messages from bob to alice.
    for (let i = 0; i < 3; i++) bob.sendText(`<message xmlns='jabber:client' to='${alice.jid}' type='chat'><body>tok-m${i}</body></message>`);
    await alice.expect(/tok-m2/);
    // alice's connection is cut: she hibernates, then resumes over WebSocket.
    alice.cut();
    await until(() => t.server.sessions.get(alice.jid)?.state === 'hibernating', 'hibernation');
    const again = await authenticated('ws', ports, 'alice', PW);
    await resumeSession(again, id, alice.stanzaCount());
    // bob ends his stream with <close/>: the server closes with 1000 and hears the echo.
    bob.sendText(`<close xmlns='${NS_FRAMING}'/>`);
    assert.equal((await bob.waitClose()).code, 1000);
    await bob.waitEnd();
    // A tab closing: a Close frame with 1001 and no <close/>.
    const tab = await WsProbe.connect(ports.ws, { host: 'localhost' });
    await tab.open();
    tab.close(1001, 'going away');
    await tab.waitEnd();
    // A stream error: a top-level element nobody handles.
    const rude = await WireClient.connect(ports.tcp);
    await openStream(rude);
    rude.write("<hello xmlns='urn:example:nothing'/>");
    await expectStreamError(rude, 'unsupported-stanza-type');

    const after = await scrape(http);
    const m = (sample: string, labels: Record<string, string> = {}): number => moved(sample, labels, after);
    assert.ok(m('xmpp_sessions_created_total', { transport: 'tcp' }) >= 3, 'TCP sessions created');
    assert.ok(m('xmpp_sessions_created_total', { transport: 'websocket' }) >= 3, 'WebSocket sessions created');
    assert.equal(m('xmpp_authentications_total', { host: 'localhost', mechanism: 'PLAIN', outcome: 'success' }), 3);
    assert.equal(m('xmpp_authentications_total', { host: 'localhost', mechanism: 'PLAIN', outcome: 'failure' }), 1);
    assert.equal(m('xmpp_stanzas_total', { direction: 'in', kind: 'message' }), 3);
    assert.ok(m('xmpp_stanzas_total', { direction: 'out', kind: 'message' }) >= 3, 'messages out (3, plus any re-sent on resumption)');
    assert.ok(m('xmpp_stanzas_total', { direction: 'in', kind: 'iq' }) >= 2, 'the binds');
    assert.ok(m('xmpp_stanzas_total', { direction: 'out', kind: 'iq' }) >= 2, 'the bind results');
    assert.equal(m('xmpp_smacks_hibernations_total', { host: 'localhost' }), 1);
    assert.equal(m('xmpp_smacks_resumptions_total', { host: 'localhost' }), 1);
    assert.equal(m('xmpp_smacks_hibernation_timeouts_total', { host: 'localhost' }), 0);
    assert.ok(m('xmpp_websocket_closes_total', { direction: 'sent', code: '1000' }) >= 1, 'our Close 1000 after <close/>');
    assert.ok(m('xmpp_websocket_closes_total', { direction: 'received', code: '1000' }) >= 1, 'the echo of it');
    assert.equal(m('xmpp_websocket_closes_total', { direction: 'received', code: '1001' }), 1, 'the tab going away');
    assert.equal(m('xmpp_stream_errors_total', { host: 'localhost', condition: 'unsupported-stanza-type' }), 1);
    assert.ok(m('xmpp_sessions_closed_total', { host: 'localhost', transport: 'tcp', reason: 'stream_error' }) >= 1);
    assert.ok(m('xmpp_sessions_closed_total', { host: 'localhost', transport: 'websocket', reason: 'normal' }) >= 1, 'bob');
    // Gauges: alice now lives on over WebSocket.
    assert.equal(valueOf(after, 'xmpp_sessions', { host: 'localhost', transport: 'websocket', state: 'bound' }), 1);
    assert.equal(valueOf(after, 'xmpp_sessions', { state: 'hibernating' }), 0);
    // Storage: logins read accounts.
    assert.ok(m('xmpp_storage_operation_seconds_count') > 0, 'storage operations timed');
    assert.ok(valueOf(after, 'process_resident_memory_bytes') > 0);
    assert.ok(valueOf(after, 'nodejs_heap_size_used_bytes') > 0);
    assert.ok(valueOf(after, 'nodejs_eventloop_lag_max_seconds') >= valueOf(after, 'nodejs_eventloop_lag_p50_seconds'));
    assert.ok(after.has('xmpp_send_buffer_events'), 'the back-pressure family is there (spec/abuse/slow-reader.test.ts moves it)');
    again.cut();
  });

  it('serves Prometheus text 0.0.4 unless OpenMetrics is asked for, with the same series', async () => {
    const om = await scrape(http, true);
    const prom = await scrape(http, false);
    assert.equal(prom.get('xmpp_stanzas_total')?.type, 'counter');
    assert.equal(om.get('xmpp_stanzas')?.type, 'counter');
    assert.deepEqual(prom.get('xmpp_stanzas_total')!.samples.map((s) => s.labels), om.get('xmpp_stanzas')!.samples.map((s) => s.labels));
    // Alternating does not break either (prom-client renames counters in place for OpenMetrics).
    await scrape(http, true);
    assert.ok((await scrape(http, false)).has('xmpp_authentications_total'));
  });

  it('only OpenMetrics with a non-zero weight counts as asking for it', () => {
    assert.equal(wantsOpenMetrics(undefined), false);
    assert.equal(wantsOpenMetrics('text/plain'), false);
    assert.equal(wantsOpenMetrics('application/openmetrics-text;q=0'), false);
    assert.equal(wantsOpenMetrics('text/plain;q=0.5, application/openmetrics-text; version=1.0.0'), true);
  });

  it('refuses a client a trusted proxy forwards from elsewhere (the forwarded address is the client)', async () => {
    const reply = await request({ port: http, path: '/metrics', headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(reply.status, 403);
    const local = await request({ port: http, path: '/metrics', headers: { 'x-forwarded-for': '127.0.0.1' } });
    assert.equal(local.status, 200);
  });

  it('the example Grafana dashboard asks only for metrics the server exports', async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'examples', 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exported = new Set<string>();
    for (const f of (await scrape(http, false)).values()) {
      exported.add(f.name);
      if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(f.name + s);
    }
    for (const name of METRIC_NAMES) assert.ok(exported.has(name), `${name} is exported`);
    const panels = dashboard.panels.filter((p) => p.targets !== undefined);
    assert.ok(panels.length >= 8, 'a panel per area');
    const used = new Set<string>();
    for (const panel of panels) {
      for (const { expr } of panel.targets!) {
        const names = (expr.match(/\b(?:xmpp|nodejs|process)_[a-z0-9_]+/g) ?? []);
        assert.ok(names.length > 0, `panel "${panel.title}" names a metric: ${expr}`);
        for (const n of names) {
          assert.ok(exported.has(n), `panel "${panel.title}": ${n} is exported`);
          used.add(n.replace(/_(bucket|sum|count)$/, ''));
        }
      }
    }
    for (const name of ['xmpp_sessions', 'xmpp_authentications_total', 'xmpp_stanzas_total', 'xmpp_websocket_closes_total', 'xmpp_stream_errors_total',
      'xmpp_smacks_resumptions_total', 'xmpp_send_buffer_events_total', 'xmpp_storage_operation_seconds', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes']) {
      assert.ok(used.has(name), `the dashboard shows ${name}`);
    }
  });
});

describe('http_openmetrics: who may read /metrics', () => {
  it('403 from an address outside openmetrics_allow_ips and openmetrics_allow_cidr', async () => {
    const t = await startTestServer({ ...CONFIG, openmetrics_allow_ips: ['192.0.2.1'] });
    try {
      const reply = await request({ port: t.port('http'), path: '/metrics' });
      assert.equal(reply.status, 403);
      assert.doesNotMatch(reply.body, /xmpp_/);
    } finally {
      await t.stop();
    }
  });

  it('openmetrics_allow_cidr admits a range (a string, as in Prosody, or an array)', async () => {
    for (const cidr of ['127.0.0.0/8', ['10.0.0.0/8', '127.0.0.0/8']]) {
      const t = await startTestServer({ ...CONFIG, openmetrics_allow_ips: [], openmetrics_allow_cidr: cidr });
      try {
        assert.equal((await request({ port: t.port('http'), path: '/metrics' })).status, 200);
      } finally {
        await t.stop();
      }
    }
  });

  it('an invalid allow list refuses the start', async () => {
    await assert.rejects(startTestServer({ ...CONFIG, openmetrics_allow_cidr: '10.0.0.0/99' }), /openmetrics_allow_cidr/);
    await assert.rejects(startTestServer({ ...CONFIG, openmetrics_allow_ips: ['10.0.0.0/8'] }), /openmetrics_allow_ips/);
  });

  it('two servers in one process keep their own counts', async () => {
    const a = await startTestServer(CONFIG, { users: { alice: PW } });
    const b = await startTestServer(CONFIG);
    try {
      const { probe } = await wsLogin(a.port('http'), 'alice', PW);
      const fa = await scrape(a.port('http'));
      const fb = await scrape(b.port('http'));
      assert.equal(valueOf(fa, 'xmpp_authentications_total', { outcome: 'success' }), 1);
      assert.equal(valueOf(fb, 'xmpp_authentications_total', { outcome: 'success' }), 0);
      probe.destroy();
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
