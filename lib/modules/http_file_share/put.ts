/**
 * @module http_file_share/put
 * The upload (XEP-0363 §5): `PUT <slot URL>` with the slot's bearer token, streamed to a temp
 * file and renamed into place only when exactly the announced number of bytes arrived. Never
 * buffered in memory; a mismatch, an abort or a second upload leaves no file behind.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../core/api.js';
import type { HttpRequest, HttpResponse, HttpResult } from '../../core/http-api.js';
import { essence } from './request.js';
import type { Uploads } from './uploads.js';

/** Counts bytes through, failing as soon as more than `max` arrive. */
class SizeGuard extends Transform {
  count = 0;
  readonly #max: number;
  constructor(max: number) {
    super();
    this.#max = max;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.#max) done(new Error('too-large'));
    else done(null, chunk);
  }
}

/** Answer without reading the body: the connection closes so the rest is never read. */
function refuse(res: HttpResponse, status: number, message?: string, headers: Readonly<Record<string, string>> = {}): HttpResult {
  res.header('connection', 'close');
  for (const [k, v] of Object.entries(headers)) res.header(k, v);
  res.page(status, message);
  return undefined;
}

export function putHandler(uploads: Uploads, active: Set<string>, log: Logger): (req: HttpRequest, res: HttpResponse) => Promise<HttpResult> {
  return async (req, res) => {
    const id = (req.wildcard ?? '').split('/')[0]!;
    const slot = uploads.get(id);
    if (!slot) return refuse(res, 404);
    // RFC 6750 §3: a bearer token, else 401 with the challenge
    const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!auth || !uploads.verify(id, slot, auth[1]!)) return refuse(res, 401, 'This upload needs the slot\'s Authorization header.', { 'www-authenticate': 'Bearer' });
    if (slot.uploaded !== undefined || active.has(id)) return refuse(res, 409, 'This slot has been used.');
    if (Date.now() > slot.deadline) return refuse(res, 410, 'This upload slot has expired.');
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== slot.size) {
      return refuse(res, Number(declared) > slot.size ? 413 : 400, `The slot is for exactly ${slot.size} bytes.`);
    }
    // XEP-0363 §5: the Content-Type must be the one the slot was requested with
    const type = req.headers['content-type'];
    if (type !== undefined && essence(type) !== essence(slot.type)) return refuse(res, 415, `The slot is for ${essence(slot.type)}.`);
    active.add(id);
    const temp = uploads.tempPath(id);
    const guard = new SizeGuard(slot.size);
    try {
      await pipeline(req.raw, guard, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      if (guard.count !== slot.size) {
        await rm(temp, { force: true });
        return refuse(res, 400, `The slot is for exactly ${slot.size} bytes; ${guard.count} arrived.`);
      }
      // A slot is written once: the final name never exists before this rename.
      if (await stat(uploads.path(id)).then(() => true, () => false)) {
        await rm(temp, { force: true });
        return refuse(res, 409, 'This slot has been used.');
      }
      await rename(temp, uploads.path(id));
      uploads.markUploaded(id, Date.now());
      log.info({ slot: id, owner: slot.owner, size: slot.size }, 'file uploaded');
      res.status(201).header('content-length', 0).end();
      return undefined;
    } catch (err) {
      await rm(temp, { force: true });
      if ((err as Error).message === 'too-large') return refuse(res, 413, `The slot is for exactly ${slot.size} bytes.`);
      log.debug({ slot: id, err }, 'upload aborted');
      if (!res.sent && !req.raw.socket.destroyed) return refuse(res, 400);
      res.raw.destroy();
      return undefined;
    } finally {
      active.delete(id);
    }
  };
}
