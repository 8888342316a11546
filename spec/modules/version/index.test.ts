/**
 * Tests for lib/modules/version (XEP-0092): the server answers with its package name and
 * version and the OS (unless hide_os_type); only the host's JID answers; disco lists it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type as osType, release as osRelease } from 'node:os';
import { xml } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';

const NS = 'jabber:iq:version';
const MODULES = ['roster', 'saslauth', 'disco', 'version'];
const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
const query = (type: 'get' | 'set', to?: string) => xml('iq', { type, to }, xml('query', { xmlns: NS }));
const failsWith = (condition: string) => (err: { condition?: string }) => err.condition === condition;

describe('version (XEP-0092)', () => {
  it('answers the server\'s name, version and OS, and is listed in disco', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const r = await a.iq(query('get', 'localhost'));
    const q = r.getChild('query', NS)!;
    assert.equal(q.getChildText('name'), pkg.name);
    assert.equal(q.getChildText('version'), pkg.version);
    assert.equal(q.getChildText('os'), `${osType()} ${osRelease()}`);
    const disco = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(disco.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
  });

  it('leaves the OS out with hide_os_type', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES, hide_os_type: true });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    const q = (await a.iq(query('get', 'localhost'))).getChild('query', NS)!;
    assert.equal(q.getChild('os'), undefined);
    assert.equal(q.getChildText('name'), pkg.name);
  });

  it('answers only gets to the host: a set, or a get to an account, is service-unavailable', async (t) => {
    const s = await startImServer(['alice', 'bob'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(a.iq(query('set', 'localhost')), failsWith('service-unavailable'));
    await assert.rejects(a.iq(query('get', 'bob@localhost')), failsWith('service-unavailable'));
  });

  it('is not answered without the module', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: ['roster', 'saslauth', 'disco'] });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    await assert.rejects(a.iq(query('get', 'localhost')), failsWith('service-unavailable'));
  });
});
