/**
 * Tests for lib/modules/register (XEP-0077): registration is off unless allow_registration;
 * when on, the stream feature, the form and account creation before authentication (then a
 * login with the new account); conflicts, the per-IP throttle and its allowlist (loopback by
 * default), the address list options, password change and removal. (More throttling and
 * concurrency in spec/abuse/register-throttle.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { defineModule, isServerError } from '../../../lib/index.js';
import { startImServer, PASSWORD } from '../../helpers/im-server.js';
import { rawClient, rawStream, type RawStream } from '../../helpers/im-clients.js';

const NS = 'jabber:iq:register';
const FEATURE = 'http://jabber.org/features/iq-register';
const WITH_REGISTER = ['roster', 'saslauth', 'disco', 'ping', 'register'];

const conditionOf = (el: Element): string | undefined => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

async function request(stream: RawStream, type: 'get' | 'set', id: string, ...fields: Element[]): Promise<Element> {
  stream.write(xml('iq', { type, id }, xml('query', { xmlns: NS }, ...fields)));
  return stream.next((el) => el.name === 'iq' && el.attrs.id === id, `reply ${id}`);
}

const register = (stream: RawStream, id: string, username: string, password: string): Promise<Element> =>
  request(stream, 'set', id, xml('username', {}, username), xml('password', {}, password));

describe('in-band registration (XEP-0077)', () => {
  it('is off by default: no stream feature, and service-unavailable', async (t) => {
    const s = await startImServer([], { modules_enabled: WITH_REGISTER });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    assert.equal(stream.features.getChild('register', FEATURE), undefined);
    const reply = await register(stream, 'r1', 'mallory', 'pw');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(conditionOf(reply), 'service-unavailable');
    assert.equal(s.server.accounts.exists('localhost', 'mallory'), false);
  });

  it('creates an account before authentication, which can then log in', async (t) => {
    const s = await startImServer(['taken'], { modules_enabled: WITH_REGISTER, allow_registration: true });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    assert.ok(stream.features.getChild('register', FEATURE), 'stream feature offered');
    const form = await request(stream, 'get', 'f1');
    assert.equal(form.attrs.type, 'result');
    const q = form.getChild('query', NS)!;
    assert.ok(q.getChild('username') && q.getChild('password') && q.getChildText('instructions'));

    assert.equal(conditionOf(await request(stream, 'set', 'm1', xml('username', {}, 'newbie'))), 'not-acceptable', 'password missing');
    assert.equal(conditionOf(await register(stream, 'c1', 'taken', 'pw')), 'conflict');
    const ok = await register(stream, 'ok1', 'Newbie', 'n3w-pass');
    assert.equal(ok.attrs.type, 'result');
    assert.equal(s.server.accounts.exists('localhost', 'newbie'), true, 'the username is normalised');

    const client = await rawClient(s.port, 'newbie', 'n3w-pass', 'first');
    t.after(() => client.stop());
    assert.equal(client.jid, 'newbie@localhost/first');
  });

  it('throttles registrations per IP with min_seconds_between_registrations', async (t) => {
    const s = await startImServer([], { modules_enabled: WITH_REGISTER, allow_registration: true, min_seconds_between_registrations: 3600, registration_allowlist: [] });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    assert.equal((await register(stream, 'a', 'one', 'pw1')).attrs.type, 'result');
    const second = await register(stream, 'b', 'two', 'pw2');
    assert.equal(second.attrs.type, 'error');
    assert.equal(second.getChild('error')?.attrs.type, 'wait');
    assert.equal(conditionOf(second), 'policy-violation');
    assert.match(second.getChild('error')?.getChildText('text') ?? '', /try again in 3600 s/);
    assert.equal(s.server.accounts.exists('localhost', 'two'), false);
  });

  it('exempts loopback by default (registration_allowlist), though the throttle is on by default (300 s)', async (t) => {
    const s = await startImServer([], { modules_enabled: WITH_REGISTER, allow_registration: true });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    assert.equal((await register(stream, 'a', 'one', 'pw1')).attrs.type, 'result');
    assert.equal((await register(stream, 'b', 'two', 'pw2')).attrs.type, 'result');
  });

  it("reads Prosody's old names registration_whitelist / registration_blacklist when the new ones are unset", async (t) => {
    const s = await startImServer([], { modules_enabled: WITH_REGISTER, allow_registration: true, registration_whitelist: [], registration_blacklist: ['10.0.0.0/8'] });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    assert.equal((await register(stream, 'a', 'one', 'pw1')).attrs.type, 'result');
    assert.equal(conditionOf(await register(stream, 'b', 'two', 'pw2')), 'policy-violation', 'loopback no longer exempt');
  });

  it('refuses address lists that are not IP addresses or CIDR ranges, naming the option', async () => {
    for (const bad of [['localhost'], ['10.0.0.0/33'], ['::1/129'], '127.0.0.1', [42]]) {
      await assert.rejects(startImServer([], { modules_enabled: WITH_REGISTER, registration_blocklist: bad }),
        (err) => isServerError(err, 'XS_ERR_OPTION_INVALID') && /registration_blocklist/.test(err.message), JSON.stringify(bad));
    }
  });

  it('changes the password and removes the account of an authenticated user', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: WITH_REGISTER });
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const info = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS })));
    assert.ok(info.getChild('query', NS)?.getChild('registered'));
    assert.equal(info.getChild('query', NS)?.getChildText('username'), 'alice');

    await assert.rejects(alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS }, xml('username', {}, 'bob'), xml('password', {}, 'x')))),
      (err: { condition?: string }) => err.condition === 'bad-request');
    await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS }, xml('username', {}, 'alice'), xml('password', {}, 'changed!'))));
    await assert.rejects(rawClient(s.port, 'alice', PASSWORD, 'old'), (err: { condition?: string }) => err.condition === 'not-authorized');
    const again = await rawClient(s.port, 'alice', 'changed!', 'new');

    await again.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS }, xml('remove'))));
    await again.stream.closed; // XEP-0077 §3.2: the sessions of a removed account end
    await alice.stream.closed;
    assert.equal(s.server.accounts.exists('localhost', 'alice'), false);
    await assert.rejects(rawClient(s.port, 'alice', 'changed!', 'gone'), (err: { condition?: string }) => err.condition === 'not-authorized');
  });

  it('lets user-registering handlers refuse a name, with their error or not-acceptable', async (t) => {
    const seen: string[] = [];
    const policy = defineModule({
      name: 'test_policy',
      load(m) {
        m.hook('user-registering', (e) => {
          seen.push(`${e.username}@${e.host} from ${e.ip}`);
          if (e.username === 'admin') { e.allowed = false; e.error = { type: 'cancel', condition: 'not-allowed', text: 'Reserved name' }; }
          if (e.username === 'root') e.allowed = false;
        });
      },
    });
    const s = await startImServer([], { modules_enabled: [...WITH_REGISTER, 'test_policy'], allow_registration: true }, [policy]);
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    const reserved = await register(stream, 'a1', 'Admin', 'pw');
    assert.equal(conditionOf(reserved), 'not-allowed');
    assert.equal(reserved.getChild('error')!.attrs.type, 'cancel');
    assert.equal(reserved.getChild('error')!.getChildText('text'), 'Reserved name');
    const plain = await register(stream, 'a2', 'root', 'pw');
    assert.equal(conditionOf(plain), 'not-acceptable');
    assert.equal(plain.getChild('error')!.attrs.type, 'modify');
    assert.equal((await register(stream, 'a3', 'fine', 'pw')).attrs.type, 'result');
    assert.deepEqual(seen.map((x) => x.split(' from ')[0]), ['admin@localhost', 'root@localhost', 'fine@localhost'], 'normalised names');
    assert.equal(s.server.accounts.exists('localhost', 'admin') || s.server.accounts.exists('localhost', 'root'), false);
  });
});
