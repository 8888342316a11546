/**
 * Fuzz test: random and mutated XML fed to c2s sessions over real sockets, in random chunk
 * sizes, before and after authentication. The server must answer only with defined stream
 * errors (or ordinary replies), never crash, forget every session, and return its heap to
 * near the baseline. Seeded (FUZZ_SEED, FUZZ_ROUNDS) so a failure can be replayed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { STREAM_ERROR_CONDITIONS } from '../../lib/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WireClient, header, login, openStream, authPlain } from '../helpers/wire-client.js';
import { prng as rng } from '../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 300);
const PW = 'fuzz-pw';


const CORPUS = [
  "<message to='juliet@localhost' type='chat' id='m1'><body>hello &amp; bye</body></message>",
  "<presence><show>away</show><status>out</status></presence>",
  "<iq type='get' id='i1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>",
  "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>",
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldABmdXp6LXB3</auth>",
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1qdWxpZXQscj1hYmM=</auth>",
  "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>Yz1iaXdzLHI9YWJj</response>",
  "<message><body><![CDATA[<not markup>]]></body></message>",
  "<a:b xmlns:a='urn:x'><a:c/></a:b>",
  "<message xml:lang='fr'><body>caf\u00e9 \ud83d\ude00</body></message>",
];

const NASTY = ['<', '>', '&', '&#0;', '&#xD800;', '&lt', ']]>', '<!--', '-->', '<?x?>', '<!DOCTYPE a>', '<!ENTITY e "x">',
  '</stream:stream>', '<stream:stream>', "'", '"', '=', ' xmlns:=""', '\u0000', '\uffff', '\ud800', 'xmlns', ':', '<a/><', '\r\n', '\t'];

function mutate(r: () => number, text: string): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0: s = s.slice(0, at) + NASTY[Math.floor(r() * NASTY.length)]! + s.slice(at); break;
      case 1: s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 5)); break;
      case 2: s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + s.slice(at); break;
      case 3: s = s.slice(0, at); break;
      case 4: s = s + CORPUS[Math.floor(r() * CORPUS.length)]!; break;
      default: s = s.slice(0, at) + '<x>'.repeat(1 + Math.floor(r() * 100)) + s.slice(at); break;
    }
  }
  return s;
}

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** Write `data` in random-sized chunks (the parser must cope with any split, even mid-character). */
async function chunked(r: () => number, c: WireClient, data: Buffer): Promise<void> {
  let i = 0;
  while (i < data.length && !c.isClosed) {
    const n = 1 + Math.floor(r() * 64);
    c.write(data.subarray(i, i + n));
    i += n;
    if (r() < 0.1) await new Promise((res) => setImmediate(res));
  }
}

const KNOWN = new Set<string>(STREAM_ERROR_CONDITIONS);

/** Every stream error the server sent names a defined condition. */
function checkOutput(text: string, seed: string): void {
  for (const m of text.matchAll(/<stream:error[^>]*>\s*<([a-z-]+)/g)) {
    assert.ok(KNOWN.has(m[1]!), `undefined condition ${m[1]} (${seed})`);
  }
  assert.ok((text.match(/<stream:error/g) ?? []).length <= 1, `at most one stream error per stream (${seed})`);
}

async function finish(c: WireClient): Promise<void> {
  c.write('</stream:stream>');
  const timer = setTimeout(() => c.destroy(), 1500);
  await c.closed;
  clearTimeout(timer);
}

function getGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('c2s fuzz', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      c2s_require_encryption: false, allow_unencrypted_plain_auth: true, c2s_close_timeout: 0.3,
      modules_enabled: ['saslauth', 'ping'],
    }, { users: { juliet: PW } });
  });
  after(() => t.stop());

  it(`survives ${ROUNDS} mutated streams (seed ${SEED}) with defined stream errors only, and frees them`, async () => {
    const gc = getGc();
    const r = rng(SEED);
    // Warm up the code paths, then take the baseline.
    for (let i = 0; i < 20; i++) {
      const { client } = await login(t.c2sPort, 'juliet', PW, `warm${i}`);
      await finish(client);
    }
    gc();
    const baseline = process.memoryUsage().heapUsed;

    const batch = 20;
    for (let round = 0; round < ROUNDS; round += batch) {
      await Promise.all(Array.from({ length: batch }, async (_, k) => {
        const id = `seed ${SEED} round ${round + k}`;
        const kind = Math.floor(r() * 4);
        let c: WireClient;
        if (kind === 3) {
          c = (await login(t.c2sPort, 'juliet', PW, `f${round + k}`)).client;
        } else {
          c = await WireClient.connect(t.c2sPort);
          if (kind === 2) {
            await chunked(r, c, Buffer.from(mutate(r, header())));
          } else {
            await openStream(c);
          }
        }
        let payload: Buffer;
        if (kind === 0) payload = randomBytes(r, 1 + Math.floor(r() * 400));
        else payload = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 5) }, () => mutate(r, CORPUS[Math.floor(r() * CORPUS.length)]!)).join(''));
        await chunked(r, c, payload);
        await finish(c);
        checkOutput(c.text, id);
      }));
    }

    // The server still works.
    const c = await WireClient.connect(t.c2sPort);
    await openStream(c);
    assert.match(await authPlain(c, 'juliet', PW), /^<success/);
    await finish(c);

    for (let i = 0; i < 100 && t.server.sessions.count > 0; i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(t.server.sessions.count, 0, 'every session is gone');
    await new Promise((res) => setTimeout(res, 50));
    gc();
    const growth = process.memoryUsage().heapUsed - baseline;
    assert.ok(growth < 8 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(1)} MiB`);
  });
});
