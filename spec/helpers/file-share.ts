/**
 * Test helper for http_file_share: a server with the component `upload.localhost` on SQLite in a
 * temp data_path, a raw XMPP client that sees whole error stanzas, slot requests, and HTTP
 * requests to slot URLs (a `*.localhost` name is sent to loopback, as browsers do, with its
 * Host header kept).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { xml, type Element } from '../../lib/core/xml.js';
import type { RawConfig } from '../../lib/index.js';
import { startImServer, tempDataPath, type ImServer } from './im-server.js';
import type { ImClient } from './im-clients.js';

export const NS_UPLOAD = 'urn:xmpp:http:upload:0';
export const COMPONENT = 'upload.localhost';

export interface FileShareServer extends ImServer {
  readonly dataPath: string;
  readonly httpPort: number;
}

/** A server with `users` on localhost and the upload component with `options`; `keep` a data path to reuse. */
export async function startFileShare(users: readonly string[], options: RawConfig = {}, extra: RawConfig = {}, keep?: string): Promise<FileShareServer & { removeData(): void }> {
  const data = keep === undefined ? tempDataPath() : { path: keep, remove: () => undefined };
  const s = await startImServer(users, {
    storage: 'sqlite', data_path: data.path, https_ports: [],
    Component: { [COMPONENT]: { module: 'http_file_share', ...options } },
    ...extra,
  });
  const list: { service: string; port: number }[] = [];
  s.server.events.fire('listeners', { list } as never);
  const http = list.find((l) => l.service === 'http');
  if (!http) throw new Error('no http listener');
  return { ...s, dataPath: data.path, httpPort: http.port, removeData: data.remove };
}

/** A slot, or the error stanza that refused it. */
export type SlotAnswer = { ok: true; put: string; get: string; headers: Record<string, string> } | { ok: false; error: Element };

let ids = 0;

/** Ask the component for a slot (XEP-0363 §4). */
export async function requestSlot(c: ImClient, filename: string, size: number | string, type?: string, to = COMPONENT): Promise<SlotAnswer> {
  const id = `slot${++ids}`;
  const attrs: Record<string, string> = { xmlns: NS_UPLOAD, filename, size: String(size) };
  if (type !== undefined) attrs['content-type'] = type;
  await c.send(xml('iq', { type: 'get', id, to }, xml('request', attrs)));
  const reply = await c.next((el) => el.name === 'iq' && el.attrs.id === id, `reply to ${id}`);
  if (reply.attrs.type === 'error') return { ok: false, error: reply.getChild('error')! };
  const slot = reply.getChild('slot', NS_UPLOAD)!;
  const put = slot.getChild('put')!;
  const headers = Object.fromEntries(put.getChildren('header').map((h) => [String(h.attrs.name), h.text()]));
  return { ok: true, put: String(put.attrs.url), get: String(slot.getChild('get')!.attrs.url), headers };
}

/** The condition of an error element (the child in the stanzas namespace). */
export function conditionOf(error: Element): string | undefined {
  return error.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * An HTTP request to `url` over a real socket; names ending in `.localhost` connect to 127.0.0.1.
 * `body` may be a Buffer or a stream (sent chunked when no content-length is given).
 */
export function call(url: string, o: { method?: string; headers?: Record<string, string | number>; body?: Buffer | Readable } = {}): Promise<HttpAnswer> {
  const u = new URL(url);
  const host = u.hostname === 'localhost' || u.hostname.endsWith('.localhost') ? '127.0.0.1' : u.hostname;
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host, port: Number(u.port || 80), method: o.method ?? 'GET', path: u.pathname + u.search,
      headers: { host: u.host, ...o.headers }, agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.body instanceof Readable) o.body.pipe(req);
    else req.end(o.body);
  });
}

/** PUT `data` to a slot with its headers (and `headers` on top). */
export function put(slot: Extract<SlotAnswer, { ok: true }>, data: Buffer, headers: Record<string, string | number> = {}): Promise<HttpAnswer> {
  return call(slot.put, { method: 'PUT', headers: { ...slot.headers, 'content-length': data.length, ...headers }, body: data });
}
