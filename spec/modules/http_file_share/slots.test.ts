/**
 * Tests for lib/modules/http_file_share slot requests (XEP-0363 §3-4): disco#info of the
 * component and of the server, slot URLs on the component's HTTP host (and http_external_url),
 * and every refusal with the XEP's error: bad names and sizes, too large (max-file-size),
 * types, the daily quota (with retry), the global quota, and who may upload.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { COMPONENT, NS_UPLOAD, conditionOf, requestSlot, startFileShare } from '../../helpers/file-share.js';

const NS_INFO = 'http://jabber.org/protocol/disco#info';

describe('http_file_share slots', () => {
  it('is announced in disco: the server lists the component, which is store/file with its size form', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_size_limit: 1234, name: 'Uploads' });
    t.after(async () => { await s.stop(); s.removeData(); });
    const a = await s.raw('alice');
    const items = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === COMPONENT && i.attrs.name === 'Uploads'));
    const info = (await a.iq(xml('iq', { type: 'get', to: COMPONENT }, xml('query', { xmlns: NS_INFO })))).getChild('query')!;
    assert.deepEqual(info.getChildren('identity').map((i) => ({ ...i.attrs })), [{ category: 'store', type: 'file', name: 'Uploads' }]);
    assert.ok(info.getChildren('feature').some((f) => f.attrs.var === NS_UPLOAD));
    const form = info.getChild('x', 'jabber:x:data')!;
    const fields = Object.fromEntries(form.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
    assert.deepEqual(fields, { FORM_TYPE: NS_UPLOAD, 'max-file-size': '1234' });
  });

  it('hands out a slot whose URLs are on the component\'s host, the name percent-encoded, with a bearer token', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const slot = await requestSlot(await s.raw('alice'), 'a b_..ü?.txt', 10, 'text/plain');
    assert.ok(slot.ok);
    const url = new URL(slot.get);
    assert.equal(url.host, `${COMPONENT}:${s.httpPort}`);
    assert.match(url.pathname, /^\/file_share\/[A-Za-z0-9_-]{24}\/a%20b_\.\.%C3%BC%3F\.txt$/);
    assert.equal(slot.put, slot.get);
    assert.match(slot.headers.Authorization!, /^Bearer [A-Za-z0-9_-]{43}$/);
    const other = await requestSlot(await s.raw('alice'), 'x', 1);
    assert.ok(other.ok);
    assert.notEqual(new URL(other.get).pathname.split('/')[2], url.pathname.split('/')[2], 'slot ids differ');
  });

  it('uses http_external_url of the component for the URLs (behind a proxy)', async (t) => {
    const s = await startFileShare(['alice'], { http_external_url: 'https://files.example.org/up/' });
    t.after(async () => { await s.stop(); s.removeData(); });
    const slot = await requestSlot(await s.raw('alice'), 'f.bin', 3);
    assert.ok(slot.ok);
    assert.match(slot.get, /^https:\/\/files\.example\.org\/up\/file_share\/[A-Za-z0-9_-]{24}\/f\.bin$/);
  });

  it('refuses bad requests with bad-request: path tricks, control characters, empty names, bad sizes and types', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_filename_max_length: 20 });
    t.after(async () => { await s.stop(); s.removeData(); });
    const a = await s.raw('alice');
    for (const [name, size, type] of [
      ['../../etc/passwd', 1], ['dir/file', 1], ['..\\win.ini', 1], ['..', 1], ['.', 1], ['', 1], ['   ', 1], ['tab\there', 1],
      ['x'.repeat(21), 1], ['ok', -1], ['ok', '1.5'], ['ok', 'ten'], ['ok', ''], ['ok', '9'.repeat(16)],
      ['ok', 1, 'text'], ['ok', 1, 'text/plain\r\nX-Evil: 1'], ['ok', 1, 'a/b; c'],
    ] as const) {
      const r = await requestSlot(a, name, size, type);
      assert.ok(!r.ok, `${JSON.stringify([name, size, type])} is refused`);
      assert.equal(r.error.attrs.type, 'modify');
      assert.equal(conditionOf(r.error), 'bad-request', JSON.stringify([name, size, type]));
    }
    assert.ok((await requestSlot(a, 'x'.repeat(20), 0, 'text/plain; charset=utf-8')).ok, 'at the limits');
  });

  it('refuses too large files with not-acceptable and <file-too-large><max-file-size/> (XEP-0363 §4)', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_size_limit: 1000 });
    t.after(async () => { await s.stop(); s.removeData(); });
    const a = await s.raw('alice');
    assert.ok((await requestSlot(a, 'ok', 1000)).ok);
    const r = await requestSlot(a, 'big', 1001);
    assert.ok(!r.ok);
    assert.equal(r.error.attrs.type, 'modify');
    assert.equal(conditionOf(r.error), 'not-acceptable');
    assert.equal(r.error.getChild('file-too-large', NS_UPLOAD)?.getChildText('max-file-size'), '1000');
  });

  it('refuses types outside http_file_share_allowed_file_types with not-acceptable', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_allowed_file_types: ['image/*', 'text/plain'] });
    t.after(async () => { await s.stop(); s.removeData(); });
    const a = await s.raw('alice');
    assert.ok((await requestSlot(a, 'p.png', 1, 'image/png')).ok);
    assert.ok((await requestSlot(a, 't.txt', 1, 'Text/Plain; charset=utf-8')).ok);
    for (const type of ['text/html', 'application/octet-stream', undefined]) {
      const r = await requestSlot(a, 'x', 1, type);
      assert.ok(!r.ok, String(type));
      assert.equal(conditionOf(r.error), 'not-acceptable');
      assert.equal(r.error.getChild('file-too-large', NS_UPLOAD), undefined);
    }
  });

  it('enforces the daily quota per user with resource-constraint and a retry stamp', async (t) => {
    const s = await startFileShare(['alice', 'bob'], { http_file_share_size_limit: 100, http_file_share_daily_quota: 250 });
    t.after(async () => { await s.stop(); s.removeData(); });
    const a = await s.raw('alice');
    const before = Date.now();
    assert.ok((await requestSlot(a, '1', 100)).ok);
    assert.ok((await requestSlot(a, '2', 100)).ok);
    const r = await requestSlot(a, '3', 100);
    assert.ok(!r.ok);
    assert.equal(r.error.attrs.type, 'wait');
    assert.equal(conditionOf(r.error), 'resource-constraint');
    const retry = Date.parse(String(r.error.getChild('retry', NS_UPLOAD)?.attrs.stamp));
    assert.ok(retry >= before + 86_400_000 - 1000 && retry <= Date.now() + 86_400_000, 'when the first slot leaves the 24 hours');
    assert.ok((await requestSlot(a, '4', 50)).ok, 'what still fits is allowed');
    assert.ok((await requestSlot(await s.raw('bob'), '1', 100)).ok, 'quotas are per user');
  });

  it('the daily quota defaults to ten times the size limit', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_size_limit: 10 });
    t.after(async () => { await s.stop(); s.removeData(); });
    const a = await s.raw('alice');
    for (let i = 0; i < 10; i++) assert.ok((await requestSlot(a, `f${i}`, 10)).ok);
    const r = await requestSlot(a, 'f10', 1);
    assert.ok(!r.ok && conditionOf(r.error) === 'resource-constraint');
  });

  it('enforces the global quota across users', async (t) => {
    const s = await startFileShare(['alice', 'bob'], { http_file_share_global_quota: 150 });
    t.after(async () => { await s.stop(); s.removeData(); });
    assert.ok((await requestSlot(await s.raw('alice'), 'a', 100)).ok);
    const r = await requestSlot(await s.raw('bob'), 'b', 51);
    assert.ok(!r.ok);
    assert.equal(conditionOf(r.error), 'resource-constraint');
    assert.equal(r.error.getChild('retry', NS_UPLOAD), undefined);
  });

  it('lets only the parent host\'s users upload by default, and whom http_file_share_access lists otherwise', async (t) => {
    // A component under another VirtualHost: localhost's users are not its parent host's.
    const s = await startFileShare(['alice'], {}, {
      VirtualHost: { localhost: {}, 'example.test': {} },
      Component: { 'upload.example.test': { module: 'http_file_share' }, [COMPONENT]: { module: 'http_file_share' } },
    });
    t.after(async () => { await s.stop(); s.removeData(); });
    const refused = await requestSlot(await s.raw('alice'), 'x', 1, undefined, 'upload.example.test');
    assert.ok(!refused.ok);
    assert.equal(refused.error.attrs.type, 'cancel');
    assert.equal(conditionOf(refused.error), 'not-allowed');
    assert.ok((await requestSlot(await s.raw('alice'), 'x', 1)).ok);

    const s2 = await startFileShare(['alice', 'bob'], { http_file_share_access: ['bob@localhost'] });
    t.after(async () => { await s2.stop(); s2.removeData(); });
    const denied = await requestSlot(await s2.raw('alice'), 'x', 1);
    assert.ok(!denied.ok && conditionOf(denied.error) === 'not-allowed');
    assert.ok((await requestSlot(await s2.raw('bob'), 'x', 1)).ok);
  });
});
