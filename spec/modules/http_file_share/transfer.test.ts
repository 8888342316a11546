/**
 * Tests for lib/modules/http_file_share over real HTTP (XEP-0363 §5): an upload is stored under
 * data_path by slot id only and served back byte for byte with its type, disposition, security
 * headers, validators and ranges; every wrong PUT is refused and leaves no file (wrong token,
 * size, type, reused or expired slot, two PUTs at once, too many bytes chunked, a client that
 * goes away); CORS lets a browser on another origin upload; files expire in the background;
 * slots and files survive a restart on SQLite.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { COMPONENT, call, put, requestSlot, startFileShare, type FileShareServer, type SlotAnswer } from '../../helpers/file-share.js';

type Slot = Extract<SlotAnswer, { ok: true }>;

async function slotFor(s: FileShareServer, name: string, size: number, type?: string): Promise<Slot> {
  const r = await requestSlot(await s.raw('alice'), name, size, type);
  assert.ok(r.ok, 'slot granted');
  return r;
}

/** Files of the component under data_path (finished and temporary). */
const filesOf = (s: FileShareServer): string[] => {
  const dir = join(s.dataPath, 'http_file_share', COMPONENT);
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('http_file_share transfers', () => {
  it('stores an upload under its slot id only and serves it back byte for byte', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const data = randomBytes(300_000);
    const slot = await slotFor(s, 'évil "x".png', data.length, 'image/png');
    const up = await put(slot, data, { 'content-type': 'image/png' });
    assert.equal(up.status, 201);
    const id = new URL(slot.get).pathname.split('/')[2]!;
    assert.deepEqual(filesOf(s), [id], 'one file, named by the slot id, nothing from the client');
    const got = await call(slot.get);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(data), 'same bytes');
    assert.equal(got.headers['content-type'], 'image/png');
    assert.equal(got.headers['content-length'], String(data.length));
    assert.match(String(got.headers['content-disposition']), /^inline; filename="_vil _x_\.png"; filename\*=UTF-8''%C3%A9vil%20%22x%22\.png$/);
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.match(String(got.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(got.headers['accept-ranges'], 'bytes');
    const head = await call(slot.get, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(data.length));
    assert.equal(head.body.length, 0);
    // The name in the URL is cosmetic: the id alone finds the file; an unknown id is 404.
    assert.equal((await call(slot.get.replace(/[^/]+$/, 'other'))).status, 200);
    assert.equal((await call(slot.get.replace(id, 'A'.repeat(24)))).status, 404);
    assert.equal((await call(slot.get.replace(id, '..%2F..%2Fhttp_file_share'))).status, 404);
  });

  it('serves types outside the safe list as attachments, never inline', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const html = Buffer.from('<script>alert(1)</script>');
    const slot = await slotFor(s, 'page.html', html.length, 'text/html');
    assert.equal((await put(slot, html, { 'content-type': 'text/html' })).status, 201);
    const got = await call(slot.get);
    assert.equal(got.headers['content-type'], 'text/html');
    assert.match(String(got.headers['content-disposition']), /^attachment; /);
    assert.match(String(got.headers['content-security-policy']), /sandbox/);
  });

  it('answers validators (304) and byte ranges (206, 416)', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const data = randomBytes(1000);
    const slot = await slotFor(s, 'r.bin', data.length);
    assert.equal((await put(slot, data)).status, 201);
    const full = await call(slot.get);
    const etag = String(full.headers.etag);
    assert.equal((await call(slot.get, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await call(slot.get, { headers: { 'if-modified-since': String(full.headers['last-modified']) } })).status, 304);
    const part = await call(slot.get, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 100-199/1000');
    assert.ok(part.body.equals(data.subarray(100, 200)));
    const tail = await call(slot.get, { headers: { range: 'bytes=-10' } });
    assert.ok(tail.status === 206 && tail.body.equals(data.subarray(990)));
    const open = await call(slot.get, { headers: { range: 'bytes=995-' } });
    assert.ok(open.status === 206 && open.body.equals(data.subarray(995)));
    const beyond = await call(slot.get, { headers: { range: 'bytes=1000-' } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], 'bytes */1000');
    const stale = await call(slot.get, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
    assert.ok(stale.status === 200 && stale.body.equals(data), 'If-Range that does not match: the whole file');
    const multi = await call(slot.get, { headers: { range: 'bytes=0-1,5-6' } });
    assert.equal(multi.status, 200);
  });

  it('refuses a PUT without the slot\'s token, of another size or type, and a second PUT', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const data = randomBytes(100);
    const slot = await slotFor(s, 'a.txt', data.length, 'text/plain');
    const noAuth = await call(slot.put, { method: 'PUT', headers: { 'content-length': 100 }, body: data });
    assert.equal(noAuth.status, 401);
    assert.equal(noAuth.headers['www-authenticate'], 'Bearer');
    assert.equal((await put(slot, data, { authorization: `${slot.headers.Authorization!.slice(0, -2)}AA` })).status, 401);
    const other = await slotFor(s, 'b.txt', 100, 'text/plain');
    assert.equal((await put(slot, data, { authorization: other.headers.Authorization! })).status, 401, 'another slot\'s token');
    assert.equal((await put(slot, randomBytes(101))).status, 413, 'larger than the slot');
    assert.equal((await put(slot, randomBytes(99))).status, 400, 'smaller than the slot');
    assert.equal((await put(slot, data, { 'content-type': 'image/png' })).status, 415);
    assert.deepEqual(filesOf(s), [], 'nothing stored by the refused attempts');
    assert.equal((await call(slot.get)).status, 404, 'nothing to download before the upload');
    assert.equal((await put(slot, data, { 'content-type': 'text/plain; charset=utf-8' })).status, 201);
    assert.equal((await put(slot, randomBytes(100))).status, 409, 'a slot is used once');
    assert.ok((await call(slot.get)).body.equals(data), 'the first upload stays');
  });

  it('refuses the PUT once the slot has expired (410)', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_slot_expires_after: 60 });
    t.after(async () => { await s.stop(); s.removeData(); });
    const slot = await slotFor(s, 'late.bin', 4);
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 });
    const r = await put(slot, Buffer.from('late'));
    t.mock.timers.reset();
    assert.equal(r.status, 410);
    assert.deepEqual(filesOf(s), []);
  });

  it('takes one of two concurrent PUTs to a slot and refuses the other (409)', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const data = randomBytes(64 * 1024);
    const slot = await slotFor(s, 'c.bin', data.length);
    // The first upload sends half its body and waits; the second arrives meanwhile.
    const body = new Readable({ read() {} });
    body.push(data.subarray(0, 32 * 1024));
    const first = call(slot.put, { method: 'PUT', headers: { ...slot.headers, 'content-length': data.length }, body });
    await waitFor(() => filesOf(s).some((f) => f.endsWith('.part')));
    const second = await put(slot, data);
    assert.equal(second.status, 409);
    body.push(data.subarray(32 * 1024));
    body.push(null);
    assert.equal((await first).status, 201);
    assert.ok((await call(slot.get)).body.equals(data));
    assert.equal(filesOf(s).length, 1);
  });

  it('leaves no file when the client goes away mid-upload, and the slot can be retried', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const data = randomBytes(200_000);
    const slot = await slotFor(s, 'cut.bin', data.length);
    const u = new URL(slot.put);
    const req = httpRequest({ host: '127.0.0.1', port: Number(u.port), method: 'PUT', path: u.pathname, headers: { host: u.host, ...slot.headers, 'content-length': data.length } });
    req.on('error', () => undefined);
    req.write(data.subarray(0, 50_000));
    await waitFor(() => filesOf(s).some((f) => f.endsWith('.part')));
    req.destroy();
    await waitFor(() => filesOf(s).length === 0);
    assert.equal((await call(slot.get)).status, 404);
    assert.equal((await put(slot, data)).status, 201, 'the slot is still unused');
    assert.ok((await call(slot.get)).body.equals(data));
  });

  it('stops a chunked upload at the slot\'s size and keeps nothing', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const slot = await slotFor(s, 'chunked.bin', 1000);
    const r = await call(slot.put, { method: 'PUT', headers: { ...slot.headers }, body: Readable.from([randomBytes(600), randomBytes(600)]) })
      .catch((err: Error) => ({ status: 0, err }));
    assert.notEqual(r.status, 201);
    await waitFor(() => filesOf(s).length === 0);
    assert.equal((await call(slot.get)).status, 404);
    const short = await call(slot.put, { method: 'PUT', headers: { ...slot.headers }, body: Readable.from([randomBytes(500)]) });
    assert.equal(short.status, 400, 'fewer bytes than the slot');
    assert.deepEqual(filesOf(s), []);
    const exact = await call(slot.put, { method: 'PUT', headers: { ...slot.headers }, body: Readable.from([randomBytes(400), randomBytes(600)]) });
    assert.equal(exact.status, 201, 'chunked with the right size is fine');
  });

  it('answers the CORS preflight of a browser upload from another origin', async (t) => {
    const s = await startFileShare(['alice']);
    t.after(async () => { await s.stop(); s.removeData(); });
    const slot = await slotFor(s, 'x.png', 3, 'image/png');
    const pre = await call(slot.put, { method: 'OPTIONS', headers: { origin: 'https://client.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(String(pre.headers['access-control-allow-methods']), /\bPUT\b/);
    const allowed = String(pre.headers['access-control-allow-headers']).toLowerCase();
    assert.match(allowed, /\bauthorization\b/);
    assert.match(allowed, /\bcontent-type\b/);
    const up = await put(slot, Buffer.from('abc'), { origin: 'https://client.example', 'content-type': 'image/png' });
    assert.equal(up.status, 201);
    assert.equal(up.headers['access-control-allow-origin'], '*');
  });

  it('deletes expired files and their records in the background', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_expires_after: 3600, http_file_share_expiry_batch: 2 });
    t.after(async () => { await s.stop(); s.removeData(); });
    const slots: Slot[] = [];
    for (let i = 0; i < 5; i++) {
      const slot = await slotFor(s, `e${i}`, 2);
      assert.equal((await put(slot, Buffer.from('ok'))).status, 201);
      slots.push(slot);
    }
    const expire = (): Promise<number> => s.server.hostEvents(COMPONENT)!.fire('http_file_share/expire', {}) as Promise<number>;
    assert.equal(await expire(), 0, 'nothing expired yet');
    assert.equal(filesOf(s).length, 5);
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 3601_000 });
    const deleted = await expire();
    t.mock.timers.reset();
    assert.equal(deleted, 5, 'runs of 2 until none is left');
    assert.deepEqual(filesOf(s), []);
    for (const slot of slots) assert.equal((await call(slot.get)).status, 404);
  });

  it('keeps slots, tokens and files across a restart on SQLite', async (t) => {
    const first = await startFileShare(['alice']);
    const data = randomBytes(5000);
    const done = await slotFor(first, 'kept.bin', data.length);
    assert.equal((await put(done, data)).status, 201);
    const pending = await slotFor(first, 'later.bin', 4);
    await first.stop();
    const s = await startFileShare([], {}, {}, first.dataPath);
    t.after(async () => { await s.stop(); first.removeData(); });
    const port = (url: string): string => url.replace(/:\d+\//, `:${s.httpPort}/`);
    assert.ok((await call(port(done.get))).body.equals(data));
    const later = await put({ ...pending, put: port(pending.put) }, Buffer.from('four'));
    assert.equal(later.status, 201, 'the token still verifies (the secret is kept in storage)');
  });
});

/** Poll a condition on the event loop (the server runs in this process). */
async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}
