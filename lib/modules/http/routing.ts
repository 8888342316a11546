/**
 * @module http/routing
 * Apps mounted at base paths, per VirtualHost: Prosody-style route keys ('GET', 'GET /',
 * 'POST /x', 'GET /*'), `http_paths` with `$host`, trailing slashes, and picking the most
 * specific route for a method and path (exact over wildcard, longer prefix first).
 */
import { ServerError } from '../../core/api.js';
import type { ItemRecord } from '../../core/api.js';
import type { CorsPolicy } from './cors.js';
import type { HttpApp, HttpHandler } from '../../core/http-api.js';

/** A route key, parsed. `path` is relative to the base path, without a trailing '/'. */
export interface RouteKey {
  readonly method: string;
  readonly path: string;
  readonly wildcard: boolean;
}

/** One route of a mounted app, with its full path ('' is the root). */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly wildcard: boolean;
  readonly handler: HttpHandler;
  readonly mount: Mount;
}

/** An app mounted on one host at one base path. */
export interface Mount {
  readonly record: ItemRecord<HttpApp>;
  readonly app: HttpApp;
  /** The VirtualHost, or '*'. */
  readonly host: string;
  /** The base path without trailing '/' ('' for the root). */
  readonly base: string;
  readonly routes: readonly Route[];
  readonly cors: CorsPolicy;
}

/** What a request path and method resolve to on a table. */
export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route; readonly wildcard: string | undefined }
  | { readonly kind: 'method'; readonly mount: Mount; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

const KEY = /^([A-Z]+)(?:\s+(\/[^\s]*))?$/;

/** Parse 'GET', 'GET /', 'POST /upload', 'GET /*'; undefined if malformed. */
export function parseRouteKey(key: string): RouteKey | undefined {
  const m = KEY.exec(key.trim());
  if (!m) return undefined;
  let path = m[2] ?? '';
  let wildcard = false;
  if (path === '/*' || path.endsWith('/*')) {
    wildcard = true;
    path = path.slice(0, -2);
  }
  if (path.includes('*')) return undefined;
  return { method: m[1]!, path: trimPath(path), wildcard };
}

/** Collapse repeated slashes and remove trailing ones: '/a//b/' -> '/a/b', '/' -> ''. */
export function trimPath(path: string): string {
  return path.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
}

/**
 * An app's base path: the configured or default path with `$host` substituted, a leading '/'
 * ensured and trailing ones removed ('' for the root).
 */
export function basePath(configured: string | undefined, defaultPath: string | undefined, name: string, host: string): string {
  let path = configured ?? defaultPath ?? `/${name}`;
  if (host !== '*') path = path.replaceAll('$host', host);
  if (!path.startsWith('/')) path = `/${path}`;
  return trimPath(path);
}

/**
 * Check an app and build its mount at the base path `basePathOf` gives for it.
 * @throws XS_ERR_ITEM_INVALID for a malformed app or route key
 */
export function createMount(
  record: ItemRecord<HttpApp>,
  host: string,
  basePathOf: (app: HttpApp) => string,
  cors: (app: HttpApp, methods: readonly string[]) => CorsPolicy,
): Mount {
  const app = record.item as HttpApp | undefined;
  const invalid = (reason: string): ServerError => new ServerError('XS_ERR_ITEM_INVALID', { kind: 'http', module: record.module, reason });
  if (typeof app !== 'object' || app === null) throw invalid('the item must be an object { name, route, ... }');
  if (typeof app.name !== 'string' || app.name === '') throw invalid('`name` must be a non-empty string');
  if (typeof app.route !== 'object' || app.route === null) throw invalid(`app '${app.name}': \`route\` must be an object of handlers`);
  if (app.default_path !== undefined && typeof app.default_path !== 'string') throw invalid(`app '${app.name}': \`default_path\` must be a string`);
  if (app.body !== undefined && app.body !== 'buffer' && app.body !== 'stream') throw invalid(`app '${app.name}': \`body\` must be 'buffer' or 'stream'`);
  if (app.upgrade !== undefined && typeof app.upgrade !== 'function') throw invalid(`app '${app.name}': \`upgrade\` must be a function`);
  const keys: { key: RouteKey; handler: HttpHandler }[] = [];
  for (const [text, handler] of Object.entries(app.route)) {
    const key = parseRouteKey(text);
    if (!key) throw invalid(`app '${app.name}': route key ${JSON.stringify(text)} is not 'METHOD', 'METHOD /path' or 'METHOD /path/*'`);
    if (typeof handler !== 'function') throw invalid(`app '${app.name}': route ${JSON.stringify(text)} must be a function`);
    keys.push({ key, handler });
  }
  const methods = [...new Set(keys.map((k) => k.key.method))];
  const base = basePathOf(app);
  const routes: Route[] = [];
  const mount: Mount = { record, app, host, base, routes, cors: cors(app, methods) };
  for (const { key, handler } of keys) {
    routes.push({ method: key.method, path: base + key.path, wildcard: key.wildcard, handler, mount });
  }
  return mount;
}

/** Rank of a route for a path: higher is more specific; -1 = no match. */
function rank(route: { path: string; wildcard: boolean }, path: string): number {
  if (!route.wildcard) return route.path === path ? 1_000_000 : -1;
  if (route.path === '' || path === route.path || path.startsWith(`${route.path}/`)) return route.path.length;
  return -1;
}

function tail(route: Route, path: string): string | undefined {
  if (!route.wildcard) return undefined;
  return path.length > route.path.length ? path.slice(route.path.length + 1) : '';
}

/** The mounted apps of one host (or of '*'), in the order they were provided. */
export class RouteTable {
  readonly host: string;
  #mounts: Mount[] = [];

  constructor(host: string) {
    this.host = host;
  }

  get mounts(): readonly Mount[] {
    return this.#mounts;
  }

  add(mount: Mount): void {
    this.#mounts = [...this.#mounts, mount];
  }

  remove(record: ItemRecord<HttpApp>): Mount | undefined {
    const mount = this.#mounts.find((m) => m.record === record);
    this.#mounts = this.#mounts.filter((m) => m.record !== record);
    return mount;
  }

  /** Another mount already at `base` (for a conflict warning). */
  at(base: string): Mount | undefined {
    return this.#mounts.find((m) => m.base === base);
  }

  /**
   * The best route for `method` at `path` (decoded, any trailing '/' is ignored). HEAD falls
   * back to GET. If routes match the path but not the method: 'method' with the allowed ones.
   */
  match(method: string, path: string): RouteMatch {
    const p = trimPath(path);
    let best: Route | undefined;
    let bestRank = -1;
    let pathMatch: { route: Route; rank: number } | undefined;
    for (const mount of this.#mounts) {
      for (const route of mount.routes) {
        const r = rank(route, p);
        if (r < 0) continue;
        if (!pathMatch || r > pathMatch.rank) pathMatch = { route, rank: r };
        const fits = route.method === method || (method === 'HEAD' && route.method === 'GET');
        // At equal rank an exact method beats HEAD's fallback to GET; otherwise first wins.
        if (fits && (r > bestRank || (r === bestRank && route.method === method && best?.method !== method))) {
          best = route;
          bestRank = r;
        }
      }
    }
    if (best) return { kind: 'route', route: best, wildcard: tail(best, p) };
    if (!pathMatch) return { kind: 'none' };
    const mount = pathMatch.route.mount;
    const allowed = new Set<string>();
    for (const route of mount.routes) if (rank(route, p) >= 0) allowed.add(route.method);
    if (allowed.has('GET')) allowed.add('HEAD');
    allowed.add('OPTIONS');
    return { kind: 'method', mount, allowed: [...allowed].sort() };
  }

  /**
   * The app that takes an `Upgrade:` request for `path`: the most specific mount with an
   * `upgrade` handler whose base path or one of whose routes matches. `exists` tells a path
   * served by apps without upgrade support from a path served by nothing.
   */
  matchUpgrade(path: string): { mount: Mount; wildcard: string | undefined } | { mount: undefined; exists: boolean } {
    const p = trimPath(path);
    let best: { mount: Mount; wildcard: string | undefined; rank: number } | undefined;
    let exists = false;
    for (const mount of this.#mounts) {
      const candidates = [
        { path: mount.base, wildcard: false, route: undefined as Route | undefined },
        ...mount.routes.map((r) => ({ path: r.path, wildcard: r.wildcard, route: r as Route | undefined })),
      ];
      for (const c of candidates) {
        const r = rank(c, p);
        if (r < 0) continue;
        exists = true;
        if (mount.app.upgrade && (!best || r > best.rank)) best = { mount, wildcard: c.route ? tail(c.route, p) : undefined, rank: r };
      }
    }
    return best ? { mount: best.mount, wildcard: best.wildcard } : { mount: undefined, exists };
  }
}
