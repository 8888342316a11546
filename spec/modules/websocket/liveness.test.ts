/**
 * Tests for lib/modules/websocket/liveness.ts with a clock the test advances: pings every
 * interval, the pong deadline (connection-timeout, 1011), any input as proof of life, the
 * read timeout handing silence to the session's keepalive chain, the session's own keepalive,
 * settings that change when the stream names its host, and one shared sweep for many.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeepaliveSweep, type Clock } from '../../../lib/modules/websocket/keepalive.js';
import { Liveness, type LivenessLink } from '../../../lib/modules/websocket/liveness.js';
import { captureLog, type CapturedLog } from '../../helpers/log.js';

/** A connection that records what liveness asked of it. */
class FakeLink implements LivenessLink {
  connected = true;
  readonly ip = '192.0.2.7';
  config = { pingMs: 1000, pongMs: 400 };
  readonly calls: string[] = [];
  readonly log: CapturedLog = captureLog('debug');
  readonly session = {
    log: this.log.logger,
    readTimeout: (): void => { this.calls.push('readTimeout'); },
  };
  dropped: { condition: string; text: string; code: number } | undefined;

  ping(): void {
    this.calls.push('ping');
  }

  drop(condition: string, text: string, code: number): void {
    this.calls.push('drop');
    this.dropped = { condition, text, code };
    this.connected = false;
  }
}

/** A link and its liveness at time 0 (read timeout `readMs`). */
function setup(readMs = 0, config?: { pingMs: number; pongMs: number }): { link: FakeLink; clock: Clock; live: Liveness } {
  const link = new FakeLink();
  if (config) link.config = config;
  const clock: Clock = { now: 0 };
  return { link, clock, live: new Liveness(link, clock, readMs) };
}

describe('Liveness: periodic pings (websocket_ping_interval)', () => {
  it('pings once the interval has passed since the last ping, not before', () => {
    const { link, live } = setup();
    live.tick(999);
    assert.deepEqual(link.calls, []);
    live.tick(1000);
    assert.deepEqual(link.calls, ['ping']);
    assert.equal(live.awaitingPong, true);
  });

  it('keeps the cadence of the pings: the next comes an interval after the last ping, not after the pong', () => {
    const { link, clock, live } = setup();
    live.tick(1000);
    clock.now = 1300;
    live.heard();
    live.tick(1999);
    assert.deepEqual(link.calls, ['ping']);
    live.tick(2000);
    assert.deepEqual(link.calls, ['ping', 'ping']);
  });

  it('sends no periodic ping when the interval is 0', () => {
    const { link, live } = setup(0, { pingMs: 0, pongMs: 400 });
    for (let now = 0; now <= 100_000; now += 1000) live.tick(now);
    assert.deepEqual(link.calls, []);
  });

  it('does nothing for a connection that is not open', () => {
    const { link, live } = setup(500);
    link.connected = false;
    live.tick(10_000);
    assert.deepEqual(link.calls, []);
    assert.equal(live.keepalive(), false, 'a dead connection has no keepalive');
  });
});

describe('Liveness: the pong deadline (websocket_pong_timeout)', () => {
  it('drops a peer that does not answer in time: connection-timeout, close 1011, logged', () => {
    const { link, live } = setup();
    live.tick(1000);
    live.tick(1399);
    assert.equal(link.calls.includes('drop'), false);
    live.tick(1400);
    assert.deepEqual(link.calls, ['ping', 'drop']);
    assert.equal(link.dropped?.condition, 'connection-timeout');
    assert.equal(link.dropped?.code, 1011);
    assert.match(link.dropped?.text ?? '', /websocket_pong_timeout/);
    const line = link.log.lines.find((l) => /did not answer a ping/.test(String(l.msg)));
    assert.equal(line?.ip, '192.0.2.7');
    live.tick(5000);
    assert.deepEqual(link.calls, ['ping', 'drop'], 'nothing more once the connection is gone');
  });

  it('counts any input as the answer (a pong or a message)', () => {
    const { link, clock, live } = setup();
    live.tick(1000);
    clock.now = 1399;
    live.heard();
    assert.equal(live.awaitingPong, false);
    live.tick(1400);
    live.tick(1999);
    assert.deepEqual(link.calls, ['ping']);
  });

  it('checks the deadline before anything else: no ping and no read timeout while one is out', () => {
    const { link, live } = setup(300, { pingMs: 100, pongMs: 1000 });
    live.tick(100);
    for (let now = 150; now < 1100; now += 50) live.tick(now);
    assert.deepEqual(link.calls, ['ping']);
    live.tick(1100);
    assert.deepEqual(link.calls, ['ping', 'drop']);
  });
});

describe('Liveness: the read timeout (network_settings.read_timeout)', () => {
  it('hands silence to the session once per read timeout, not before', () => {
    const { link, live } = setup(300, { pingMs: 0, pongMs: 400 });
    live.tick(299);
    assert.deepEqual(link.calls, []);
    live.tick(300);
    assert.deepEqual(link.calls, ['readTimeout']);
    live.tick(599);
    assert.deepEqual(link.calls, ['readTimeout'], 'silence starts again from the timeout');
    live.tick(600);
    assert.deepEqual(link.calls, ['readTimeout', 'readTimeout']);
  });

  it('is pushed back by input', () => {
    const { link, clock, live } = setup(300, { pingMs: 0, pongMs: 400 });
    clock.now = 250;
    live.heard();
    live.tick(500);
    assert.deepEqual(link.calls, []);
    live.tick(550);
    assert.deepEqual(link.calls, ['readTimeout']);
  });

  it('follows the host\'s read timeout once the stream is open (0: none)', () => {
    const { link, live } = setup(300, { pingMs: 0, pongMs: 400 });
    live.readTimeoutMs = 0;
    assert.equal(live.readTimeoutMs, 0);
    live.tick(10_000);
    assert.deepEqual(link.calls, []);
    live.readTimeoutMs = 5000;
    live.tick(10_000);
    assert.deepEqual(link.calls, ['readTimeout']);
  });
});

describe('Liveness: the session\'s own keepalive', () => {
  it('pings when no ping is out, reports success, and does not stack pings', () => {
    const { link, live } = setup(0, { pingMs: 0, pongMs: 400 });
    assert.equal(live.keepalive(), true);
    assert.equal(live.keepalive(), true, 'a liveness check is already pending');
    assert.deepEqual(link.calls, ['ping']);
    live.tick(399);
    assert.equal(link.calls.includes('drop'), false);
    live.tick(400);
    assert.equal(link.dropped?.condition, 'connection-timeout', 'the keepalive ping has the same deadline');
  });

  it('answered, it leaves the connection be; the read timeout then comes round again', () => {
    const { link, clock, live } = setup(300, { pingMs: 0, pongMs: 400 });
    live.tick(300);
    assert.deepEqual(link.calls, ['readTimeout']);
    // The session found no module to answer c2s-read-timeout and used the transport's keepalive.
    clock.now = 300;
    live.keepalive();
    clock.now = 320;
    live.heard();
    live.tick(619);
    live.tick(620);
    assert.deepEqual(link.calls, ['readTimeout', 'ping', 'readTimeout']);
  });
});

describe('Liveness: settings in force', () => {
  it('reads the ping interval and pong deadline on every tick (the host named by <open/> may change them)', () => {
    const { link, live } = setup();
    link.config = { pingMs: 100, pongMs: 50 };
    live.tick(100);
    assert.deepEqual(link.calls, ['ping']);
    live.tick(150);
    assert.deepEqual(link.calls, ['ping', 'drop']);
  });
});

describe('Liveness with the shared sweep', () => {
  it('one sweep timer drives the liveness of many connections, on the sweep\'s clock', async () => {
    const items = new Set<Liveness>();
    const shared = new KeepaliveSweep(items);
    const links = [new FakeLink(), new FakeLink(), new FakeLink()];
    for (const l of links) {
      l.config = { pingMs: 100, pongMs: 10_000 };
      items.add(new Liveness(l, shared.clock, 0));
    }
    shared.schedule(100);
    assert.equal(shared.period, 50);
    try {
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      shared.stop();
    }
    for (const l of links) assert.deepEqual(l.calls, ['ping'], 'one ping each, the pong still awaited');
  });
});
