/**
 * Fuzz: random frames (opcodes, RSV bits, masks, lengths, fragmentation) and mutated XMPP
 * messages (flipped, cut, duplicated bytes, markup and entity injections, deep nesting)
 * thrown at a server in its own process. It must not crash, must still serve a normal login
 * afterwards, must end every fuzzed session, and its heap must come back near the baseline.
 * The PRNG seed is printed; set FUZZ_SEED to replay a run.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connectLean, startLoadServer, type LoadServer } from '../helpers/load-harness.js';
import { OP, encodeFrame, upgradeRequest } from '../helpers/ws-frames.js';
import { prng } from '../helpers/prng.js';

const PASSWORD = 'fuzz-pw';
const CONNECTIONS = 400;
const PARALLEL = 25;


const CORPUS = [
  "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>",
  `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0user1\0${PASSWORD}`).toString('base64')}</auth>`,
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj11c2VyMSxyPWZ5a28rZDJsYmJGZ09OUnY5cWt4ZGF3TA==</auth>",
  "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>",
  "<message to='user2@localhost' type='chat'><body>hi &amp; &lt;bye&gt;</body></message>",
  "<presence><show>away</show><status>é ü 😀</status></presence>",
  "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>",
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>",
  "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
  "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
  "<r xmlns='urn:xmpp:sm:3'/>",
];
const INJECT = ['<', '>', '&', '"', "'", '&#0;', '&#xD800;', '&lt', ']]>', '<![CDATA[x]]>', '<!--', '<?pi?>', '<!DOCTYPE a [<!ENTITY e "x">]>', '&e;', 'xmlns:a=""', '\u0000', '\uFFFE', '\uD800', 'a:b', '</', '/>', '=', ' '];

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  let s = text;
  const rounds = 1 + Math.floor(rnd() * 3);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(rnd() * (s.length + 1));
    switch (Math.floor(rnd() * 7)) {
      case 0: s = s.slice(0, at); break;
      case 1: s = s.slice(0, at) + pick(INJECT) + s.slice(at); break;
      case 2: s = s.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 0x2ff)) + s.slice(at + 1); break;
      case 3: s = s + s; break;
      case 4: s = `${'<a>'.repeat(200)}${s}`; break;
      case 5: s = s.replace(/ /, ` ${Array.from({ length: 100 }, (_, i) => `a${i}='x'`).join(' ')} `); break;
      default: s = s.slice(at) + s.slice(0, at);
    }
  }
  return s;
}

/** One fuzzed connection's bytes: a valid upgrade, then random and mutated frames. */
function fuzzBytes(rnd: () => number): Buffer[] {
  const parts: Buffer[] = [Buffer.from(upgradeRequest({ host: 'localhost' }))];
  const frames = 1 + Math.floor(rnd() * 25);
  for (let f = 0; f < frames; f++) {
    const roll = rnd();
    const text = roll < 0.5 ? CORPUS[Math.floor(rnd() * CORPUS.length)]! : mutate(CORPUS[Math.floor(rnd() * CORPUS.length)]!, rnd);
    if (roll < 0.75) {
      // A text message, sometimes fragmented.
      const data = Buffer.from(text);
      if (rnd() < 0.3 && data.length > 4) {
        const cut = 1 + Math.floor(rnd() * (data.length - 2));
        parts.push(encodeFrame(data.subarray(0, cut), { fin: false }), encodeFrame(data.subarray(cut), { opcode: OP.CONT }));
      } else {
        parts.push(encodeFrame(data));
      }
    } else if (roll < 0.85) {
      // A random frame header and payload.
      const payload = Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      parts.push(encodeFrame(payload, { opcode: Math.floor(rnd() * 16), fin: rnd() < 0.8, rsv: rnd() < 0.1 ? Math.floor(rnd() * 8) : 0, mask: rnd() < 0.95 }));
    } else if (roll < 0.95) {
      // Raw garbage on the wire.
      parts.push(Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))));
    } else {
      // A length header announcing far more than is sent.
      parts.push(Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]));
    }
  }
  return parts;
}

/** Send the parts (split at random points) and close after a short while. */
function runConnection(port: number, parts: Buffer[], rnd: () => number): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port }, () => {
      const all = Buffer.concat(parts);
      let offset = 0;
      while (offset < all.length) {
        const size = 1 + Math.floor(rnd() * 512);
        socket.write(all.subarray(offset, offset + size));
        offset += size;
      }
      setTimeout(() => (rnd() < 0.5 ? socket.end() : socket.destroy()), 20 + Math.floor(rnd() * 80));
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    setTimeout(() => { socket.destroy(); resolve(); }, 5000).unref();
  });
}

let server: LoadServer;
before(async () => {
  server = await startLoadServer({ modules_enabled: ['saslauth', 'websocket', 'ping'], consider_websocket_secure: true, c2s_close_timeout: 0.5 }, 3, PASSWORD);
});
after(() => server?.stop());

describe('fuzzing the WebSocket endpoint', () => {
  it('survives random frames and mutated XML, ends every session, and frees its memory', async (t) => {
    const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.diagnostic(`FUZZ_SEED=${seed}`);
    const rnd = prng(seed);
    // Warm up (JIT, pools) before the baseline.
    const warm = await connectLean(`ws://127.0.0.1:${server.httpPort}/xmpp-websocket`, 3, PASSWORD);
    await Promise.all(warm.map((c) => c.close()));
    const base = await server.memory();

    const jobs = Array.from({ length: CONNECTIONS }, () => fuzzBytes(rnd));
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < jobs.length) await runConnection(server.httpPort, jobs[next++]!, rnd);
    }));

    // Every fuzzed session ends (closed, dropped or timed out).
    for (let i = 0; i < 100 && (await server.sessions()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await server.sessions(), 0, 'no fuzzed session is left behind');

    // Still serving: normal clients log in and exchange a message.
    const ok = await connectLean(`ws://127.0.0.1:${server.httpPort}/xmpp-websocket`, 2, PASSWORD);
    const got = new Promise<string>((resolve) => { ok[1]!.onMessage = resolve; });
    ok[0]!.send(`<message xmlns='jabber:client' to='${ok[1]!.jid}'><body>after the storm</body></message>`);
    assert.equal(await got, 'after the storm');
    await Promise.all(ok.map((c) => c.close()));

    assert.deepEqual(await server.errors(), [], 'no handler failed on any input');
    const end = await server.memory();
    t.diagnostic(`heap: ${(base.heapUsed / 1048576).toFixed(1)} MiB before, ${(end.heapUsed / 1048576).toFixed(1)} MiB after ${CONNECTIONS} fuzzed connections`);
    assert.ok(end.heapUsed < base.heapUsed + 8 * 1048576, `heap grew from ${base.heapUsed} to ${end.heapUsed}`);
  });
});
