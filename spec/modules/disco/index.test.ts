/**
 * Tests for lib/modules/disco: disco#info for the host lists the server identity and the
 * features of the loaded modules, disco#items lists configured items, and an account's info
 * is shown only to the account itself and its subscribers (XEP-0030).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { defineModule } from '../../../lib/index.js';
import { startImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const ITEMS = 'http://jabber.org/protocol/disco#items';

const info = (c: ImClient, to?: string, node?: string): Promise<Element> =>
  c.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: INFO, node })));
const features = (r: Element): string[] => (r.getChild('query', INFO)?.getChildren('feature') ?? []).map((f) => f.attrs.var as string);

describe('disco', () => {
  it('lists the server identity and the features of loaded modules', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'register'], server_name: 'Test server' });
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const r = await info(a, 'localhost');
    const identity = r.getChild('query', INFO)?.getChild('identity');
    assert.deepEqual({ ...identity?.attrs }, { category: 'server', type: 'im', name: 'Test server' });
    const f = features(r);
    for (const v of [INFO, ITEMS, 'urn:xmpp:ping', 'msgoffline', 'jabber:iq:register']) assert.ok(f.includes(v), `${v} in ${f.join(' ')}`);
    assert.equal(new Set(f).size, f.length, 'each feature once');
    await assert.rejects(info(a, 'localhost', 'urn:example:node'), (err: { condition?: string }) => err.condition === 'item-not-found');
  });

  it('leaves out the features of modules that are not loaded', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco'] });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    const f = features(await info(a, 'localhost'));
    assert.ok(f.includes(INFO));
    assert.equal(f.includes('urn:xmpp:ping'), false);
    assert.equal(f.includes('jabber:iq:register'), false);
  });

  it('lists disco_items on the host', async (t) => {
    const s = await startImServer(['alice'], { disco_items: ['conference.localhost', { jid: 'upload.localhost', name: 'Uploads' }] });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    const r = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: ITEMS })));
    const list = (r.getChild('query', ITEMS)?.getChildren('item') ?? []).map((i) => ({ ...i.attrs }));
    assert.deepEqual(list, [{ jid: 'conference.localhost' }, { jid: 'upload.localhost', name: 'Uploads' }]);
  });

  it('shows an account to itself and to subscribers, not to strangers', async (t) => {
    const s = await startImServer(['alice', 'bob', 'eve']);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const bob = await s.raw('bob', 'b');
    const eve = await s.xmppjs('eve', 'e');
    const own = await info(alice);
    assert.deepEqual({ ...own.getChild('query', INFO)?.getChild('identity')?.attrs }, { category: 'account', type: 'registered' });
    await assert.rejects(info(eve, 'alice@localhost'), (err: { condition?: string }) => err.condition === 'service-unavailable');
    // bob subscribes to alice and alice approves: bob may look
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    await bob.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
    await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const seen = await info(bob, 'alice@localhost');
    assert.equal(seen.attrs.from, 'alice@localhost');
    assert.equal(seen.getChild('query', INFO)?.getChild('identity')?.attrs.type, 'registered');
  });

  it('lists every feature provided on the host and for accounts, and the account lists disco#items', async (t) => {
    // Stands in for carbons, mam, blocklist... built elsewhere: whatever is provided is listed.
    const other = defineModule({
      name: 'test_features',
      load(m) {
        for (const v of ['urn:xmpp:mam:2', 'urn:xmpp:carbons:2', 'urn:xmpp:blocking']) m.provides('feature', v);
        m.provides('account-feature', 'urn:xmpp:mam:2');
      },
    });
    const small = ['version', 'time', 'uptime', 'lastactivity', 'private', 'vcard', 'external_services'];
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'test_features', ...small] }, [other]);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    const host = features(await info(a, 'localhost'));
    for (const v of ['urn:xmpp:mam:2', 'urn:xmpp:carbons:2', 'urn:xmpp:blocking', 'urn:xmpp:ping', 'jabber:iq:version', 'urn:xmpp:time',
      'jabber:iq:last', 'jabber:iq:private', 'vcard-temp', 'urn:xmpp:extdisco:2']) assert.ok(host.includes(v), `${v} in ${host.join(' ')}`);
    assert.equal(new Set(host).size, host.length, 'each feature once (uptime and lastactivity both provide jabber:iq:last)');
    const account = features(await info(a, 'alice@localhost'));
    for (const v of [INFO, ITEMS, 'urn:xmpp:mam:2', 'jabber:iq:last', 'jabber:iq:private', 'vcard-temp']) assert.ok(account.includes(v), `${v} in ${account.join(' ')}`);
  });

  it('appends provided XEP-0128 extensions to the host\'s disco#info (not to accounts)', async (t) => {
    const form = xml('x', { xmlns: 'jabber:x:data', type: 'result' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'urn:example:info')), xml('field', { var: 'colour' }, xml('value', {}, 'blue')));
    const ext = defineModule({ name: 'test_extension', load(m) { m.provides('disco-extension', form); } });
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco', 'test_extension'] }, [ext]);
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    for (let i = 0; i < 2; i++) {
      const query = (await info(a, 'localhost')).getChild('query', INFO)!;
      const forms = query.getChildren('x', 'jabber:x:data');
      assert.equal(forms.length, 1, 'one form, each time');
      assert.equal(forms[0]!.getChildren('field').find((f) => f.attrs.var === 'colour')?.getChildText('value'), 'blue');
    }
    const account = (await info(a, 'alice@localhost')).getChild('query', INFO)!;
    assert.equal(account.getChildren('x', 'jabber:x:data').length, 0, 'host information only');
  });
});
