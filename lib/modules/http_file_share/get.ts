/**
 * @module http_file_share/get
 * The download (XEP-0363 §5): `GET`/`HEAD <slot URL>` with the type the slot was requested with,
 * inline only for safe types (else `Content-Disposition: attachment`), nosniff and a CSP that
 * lets nothing run, validators (ETag, Last-Modified) and byte ranges (206 / 416).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { HttpRequest, HttpResponse, HttpResult } from '../../core/http-api.js';
import { typeMatches } from './options.js';
import { parseRange } from './range.js';
import { essence } from './request.js';
import type { SlotRecord, Uploads } from './uploads.js';

/** Nothing in a served file runs or loads anything, and no page may frame it. */
const CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** RFC 6266 §4: an ASCII fallback name and the UTF-8 name (RFC 8187). */
export function disposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function notModified(req: HttpRequest, etag: string, modified: number): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === '*');
  const ims = Date.parse(req.headers['if-modified-since'] ?? '');
  return !Number.isNaN(ims) && Math.floor(modified / 1000) <= Math.floor(ims / 1000);
}

function headersFor(slot: SlotRecord & { uploaded: number }, safeTypes: readonly string[], etag: string): Record<string, string> {
  return {
    'content-type': slot.type,
    'content-disposition': disposition(typeMatches(safeTypes, essence(slot.type)) ? 'inline' : 'attachment', slot.name),
    'x-content-type-options': 'nosniff',
    'content-security-policy': CSP,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'cross-origin',
    'cache-control': 'public, max-age=31536000, immutable',
    'accept-ranges': 'bytes',
    etag,
    'last-modified': new Date(slot.uploaded).toUTCString(),
  };
}

export function getHandler(uploads: Uploads, safeTypes: readonly string[]): (req: HttpRequest, res: HttpResponse) => Promise<HttpResult> {
  return async (req, res) => {
    const id = (req.wildcard ?? '').split('/')[0]!;
    const slot = uploads.get(id);
    if (!slot || slot.uploaded === undefined) return 404;
    const file = uploads.path(id);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return 404;
    const etag = `"${id}"`;
    for (const [k, v] of Object.entries(headersFor({ ...slot, uploaded: slot.uploaded }, safeTypes, etag))) res.header(k, v);
    if (notModified(req, etag, slot.uploaded)) {
      res.status(304).end();
      return undefined;
    }
    const size = info.size;
    // RFC 9110 §13.1.5: a Range under an If-Range that does not match is ignored
    const ifRange = req.headers['if-range'] as string | undefined;
    const range = ifRange === undefined || ifRange.trim() === etag ? parseRange(req.headers.range, size) : undefined;
    if (range === 'unsatisfiable') {
      res.status(416).header('content-range', `bytes */${size}`).header('content-length', 0).end();
      return undefined;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    if (range) res.status(206).header('content-range', `bytes ${start}-${end}/${size}`);
    else res.status(200);
    res.header('content-length', Math.max(0, end - start + 1));
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return undefined;
    }
    await new Promise<void>((done) => {
      const stream = createReadStream(file, { start, end });
      stream.on('error', () => { res.raw.destroy(); done(); });
      res.raw.on('close', () => { stream.destroy(); done(); });
      stream.pipe(res.raw);
    });
    return undefined;
  };
}
