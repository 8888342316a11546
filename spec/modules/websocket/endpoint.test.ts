/**
 * Tests for lib/modules/websocket/endpoint.ts, seen through the Endpoint the module's load()
 * returns: the upgrade path's refusals (400, 403, 426 before any session; 503 for the
 * unauthenticated-connection cap and while stopping) and what they leave behind (nothing),
 * the `websocket-session` verdicts releasing their session's place, shutdown() with a
 * see-other-uri redirect, drain() and its grace, the sweep period per host, and the
 * message buffer size.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, type ModuleDefinition } from '../../../lib/core/api.js';
import websocket from '../../../lib/modules/websocket/index.js';
import type { Endpoint } from '../../../lib/modules/websocket/endpoint.js';
import { captureLog } from '../../helpers/log.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { sessionSpy } from '../../helpers/session-spy.js';
import { WsProbe, errorCondition } from '../../helpers/ws-probe.js';
import type { UpgradeOptions } from '../../helpers/ws-frames.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const CLOSE = `<close xmlns='${FRAMING}'/>`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The websocket module, keeping hold of the Endpoint its load() returns. */
function capturing(): { module: ModuleDefinition; endpoint: () => Endpoint } {
  let endpoint: Endpoint | undefined;
  const module = defineModule({
    ...websocket,
    load(m) {
      endpoint = websocket.load!(m) as Endpoint;
      return endpoint;
    },
  }) as ModuleDefinition;
  return { module, endpoint: () => endpoint! };
}

/** The HTTP answer to an upgrade request (101 connections are closed at once). */
async function answer(port: number, request: UpgradeOptions): Promise<{ status: number; headers: Readonly<Record<string, string>>; body: string }> {
  const p = await WsProbe.open(port, request);
  const head = await p.head;
  if (head.status === 101) p.destroy();
  await p.ended;
  return { status: head.status, headers: head.headers, body: p.body };
}

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('Endpoint: the upgrade path', () => {
  const ws = capturing();
  const spy = sessionSpy();
  const gate = defineModule({
    name: 'gate',
    global: true,
    load(m) {
      m.hook('websocket-session', ({ request, session }) => {
        switch (request.url.searchParams.get('gate')) {
          case 'false': return false;
          case 'busy': return { status: 429, message: 'Slow down.' };
          case 'throw': throw new Error('handler bug');
          case 'close': session.close('policy-violation'); return undefined;
          default: return undefined;
        }
      });
    },
  });
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'spy', 'gate'],
      consider_websocket_secure: true,
      c2s_max_unauthed_per_ip: 2,
      c2s_close_timeout: 1,
      VirtualHost: { localhost: { websocket_allowed_origins: ['https://ok.example'] } },
    }, { users: { juliet: 'pw' }, modules: [ws.module, spy.module, gate] });
    port = t.port('http');
  });
  after(() => t?.stop());

  const nothingLeft = async (): Promise<void> => {
    await until(() => ws.endpoint().transports.size === 0 && t.server.sessions.count === 0, 'no transport and no session left');
  };

  it('refuses bad requests before any session exists: 400, 403, 426, each saying why', async () => {
    spy.clear();
    const noXmpp = await answer(port, { protocol: 'chat' });
    assert.equal(noXmpp.status, 400);
    assert.match(noXmpp.body, /RFC 7395/);
    const origin = await answer(port, { origin: 'https://evil.example' });
    assert.equal(origin.status, 403);
    assert.match(origin.body, /origin/i);
    const version = await answer(port, { version: '8' });
    assert.equal(version.status, 426);
    assert.equal(version.headers['sec-websocket-version'], '13');
    assert.deepEqual(spy.records.filter((r) => r.event === 'websocket-session'), [], 'no session was created');
    await nothingLeft();
  });

  it('answers 503 with Retry-After beyond c2s_max_unauthed_per_ip; a login or a departure frees a place', async () => {
    const a = await WsProbe.connect(port, { origin: 'https://ok.example' });
    const b = await WsProbe.connect(port);
    const refused = await answer(port, {});
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '5');
    assert.match(refused.body, /c2s_max_unauthed_per_ip = 2/);
    assert.equal(ws.endpoint().transports.size, 2, 'the refused request got no transport');
    await a.login('juliet', 'pw', 'a');
    const c = await WsProbe.connect(port);
    assert.equal((await answer(port, {})).status, 503, 'full again');
    b.destroy();
    await until(() => ws.endpoint().transports.size === 2, 'b gone');
    assert.equal((await answer(port, {})).status, 101);
    a.destroy();
    c.destroy();
    await nothingLeft();
  });

  it('refuses by websocket-session verdict (403, the handler\'s status, 500) without keeping the session\'s place', async () => {
    const cases: [string, number, RegExp][] = [
      ['false', 403, /refused/],
      ['busy', 429, /Slow down\./],
      ['throw', 500, /failed to accept/],
      ['close', 403, /refused/],
    ];
    // Twice the per-IP cap: a refused session must not count as waiting.
    for (const [gateMode, status, body] of [...cases, ...cases]) {
      const r = await answer(port, { path: `/xmpp-websocket?gate=${gateMode}` });
      assert.equal(r.status, status, gateMode);
      assert.match(r.body, body);
    }
    await nothingLeft();
    const a = await WsProbe.connect(port);
    const b = await WsProbe.connect(port);
    a.destroy();
    b.destroy();
    await nothingLeft();
  });
});

describe('Endpoint: shutdown and drain', () => {
  const ws = capturing();
  const spy = sessionSpy();
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket', 'spy'],
      consider_websocket_secure: true,
      c2s_close_timeout: 0.5,
      websocket_see_other_uri: 'wss://other.example/xmpp-websocket',
      VirtualHost: { 'a.example': {}, 'b.example': {} },
    }, { modules: [ws.module, spy.module] });
    port = t.port('http');
  });
  after(() => t?.stop());

  it('shutdown() redirects secure sessions to a wss: see-other-uri (RFC 7395 §3.6.1), opened or not', async () => {
    spy.clear();
    const opened = await WsProbe.connect(port, { host: 'a.example' });
    await opened.open('a.example');
    const fresh = await WsProbe.connect(port, { host: 'a.example' });
    ws.endpoint().shutdown();
    const redirect = '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" see-other-uri="wss://other.example/xmpp-websocket"/>';
    assert.equal(await opened.next(), redirect, 'no stream error: a redirect is a clean close');
    assert.equal(await fresh.next(), redirect);
    for (const p of [opened, fresh]) {
      p.sendText(CLOSE);
      assert.equal((await p.waitClose()).code, 1001);
      await p.waitEnd();
    }
    const reasons = spy.records.filter((r) => r.event === 'c2s-closed').map((r) => [r.reason?.condition, r.reason?.code]);
    assert.deepEqual(reasons, [[undefined, 1001], [undefined, 1001]]);
    // The endpoint itself goes on serving.
    const later = await WsProbe.connect(port, { host: 'a.example' });
    assert.match((await later.open('a.example'))[0], /^<open /);
    later.destroy();
    await until(() => ws.endpoint().transports.size === 0, 'no transports');
  });

  it('drain(which) waits for the matching transports only, and resolves at once when none match', async () => {
    const endpoint = ws.endpoint();
    await endpoint.drain();
    const a = await WsProbe.connect(port, { host: 'a.example' });
    await a.open('a.example');
    const b = await WsProbe.connect(port, { host: 'b.example' });
    await b.open('b.example');
    let drained = false;
    const draining = endpoint.drain((tr) => tr.session.host === 'a.example').then(() => { drained = true; });
    await sleep(150);
    assert.equal(drained, false, 'a.example is still connected');
    a.sendText(CLOSE);
    await draining;
    assert.equal(a.messages.at(-1), '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
    assert.equal(endpoint.transports.size, 1, 'b.example was not waited for');
    assert.equal([...endpoint.transports][0]!.session.host, 'b.example');
    b.destroy();
    await until(() => endpoint.transports.size === 0, 'b gone');
  });

  it('drain() gives up after the close grace when a client never finishes', async () => {
    const endpoint = ws.endpoint();
    const p = await WsProbe.connect(port, { host: 'a.example' });
    await p.open('a.example');
    const started = Date.now();
    // Grace: c2s_close_timeout for <close/> and again for the Close frame, at least 1 s each, plus 0.5 s.
    await endpoint.drain();
    const waited = Date.now() - started;
    assert.ok(waited >= 2400 && waited < 4000, `waited ${waited} ms`);
    assert.equal(endpoint.transports.size, 1, 'the idle client is still there');
    p.destroy();
    await until(() => endpoint.transports.size === 0, 'the client gone');
  });
});

describe('Endpoint: stopping', () => {
  it('answers 503 to upgrades while the server stops, and finishes once the last client closes', async () => {
    const t = await startTestServer({ modules_enabled: ['saslauth', 'websocket'], consider_websocket_secure: true, c2s_close_timeout: 10 });
    const port = t.port('http');
    const p = await WsProbe.connect(port);
    await p.open();
    let stopped = false;
    const stopping = t.stop().then(() => { stopped = true; });
    assert.equal(errorCondition(await p.next()), 'system-shutdown');
    const late = await answer(port, {});
    assert.equal(late.status, 503);
    assert.match(late.body, /shutting down/);
    assert.equal(stopped, false);
    p.sendText(CLOSE);
    await stopping;
    assert.equal((await p.waitClose()).code, 1001);
  });
});

describe('Endpoint: settings', () => {
  it('runs one sweep as fine as the shortest ping or pong interval of any host, rescheduled when a host goes', async (ctx) => {
    const ws = capturing();
    const t = await startTestServer({
      modules_enabled: ['saslauth', 'websocket'],
      consider_websocket_secure: true,
      VirtualHost: { localhost: {}, 'fast.example': { websocket_ping_interval: 0.2 } },
    }, { modules: [ws.module] });
    ctx.after(() => t.stop());
    assert.equal(ws.endpoint().sweepPeriod, 50, 'a quarter of 200 ms');
    await t.server.modules.unload('fast.example', 'websocket');
    assert.equal(ws.endpoint().sweepPeriod, 1000, 'the defaults (ping 30 s, pong 15 s) allow the coarsest sweep');
  });

  it('sizes the message buffer at twice the largest stanza limit, or websocket_frame_buffer_limit with a warning below it', async (ctx) => {
    const a = capturing();
    const t1 = await startTestServer({
      modules_enabled: ['saslauth', 'websocket'],
      VirtualHost: { localhost: { c2s_stanza_size_limit: 50_000 }, 'big.example': { c2s_stanza_size_limit: 300_000 } },
    }, { modules: [a.module] });
    ctx.after(() => t1.stop());
    assert.equal(a.endpoint().maxPayload, 600_000);

    const b = capturing();
    const log = captureLog('warn');
    const t2 = await startTestServer({ modules_enabled: ['saslauth', 'websocket'], websocket_frame_buffer_limit: 100_000 }, { modules: [b.module], logger: log.logger });
    ctx.after(() => t2.stop());
    assert.equal(b.endpoint().maxPayload, 100_000);
    const warning = log.lines.find((l) => /websocket_frame_buffer_limit is below c2s_stanza_size_limit/.test(String(l.msg)));
    assert.equal(warning?.c2s_stanza_size_limit, 262_144);
  });
});
