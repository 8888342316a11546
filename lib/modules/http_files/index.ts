/**
 * @module http_files
 * Serves a folder over HTTP (Prosody's mod_http_files): the app `files` at `/files` (move it
 * with `http_paths: { files: "/" }`), with index files, ETag / Last-Modified revalidation,
 * security headers (a Content-Security-Policy, `http_files_csp`), redirects that stay on
 * this origin, and no way out of the folder (dot-dot, symlinks, hidden files).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { defineModule, option } from '../../core/api.js';
import type { HttpRequest, HttpResponse, HttpResult } from '../../core/http-api.js';
import { DEFAULT_CSP, fileHeaders, parseCsp } from './headers.js';

/** Content types by file extension (the files a web client ships). */
const TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8', '.htm': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.map': 'application/json', '.txt': 'text/plain; charset=utf-8', '.xml': 'application/xml', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp',
  '.ico': 'image/x-icon', '.woff': 'font/woff', '.woff2': 'font/woff2', '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
});

/** Resolve `tail` inside `root`; undefined if it would leave it or names a hidden file. */
export function safeJoin(root: string, tail: string): string | undefined {
  const parts = tail.split(/[/\\]+/).filter((p) => p !== '');
  if (parts.some((p) => p.startsWith('.') || p.includes('\0'))) return undefined;
  const full = resolve(root, ...parts);
  const rel = relative(root, full);
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return full;
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The weak validator of a file version (RFC 9110 §8.8.3). */
function etagOf(size: number, mtimeMs: number): string {
  return `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** RFC 9110 §13.1.2 If-None-Match first, else §13.1.3 If-Modified-Since. */
function notModified(req: HttpRequest, etag: string, mtime: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return inm.split(',').some((t) => t.trim() === etag || t.trim() === '*');
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) <= Math.floor(since / 1000);
}

/**
 * Where a folder's URL without its trailing slash redirects: the same path with one, each run
 * of slashes made one (as routing reads them). The request path may start with `//` (or `/\`,
 * which the URL parser reads as `//`): sent back as is, browsers would take it for another host
 * (RFC 3986 §4.2 network-path reference), an open redirect.
 */
export function folderLocation(rawPath: string, search: string): string {
  return `/${rawPath.split(/[/\\]+/).filter((p) => p !== '').map((p) => `${p}/`).join('')}${search}`;
}

interface Served {
  readonly root: string;
  readonly indexFiles: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
}

async function serveFile(req: HttpRequest, res: HttpResponse, { root, indexFiles, headers }: Served): Promise<HttpResult> {
  let file = safeJoin(root, req.wildcard ?? '');
  if (file === undefined) return 404;
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    if (!req.path.endsWith('/')) {
      // Relative links in an index page need the trailing slash.
      res.status(301).header('location', folderLocation(req.rawPath, req.url.search));
      return 301;
    }
    let found: string | undefined;
    for (const name of indexFiles) {
      const candidate = join(file, name);
      const s = await stat(candidate).catch(() => undefined);
      if (s?.isFile()) {
        found = candidate;
        info = s;
        break;
      }
    }
    if (found === undefined) return 404;
    file = found;
  }
  if (!info?.isFile()) return 404;
  // Symlinks may point anywhere: the real path must stay inside the real root.
  const real = await realpath(file).catch(() => undefined);
  if (real === undefined || !isInside(await realpath(root), real)) return 404;
  const etag = etagOf(info.size, info.mtimeMs);
  res.header('etag', etag).header('last-modified', info.mtime.toUTCString());
  for (const [k, v] of Object.entries(headers)) res.header(k, v);
  if (notModified(req, etag, info.mtime)) return 304;
  res.header('content-type', TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream').header('content-length', info.size);
  res.status(200);
  if (req.method === 'HEAD') {
    res.end();
    return undefined;
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(real);
    stream.on('error', () => {
      res.raw.destroy();
      done();
    });
    res.raw.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res.raw);
  });
  return undefined;
}

export default defineModule({
  name: 'http_files',
  depends: ['http'],
  description: 'Serves a folder of static files over HTTP.',
  options: {
    http_files_dir: option.string<string | undefined>({ default: undefined, doc: 'Folder served by http_files (relative to the config file). Unset: nothing is served.' }),
    http_index_files: option.array(option.string({ default: '' }), { default: ['index.html'], doc: 'File names served for a folder\'s URL.' }),
    http_files_csp: option.custom<string | false>({
      default: DEFAULT_CSP,
      describe: 'a string (a Content-Security-Policy) or false',
      parse: parseCsp,
      doc: 'Content-Security-Policy sent with every file; the default suits the chat page (its own scripts and styles, WebSocket to any host, never framed). '
        + 'X-Frame-Options follows its frame-ancestors (DENY for \'none\', SAMEORIGIN for \'self\'). false or "" sends none (serving an app that needs more).',
    }),
  },
  load(module) {
    const dir = module.options.http_files_dir;
    if (dir === undefined) {
      module.log.warn('http_files_dir is not set; no files are served');
      return;
    }
    const file = module.server.config.file;
    const root = resolve(file ? dirname(file) : process.cwd(), dir);
    const served: Served = { root, indexFiles: module.options.http_index_files, headers: fileHeaders(module.options.http_files_csp) };
    const handler = (req: HttpRequest, res: HttpResponse): Promise<HttpResult> => serveFile(req, res, served);
    module.provides('http', { name: 'files', default_path: '/files', route: { 'GET /*': handler } });
    module.log.debug({ root }, 'serving files');
  },
});
