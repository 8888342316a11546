/**
 * http_file_share with a real client library: `stanza` discovers the upload service through the
 * server's disco#items (XEP-0363 §3), reads its size limit, gets a slot, uploads with the slot's
 * headers and downloads the file; its parser reads the file-too-large error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stanzaLogin, stanzaStop } from '../../helpers/stanza-client.js';
import { COMPONENT, call, startFileShare } from '../../helpers/file-share.js';

describe('http_file_share with stanza', () => {
  it('discovers the service, gets a slot, uploads and downloads a file', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_size_limit: 2_000_000 });
    t.after(async () => { await s.stop(); s.removeData(); });
    const alice = await stanzaLogin(s.port, 'alice');
    t.after(() => stanzaStop(alice));
    const service = await alice.getUploadService();
    assert.deepEqual(service, { jid: COMPONENT, maxSize: 2_000_000 });
    const data = randomBytes(1_000_000);
    const slot = await alice.getUploadSlot(service.jid, { name: 'photo.jpg', size: data.length, mediaType: 'image/jpeg' });
    const headers = Object.fromEntries((slot.upload.headers ?? []).map((h) => [h.name, h.value]));
    assert.match(headers.Authorization ?? '', /^Bearer /);
    const up = await call(slot.upload.url, { method: 'PUT', headers: { ...headers, 'content-type': 'image/jpeg', 'content-length': data.length }, body: data });
    assert.equal(up.status, 201);
    const down = await call(slot.download);
    assert.equal(down.status, 200);
    assert.equal(down.headers['content-type'], 'image/jpeg');
    assert.ok(down.body.equals(data), 'byte for byte');
  });

  it('reads the file-too-large error with the limit', async (t) => {
    const s = await startFileShare(['alice'], { http_file_share_size_limit: 100 });
    t.after(async () => { await s.stop(); s.removeData(); });
    const alice = await stanzaLogin(s.port, 'alice');
    t.after(() => stanzaStop(alice));
    const err = await alice.getUploadSlot(COMPONENT, { name: 'big.bin', size: 101 }).then(() => undefined, (e: { error?: { condition?: string; httpUploadError?: string; httpUploadMaxFileSize?: number } }) => e.error);
    assert.equal(err?.condition, 'not-acceptable');
    assert.equal(err?.httpUploadError, 'file-too-large');
    assert.equal(err?.httpUploadMaxFileSize, 100);
  });
});
