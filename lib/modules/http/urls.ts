/**
 * @module http/urls
 * The public URL of an app (the `http-url` event, Prosody's module:http_url()): from
 * `http_external_url` when set (behind a proxy), else from the listeners (https preferred),
 * the host's `http_host` and the app's path.
 */
import { isIP } from 'node:net';
import type { HttpOptions } from './options.js';
import { basePath, trimPath } from './routing.js';
import type { HttpState } from './state.js';
import type { HttpUrlQuery } from '../../core/http-api.js';

/** The per-host options a URL depends on. */
export type UrlOptions = Pick<HttpOptions, 'http_paths' | 'http_host' | 'http_external_url'>;

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

function hostPart(name: string): string {
  return isIP(name) === 6 ? `[${name}]` : name;
}

/** The URL at which `query.name` is reachable on `query.host`. */
export function appUrl(state: HttpState, query: HttpUrlQuery, options: UrlOptions): string {
  const base = basePath(options.http_paths[query.name], query.defaultPath, query.name, query.host);
  const path = base === '' ? '/' : base;
  if (options.http_external_url !== undefined) {
    const external = new URL(options.http_external_url);
    return `${external.protocol}//${external.host}${trimPath(external.pathname)}${path}`;
  }
  const https = state.listeners.find((l) => l.info.kind === 'https');
  const http = state.listeners.find((l) => l.info.kind === 'http');
  const listener = query.secure === false ? (http ?? https) : (https ?? http);
  if (!listener) return `http://disabled.invalid${path}`;
  const { kind, address, port } = listener.info;
  let name: string;
  if (query.host !== '*') name = options.http_host ?? query.host;
  else name = state.options.http_default_host ?? (address === '*' || address === '::' || address === '0.0.0.0' ? 'localhost' : address);
  const portPart = DEFAULT_PORTS[kind] === port ? '' : `:${port}`;
  return `${kind}://${hostPart(name)}${portPart}${path}`;
}
