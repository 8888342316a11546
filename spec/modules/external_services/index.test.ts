/**
 * Tests for lib/modules/external_services (XEP-0215): services from the config with their
 * defaults, the type filter, TURN REST credentials (checked with an independent HMAC), the
 * credentials request and its errors, external_service_access, the old :1 namespace, items
 * from other modules, and config errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { xml, type Element } from '../../../lib/core/xml.js';
import { defineModule, isServerError } from '../../../lib/index.js';
import { startImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const NS = 'urn:xmpp:extdisco:2';
const MODULES = ['roster', 'saslauth', 'disco', 'external_services'];
const SECRET = 'turn-shared-secret';
const SERVICES = [
  { type: 'stun', transport: 'udp', host: 'stun.example.org', port: 3478 },
  { type: 'turn', transport: 'udp', port: 3478, secret: true },
  { type: 'turns', transport: 'tcp', host: 'turn.example.org', port: 5349, secret: 'other-secret', algorithm: 'turn', username: 'alice', ttl: 600 },
  { type: 'ftp', host: 'files.example.org', username: 'u', password: 'p' },
];
const CONFIG = { modules_enabled: MODULES, external_services: SERVICES, external_service_secret: SECRET, external_service_host: 'turn.example.org' };
const failsWith = (condition: string) => (err: { condition?: string }) => err.condition === condition;

const services = (c: ImClient, type?: string, ns = NS): Promise<Element> =>
  c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('services', { xmlns: ns, type })));
const credentials = (c: ImClient, ...wanted: Record<string, string>[]): Promise<Element> =>
  c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('credentials', { xmlns: NS }, ...wanted.map((w) => xml('service', w)))));
const listed = (r: Element, name = 'services', ns = NS): Record<string, string>[] =>
  r.getChild(name, ns)!.getChildren('service').map((s) => ({ ...s.attrs }) as Record<string, string>);

describe('external_services (XEP-0215)', () => {
  it('lists the services with their defaults and TURN REST credentials', async (t) => {
    const s = await startImServer(['alice'], CONFIG);
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const before = Math.floor(Date.now() / 1000);
    const list = listed(await services(a));
    const after = Math.ceil(Date.now() / 1000);
    assert.deepEqual(list.map((x) => x.type), ['stun', 'turn', 'turns', 'ftp']);
    assert.deepEqual(list[0], { type: 'stun', transport: 'udp', host: 'stun.example.org', port: '3478' });

    const turn = list[1]!;
    assert.equal(turn.host, 'turn.example.org', 'external_service_host');
    assert.equal(turn.restricted, '1');
    const expires = Number(turn.username);
    assert.ok(expires >= before + 86400 && expires <= after + 86400, 'external_service_ttl (86400) from now');
    assert.equal(Date.parse(turn.expires!) / 1000, expires, 'the expires attribute is the same instant');
    assert.equal(turn.password, createHmac('sha1', SECRET).update(turn.username!).digest('base64'));

    const turns = list[2]!;
    assert.match(turns.username!, /^\d+:alice$/, 'expiry:username');
    assert.ok(Number(turns.username!.split(':')[0]) <= after + 600, 'the entry\'s ttl');
    assert.equal(turns.password, createHmac('sha1', 'other-secret').update(turns.username!).digest('base64'));
    assert.deepEqual(list[3], { type: 'ftp', host: 'files.example.org', username: 'u', password: 'p', restricted: '1' });
  });

  it('filters by type, and answers the older urn:xmpp:extdisco:1 too', async (t) => {
    const s = await startImServer(['alice'], CONFIG);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    const r = await services(a, 'stun');
    assert.equal(r.getChild('services', NS)!.attrs.type, 'stun');
    assert.deepEqual(listed(r).map((x) => x.type), ['stun']);
    assert.deepEqual(listed(await services(a, 'none')), []);
    assert.equal(listed(await services(a, undefined, 'urn:xmpp:extdisco:1'), 'services', 'urn:xmpp:extdisco:1').length, 4);
  });

  it('gives credentials for restricted services; bad-request and item-not-found otherwise', async (t) => {
    const s = await startImServer(['alice'], CONFIG);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    const r = await credentials(a, { type: 'turn', host: 'turn.example.org' });
    const got = listed(r, 'credentials');
    assert.deepEqual(got.map((x) => x.type), ['turn']);
    assert.equal(got[0]!.password, createHmac('sha1', SECRET).update(got[0]!.username!).digest('base64'));
    assert.deepEqual(listed(await credentials(a, { type: 'turns', host: 'turn.example.org', port: '5349' }), 'credentials').map((x) => x.type), ['turns']);
    await assert.rejects(credentials(a, { type: 'stun', host: 'stun.example.org' }), failsWith('item-not-found'), 'not restricted');
    await assert.rejects(credentials(a, { type: 'turns', host: 'turn.example.org', port: '1' }), failsWith('item-not-found'), 'wrong port');
    await assert.rejects(credentials(a), failsWith('bad-request'), 'no service named');
    await assert.rejects(credentials(a, { type: 'turn' }), failsWith('bad-request'), 'no host');
  });

  it('answers only those in external_service_access when it is set', async (t) => {
    const s = await startImServer(['alice', 'bob'], { ...CONFIG, external_service_access: ['bob@localhost'] });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(services(a), failsWith('forbidden'));
    await assert.rejects(credentials(a, { type: 'turn', host: 'turn.example.org' }), failsWith('forbidden'));
    const b = await s.raw('bob', 'x');
    assert.equal(listed(await services(b)).length, 4);
  });

  it('lists external_service items other modules provide', async (t) => {
    const extra = defineModule({ name: 'test_turn', load(module) { module.provides('external_service', { type: 'turn', host: 'relay.example.org', port: 3479, secret: 's3' }); } });
    const s = await startImServer(['alice'], { modules_enabled: [...MODULES, 'test_turn'] }, [extra]);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    const [relay] = listed(await services(a));
    assert.equal(relay!.host, 'relay.example.org');
    assert.equal(relay!.password, createHmac('sha1', 's3').update(relay!.username!).digest('base64'));
  });

  it('refuses bad entries, and "secret": true without external_service_secret, naming the option', async () => {
    for (const [config, option] of [
      [{ external_services: [{ transport: 'udp' }] }, 'external_services'],
      [{ external_services: [{ type: 'turn', port: 70000 }] }, 'external_services'],
      [{ external_services: [{ type: 'turn', secret: true }] }, 'external_service_secret'],
    ] as const) {
      await assert.rejects(startImServer([], { modules_enabled: MODULES, ...config }),
        (err: unknown) => isServerError(err, 'XS_ERR_OPTION_INVALID') && err.message.includes(`'${option}'`));
    }
  });
});
