/**
 * Abuse run: in-band registration (XEP-0077) limits, with the semantics of Prosody's
 * mod_register_limits. With the loopback allowlist emptied, a second registration from
 * 127.0.0.1 inside min_seconds_between_registrations is refused with policy-violation (type
 * wait, saying when to retry) and one after it succeeds; a blocklisted range gets forbidden
 * (type auth); and two requests pipelined on one connection create one account, not two.
 * Rerun alone: `node --test .build-NAME/spec/abuse/register-throttle.test.js`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../lib/core/xml.js';
import { startImServer } from '../helpers/im-server.js';
import { rawStream, type RawStream } from '../helpers/im-clients.js';

const NS = 'jabber:iq:register';
const WITH_REGISTER = ['saslauth', 'register'];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function register(stream: RawStream, id: string, username: string, password: string): Promise<Element> {
  stream.write(xml('iq', { type: 'set', id }, xml('query', { xmlns: NS }, xml('username', {}, username), xml('password', {}, password))));
  return stream.next((el) => el.name === 'iq' && el.attrs.id === id, `reply ${id}`);
}

function error(reply: Element): { type: unknown; condition: string | undefined; text: string | null | undefined } {
  const e = reply.getChild('error');
  return { type: e?.attrs.type, condition: e?.getChildElements().find((c) => c.name !== 'text')?.name, text: e?.getChildText('text') };
}

describe('abuse: in-band registration limits', () => {
  it('min_seconds_between_registrations per IP, loopback not allowlisted: refused inside the window, accepted after', async (t) => {
    const s = await startImServer([], { modules_enabled: WITH_REGISTER, allow_registration: true, registration_allowlist: [], min_seconds_between_registrations: 1 });
    t.after(() => s.stop());
    const first = await rawStream(s.port);
    t.after(() => first.close());
    assert.equal((await register(first, 'r1', 'one', 'pw-one')).attrs.type, 'result');
    // Another connection from the same address, at once.
    const second = await rawStream(s.port);
    t.after(() => second.close());
    const refused = await register(second, 'r2', 'two', 'pw-two');
    assert.equal(refused.attrs.type, 'error');
    const e = error(refused);
    assert.equal(e.type, 'wait');
    assert.equal(e.condition, 'policy-violation');
    assert.match(e.text ?? '', /try again in 1 s/);
    assert.equal(s.server.accounts.exists('localhost', 'two'), false);
    await sleep(1100);
    assert.equal((await register(second, 'r3', 'two', 'pw-two')).attrs.type, 'result');
    assert.equal(s.server.accounts.exists('localhost', 'two'), true);
  });

  it('registration_blocklist (a CIDR range): forbidden, type auth, and no account', async (t) => {
    const s = await startImServer([], { modules_enabled: WITH_REGISTER, allow_registration: true, registration_blocklist: ['127.0.0.0/8'] });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    const reply = await register(stream, 'b1', 'blocked', 'pw');
    assert.equal(reply.attrs.type, 'error');
    assert.deepEqual(error(reply), { type: 'auth', condition: 'forbidden', text: 'Registration from this address is not allowed' });
    assert.equal(s.server.accounts.exists('localhost', 'blocked'), false);
  });

  it('two registrations pipelined on one connection create one account; the other waits (resource-constraint)', async (t) => {
    const s = await startImServer([], { modules_enabled: WITH_REGISTER, allow_registration: true, scram_iterations: 100_000 });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    const iq = (id: string, user: string): string =>
      `<iq type='set' id='${id}'><query xmlns='${NS}'><username>${user}</username><password>pw</password></query></iq>`;
    stream.write(iq('p1', 'first') + iq('p2', 'second'));
    const [a, b] = await Promise.all(['p1', 'p2'].map((id) => stream.next((el) => el.name === 'iq' && el.attrs.id === id, `reply ${id}`)));
    assert.equal(a!.attrs.type, 'result');
    assert.equal(b!.attrs.type, 'error');
    assert.deepEqual(error(b!), { type: 'wait', condition: 'resource-constraint', text: 'A registration is already in progress on this connection' });
    assert.deepEqual(s.server.accounts.list('localhost'), ['first']);
  });
});
