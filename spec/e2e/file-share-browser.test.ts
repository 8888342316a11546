/**
 * End to end in chromium: a page served from the VirtualHost's origin (http://localhost:port)
 * draws an image, PUTs it to the upload slot on the component's origin (upload.localhost: a
 * cross-origin request with a CORS preflight for Authorization and Content-Type), and a page of
 * another user downloads it from the GET URL, shows it, and gets the same bytes.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { call, requestSlot, startFileShare, type FileShareServer } from '../helpers/file-share.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>upload</title><canvas id="c" width="64" height="48"></canvas><img id="shown" alt=""><script src="upload.js"></script>`;
const SCRIPT = `
window.makeImage = async () => {
  const c = document.getElementById('c');
  const g = c.getContext('2d');
  g.fillStyle = '#c33'; g.fillRect(0, 0, 64, 48);
  g.fillStyle = '#39c'; g.fillRect(8, 8, 30, 20);
  window.blob = await new Promise((r) => c.toBlob(r, 'image/png'));
  return Array.from(new Uint8Array(await window.blob.arrayBuffer()));
};
window.upload = async (url, authorization) => {
  const r = await fetch(url, { method: 'PUT', headers: { Authorization: authorization, 'Content-Type': 'image/png' }, body: window.blob });
  return r.status;
};
window.download = async (url) => {
  const r = await fetch(url);
  const img = document.getElementById('shown');
  await new Promise((ok, fail) => { img.onload = ok; img.onerror = fail; img.src = url; });
  return { status: r.status, type: r.headers.get('content-type'), bytes: Array.from(new Uint8Array(await r.arrayBuffer())), width: img.naturalWidth };
};
`;

let browser: Browser;
let s: FileShareServer & { removeData(): void };
let site: string;
let base: string;

before(async () => {
  site = mkdtempSync(join(tmpdir(), 'xs-upload-page-'));
  writeFileSync(join(site, 'index.html'), PAGE);
  writeFileSync(join(site, 'upload.js'), SCRIPT);
  s = await startFileShare(['alice'], {}, { modules_enabled: ['roster', 'saslauth', 'disco', 'http_files'], http_files_dir: site,
    // The page shows images from the upload host: its policy must allow them (as a chat page's would).
    http_files_csp: "default-src 'self'; connect-src 'self' http:; img-src 'self' http:" });
  base = `http://localhost:${s.httpPort}/files/`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.removeData();
  rmSync(site, { recursive: true, force: true });
});

async function open(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(base);
  return page;
}

describe('http_file_share in chromium', () => {
  it('a page uploads an image to its slot from another origin, and another page downloads it', async () => {
    const sender = await open();
    const bytes = await sender.evaluate(() => (window as unknown as { makeImage(): Promise<number[]> }).makeImage());
    assert.ok(bytes.length > 0);
    const slot = await requestSlot(await s.raw('alice'), 'drawing.png', bytes.length, 'image/png');
    assert.ok(slot.ok);
    assert.notEqual(new URL(slot.put).origin, new URL(base).origin, 'a cross-origin upload');
    const status = await sender.evaluate(([url, auth]) => (window as unknown as { upload(u: string, a: string): Promise<number> }).upload(url!, auth!),
      [slot.put, slot.headers.Authorization!]);
    assert.equal(status, 201);

    const receiver = await open();
    type Downloaded = { status: number; type: string; bytes: number[]; width: number };
    const got = await receiver.evaluate((url) => (window as unknown as { download(u: string): Promise<Downloaded> }).download(url), slot.get);
    assert.equal(got.status, 200);
    assert.equal(got.type, 'image/png');
    assert.deepEqual(got.bytes, bytes, 'the same bytes');
    assert.equal(got.width, 64, 'the image shows');
    const direct = await call(slot.get);
    assert.ok(direct.body.equals(Buffer.from(bytes)));
    await sender.context().close();
    await receiver.context().close();
  });
});
