/**
 * @module http
 * The `http` module (global): HTTP and HTTPS listeners serving every app that modules provide
 * with `module.provides('http', app)`, routed by VirtualHost (`Host`, `http_host`,
 * `http_default_host`), behind trusted proxies, with CORS. Host-agnostic apps come from
 * global modules' own instances. The app contract is core/http-api.ts
 * (`xmpp-server-core/http`).
 */
import { dirname } from 'node:path';
import { ServerError, defineModule } from '../../core/api.js';
import type { ItemRecord, ModuleApi } from '../../core/api.js';
import { resolveCors } from './cors.js';
import { closeAll, listen, loadCertificates, type CertificateFiles } from './listeners.js';
import { HTTP_OPTIONS, type HttpOptions } from './options.js';
import { renderPage } from './pages.js';
import { TrustedProxies } from './proxies.js';
import { basePath, createMount, type RouteTable } from './routing.js';
import { HttpState } from './state.js';
import type { HttpApp } from '../../core/http-api.js';
import { appUrl, type UrlOptions } from './urls.js';

type Api = ModuleApi<HttpOptions>;

/** Mount an app on a table, with the providing host's paths and CORS options. */
function mountApp(module: Api, table: RouteTable, record: ItemRecord<HttpApp>): void {
  const options = module.options;
  const mount = createMount(record, module.host, (app) => basePath(options.http_paths[app.name], app.default_path, app.name, module.host),
    (app, methods) => resolveCors(app.name, app.cors, options, methods));
  const other = table.at(mount.base);
  if (other) module.log.warn({ app: mount.app.name, other: other.app.name, path: mount.base || '/' }, 'two http apps share a base path; the first one wins where both match');
  table.add(mount);
  module.log.debug({ app: mount.app.name, path: mount.base || '/', provider: record.module }, 'http app mounted');
}

function consumeApps(module: Api, table: RouteTable): void {
  module.handleItems('http', (record) => mountApp(module, table, record), (record) => { table.remove(record); });
}

/** Hosts with a certificate and key (the core's per-host `certificate`/`key`), for SNI. */
function certificateFiles(module: Api): CertificateFiles[] {
  const { config } = module.server;
  const out: CertificateFiles[] = [];
  for (const host of module.server.hostNames) {
    const certificate = config.raw(host, 'certificate');
    const key = config.raw(host, 'key');
    if (certificate === undefined && key === undefined) continue;
    if (typeof certificate !== 'string' || typeof key !== 'string') {
      throw new ServerError('XS_ERR_CERTIFICATE', { host, file: String(certificate ?? key), reason: 'both `certificate` and `key` must be set (PEM file paths)' });
    }
    const httpHost = config.option(host, 'http_host', HTTP_OPTIONS.http_host, 'http');
    out.push({ host, names: [...new Set([(httpHost ?? host).toLowerCase(), host])], certificate, key });
  }
  return out;
}

function urlOptions(module: Api, host: string): UrlOptions {
  if (host === '*' || !module.server.isLocalHost(host)) return module.options;
  const { http_paths, http_host, http_external_url } = HTTP_OPTIONS;
  return module.server.config.options(host, { http_paths, http_host, http_external_url }, 'http');
}

async function startListeners(module: Api, state: HttpState): Promise<void> {
  const o = module.options;
  await listen(state, 'http', o.http_ports, o.http_interfaces);
  if (o.https_ports.length === 0) return;
  const files = certificateFiles(module);
  if (files.length === 0) {
    module.log.info('no host has a certificate and key; https is not started');
    return;
  }
  const { file } = module.server.config;
  await loadCertificates(state, files, file ? dirname(file) : process.cwd(), o.http_default_host);
  await listen(state, 'https', o.https_ports, o.https_interfaces);
}

export default defineModule({
  name: 'http',
  events: ['http-url', 'http-message'],
  global: true,
  description: 'HTTP and HTTPS for modules: apps per VirtualHost, trusted proxies, CORS.',
  options: HTTP_OPTIONS,

  async load(module) {
    const state = new HttpState({
      options: module.options,
      trusted: new TrustedProxies(module.options.trusted_proxies),
      log: module.log,
      render: (content) => {
        const html = module.fireGlobal('http-message', content);
        return typeof html === 'string' ? html : renderPage(content);
      },
    });
    module.hook('http-message', (content) => renderPage(content), -1);
    // The core's one listener registry (ListenerInfo): service 'http' or 'https'.
    module.hook('listeners', ({ list }) => {
      for (const { info } of state.listeners) list.push({ service: info.kind, address: info.address, port: info.port });
    });
    module.hook('http-url', (query) => appUrl(state, query, urlOptions(module, query.host)));
    consumeApps(module, state.tables.get('*')!);
    module.onUnload(async () => { await closeAll(state); });
    try {
      await startListeners(module, state);
    } catch (err) {
      await closeAll(state);
      throw err;
    }
    return state;
  },

  addHost(module, state) {
    const table = state.addHost(module.host, module.options.http_host ?? module.host);
    module.onUnload(() => {
      if (state.tables.get(module.host) === table) state.removeHost(module.host);
    });
    consumeApps(module, table);
  },
});

