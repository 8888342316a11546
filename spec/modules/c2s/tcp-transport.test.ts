/**
 * Tests for lib/modules/c2s/tcp-transport.ts: the shared transport contract (through a raw
 * TCP client), and what is particular to TCP: the parser paused while a PLAIN check runs so
 * pipelined input is parsed after the answer (in the restarted stream on success, in the old
 * one on failure), the STARTTLS upgrade seen from the transport, a failed TLS handshake, and
 * a stream error arriving in the same chunk as the elements before it.
 * (Listeners, SNI, plaintext injection after <starttls/>: spec/modules/c2s/index.test.ts.)
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Session } from '../../../lib/core/api.js';
import { selfSignedCertificate, type TestCertificate } from '../../helpers/http.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { sessionSpy } from '../../helpers/session-spy.js';
import { STREAM_CLOSE, describeTransportContract, type ContractClient } from '../../helpers/transport-contract.js';
import { WireClient, FEATURES, header, openStream, starttls, streamErrorRe } from '../../helpers/wire-client.js';

const PW = 'pw';
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// A tag with its attributes (quoted values may hold '>' or '/').
const TAG = /<(\/?)[^\s/>]+(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/y;

/** Where the element starting at `from` ends (after its end tag), or -1 while it is incomplete. */
function elementEnd(buf: string, from: number): number {
  let depth = 0;
  let i = from;
  for (;;) {
    const lt = buf.indexOf('<', i);
    if (lt === -1) return -1;
    TAG.lastIndex = lt;
    const m = TAG.exec(buf);
    if (m === null) return -1;
    i = TAG.lastIndex;
    if (m[1] === '/') depth--;
    else if (m[2] !== '/') depth++;
    if (depth <= 0) return i;
  }
}

/**
 * Splits what the server sends into stream headers, top-level elements, its stream close and
 * whitespace keepalives, independently of the server's parser; reads incrementally, so
 * megabytes of output cost one pass.
 */
class StreamReader {
  headers = 0;
  spaces = 0;
  readonly items: string[] = [];
  #buf = '';
  #pos = 0;

  push(chunk: string): void {
    this.#buf += chunk;
    const buf = this.#buf;
    let p = this.#pos;
    for (;;) {
      while (p < buf.length && /\s/.test(buf[p]!)) {
        if (buf[p] === ' ') this.spaces++;
        p++;
      }
      if (p >= buf.length) break;
      if (buf.startsWith('<?', p)) {
        const e = buf.indexOf('?>', p);
        if (e === -1) break;
        p = e + 2;
      } else if (buf.startsWith('<stream:stream', p)) {
        const e = buf.indexOf('>', p);
        if (e === -1) break;
        this.headers++;
        p = e + 1;
      } else if (buf.startsWith('</stream:stream', p)) {
        const e = buf.indexOf('>', p);
        if (e === -1) break;
        this.items.push(STREAM_CLOSE);
        p = e + 1;
      } else {
        const e = elementEnd(buf, p);
        if (e === -1) break;
        this.items.push(buf.slice(p, e));
        p = e;
      }
    }
    if (p > 1 << 20) {
      this.#buf = buf.slice(p);
      p = 0;
    }
    this.#pos = p;
  }
}

/** The contract's client API over a raw WireClient. */
function tcpClient(c: WireClient): ContractClient {
  const reader = new StreamReader();
  let read = 0;
  let wake: (() => void) | undefined;
  c.socket.setNoDelay(true);
  c.socket.on('data', (chunk: string) => {
    reader.push(chunk);
    wake?.();
  });
  void c.closed.then(() => wake?.());
  const waitFor = async (pred: () => boolean, ms: number, what: string): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (c.isClosed) throw new Error(`connection closed while waiting for ${what}; received: ${c.text.slice(-300)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${c.text.slice(-300)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  };
  const next = async (ms = 5000): Promise<string> => {
    await waitFor(() => reader.items.length > read, ms, 'an element');
    return reader.items[read++]!;
  };
  return {
    async open(to = 'localhost') {
      const headers = reader.headers;
      c.write(header(to));
      await waitFor(() => reader.headers > headers, 5000, 'the stream header');
      return next();
    },
    async send(text, cuts = []) {
      const bytes = Buffer.from(text);
      const points = [0, ...cuts, bytes.length];
      for (let i = 0; i + 1 < points.length; i++) {
        if (i > 0) await sleep(10);
        c.write(bytes.subarray(points[i], points[i + 1]));
      }
    },
    sendTogether: (texts) => c.write(texts.join('')),
    next,
    close: () => c.write('</stream:stream>'),
    cut: () => c.destroy(),
    ended: c.closed,
    get isEnded() { return c.isClosed; },
    pauseReading: () => { c.socket.pause(); },
    resumeReading: () => { c.socket.resume(); },
    get keepalives() { return reader.spaces; },
  };
}

describeTransportContract('TcpTransport', {
  kind: 'tcp',
  connect: async (t) => tcpClient(await WireClient.connect(t.c2sPort)),
});

const plainToken = (password: string): string => Buffer.from(`\0juliet\0${password}`).toString('base64');

describe('TcpTransport: input pipelined behind <auth/>', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      c2s_require_encryption: false, allow_unencrypted_plain_auth: true, c2s_close_timeout: 1,
      modules_enabled: ['saslauth', 'bind'],
      limit_auth_max: 1000, limit_auth_account_max: 1000,
    }, { users: { juliet: PW } });
  });
  after(() => t?.stop());

  it('is held while the PLAIN check runs and parsed after the stream restart (RFC 6120 §4.3.3, §6.4.6)', async (ctx) => {
    const c = await WireClient.connect(t.c2sPort);
    ctx.after(() => c.destroy());
    await openStream(c);
    const firstId = /<stream:stream [^>]*id="([^"]+)"/.exec(c.text)?.[1];
    // One write: the new header and a bind request travel with the <auth/>.
    c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${plainToken(PW)}</auth>${header()}`
      + "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>piped</resource></bind></iq>");
    await c.expect(/<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
    const restarted = (await c.expect(/<stream:stream [^>]*>/))[0];
    const secondId = /id="([^"]+)"/.exec(restarted)?.[1];
    assert.ok(firstId && secondId && firstId !== secondId, 'a new stream with a new id');
    assert.match((await c.expect(FEATURES))[0], /urn:ietf:params:xml:ns:xmpp-bind/);
    assert.match((await c.expect(/<iq [^>]*id="b1"[^>]*>[\s\S]*?<\/iq>/))[0], /<jid>juliet@localhost\/piped<\/jid>/);
    assert.equal(t.server.sessions.get('juliet@localhost/piped')?.transport.kind, 'tcp');
    assert.equal((c.text.match(/<stream:stream /g) ?? []).length, 2);
  });

  it('is parsed in the old stream when the check fails: a pipelined header is then restricted XML', async (ctx) => {
    const c = await WireClient.connect(t.c2sPort);
    ctx.after(() => c.destroy());
    await openStream(c);
    c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${plainToken('wrong')}</auth>${header()}`);
    await c.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized\/>/);
    // No restart after a failure: the header's XML declaration sits inside the open stream (RFC 6120 §11.1).
    const error = (await c.expect(streamErrorRe('restricted-xml')))[0];
    assert.match(error, /XML declaration is only allowed before the stream header/);
    await c.expect(/<\/stream:stream>/);
    assert.equal((c.text.match(/<stream:stream /g) ?? []).length, 1, 'the pipelined header opened nothing');
  });

  it('elements before a parse error in the same chunk are processed, then the error closes the stream', async (ctx) => {
    const c = await WireClient.connect(t.c2sPort);
    ctx.after(() => c.destroy());
    await openStream(c);
    c.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${plainToken(PW)}</auth>${header()}<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq><oops></nope>`);
    await c.expect(/<success /);
    assert.match((await c.expect(/<iq [^>]*id="b2"[^>]*>[\s\S]*?<\/iq>/))[0], /<jid>juliet@localhost\//);
    await c.expect(streamErrorRe('not-well-formed'));
  });
});

describe('TcpTransport: STARTTLS', () => {
  let cert: TestCertificate;
  let t: TestServer;
  const spy = sessionSpy();
  before(async () => {
    cert = selfSignedCertificate(['localhost']);
    t = await startTestServer({
      c2s_close_timeout: 1, modules_enabled: ['saslauth', 'spy'],
      VirtualHost: { localhost: { certificate: cert.certificate, key: cert.key } },
    }, { users: { juliet: PW }, modules: [spy.module] });
  });
  after(async () => {
    await t?.stop();
    cert?.remove();
  });

  /** The newest live session (the registry keeps them in creation order). */
  const sessionOf = (): Session => {
    const live = [...t.server.sessions.all()].filter((s) => !s.closed);
    assert.ok(live.length > 0);
    return live.at(-1)!;
  };

  it('before the upgrade: insecure, STARTTLS possible, no channel binding; after it: encrypted, no STARTTLS, tls-exporter', async (ctx) => {
    const c = await WireClient.connect(t.c2sPort);
    ctx.after(() => c.destroy());
    const features = await openStream(c);
    assert.match(features, /<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required\/><\/starttls>/);
    const transport = sessionOf().transport;
    assert.deepEqual([transport.secure, transport.encrypted, transport.canStartTls], [false, false, true]);
    assert.equal(transport.insecureHint, undefined, 'a certificate exists: STARTTLS is the way');
    assert.equal(transport.channelBinding?.('tls-exporter'), undefined);
    const after = await starttls(c, { ca: readFileSync(cert.certificate) });
    assert.doesNotMatch(after, /starttls/);
    assert.deepEqual([transport.secure, transport.encrypted, transport.canStartTls], [true, true, false]);
    // RFC 9266: both ends derive the same 32 bytes.
    assert.deepEqual(transport.channelBinding?.('tls-exporter'), c.channelBinding('tls-exporter'));
    assert.equal(transport.bufferedAmount, 0);
  });

  it('a failed TLS handshake ends the session as dropped; the server goes on serving', async () => {
    spy.clear();
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c);
    const session = sessionOf();
    c.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await c.expect(/<proceed /);
    // Not a TLS ClientHello.
    c.write('this is not TLS\r\n'.repeat(20));
    await c.closed;
    const pre = await spy.waitFor((r) => r.event === 'pre-session-close' && r.session === session);
    assert.equal(pre.reason?.dropped, true);
    await spy.waitFor((r) => r.event === 'c2s-closed' && r.session === session);
    const again = await WireClient.connect(t.c2sPort);
    assert.match(await openStream(again), /<starttls /);
    again.destroy();
  });

  it('refuses STARTTLS on an encrypted stream: <failure/>, then the stream closes', async (ctx) => {
    const c = await WireClient.connect(t.c2sPort);
    ctx.after(() => c.destroy());
    await openStream(c);
    await starttls(c, { ca: readFileSync(cert.certificate) });
    c.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    // RFC 6120 §5.4.2.2: the second request fails and the stream ends.
    await c.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/>/);
    await c.expect(/<\/stream:stream>/);
    c.write('</stream:stream>');
    await c.closed;
  });
});

describe('TcpTransport: the end of input', () => {
  it('a FIN without a stream close ends the session as dropped and frees the registry', async (ctx) => {
    const spy = sessionSpy();
    const t = await startTestServer({ c2s_require_encryption: false, c2s_close_timeout: 5, modules_enabled: ['saslauth', 'spy'] }, { modules: [spy.module] });
    ctx.after(() => t.stop());
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c);
    assert.equal(t.server.sessions.count, 1);
    // Half-close: no </stream:stream>, so nothing waits c2s_close_timeout for it.
    c.end();
    const pre = await spy.waitFor((r) => r.event === 'pre-session-close', 2000);
    assert.equal(pre.reason?.dropped, true);
    await c.closed;
    await spy.waitFor((r) => r.event === 'c2s-closed', 2000);
    assert.equal(t.server.sessions.count, 0);
  });
});
