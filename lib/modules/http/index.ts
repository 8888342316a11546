/**
 * @module http
 * The `http` module (global): HTTP and HTTPS listeners serving every app that modules provide
 * with `module.provides('http', app)`, routed by VirtualHost (`Host`, `http_host`,
 * `http_default_host`), behind trusted proxies, with CORS. Host-agnostic apps come from
 * global modules' own instances. The app contract is core/http-api.ts
 * (`xmpp-server-core/http`).
 */
import { defineModule } from '../../core/api.js';
import type { ItemRecord, ModuleApi, SniOptions } from '../../core/api.js';
import { resolveCors } from './cors.js';
import { closeAll, listen } from './listeners.js';
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

/**
 * How HTTPS picks a certificate by SNI: each host that has one under its `http_host` name and
 * its own name (the first host to claim a name keeps it), clients without SNI or with an
 * unknown name get http_default_host's. No parent-domain lookup (unlike c2s).
 * @throws XS_ERR_CERTIFICATE (from the core) when a host's certificate or key cannot be used
 */
function sniOptions(module: Api): SniOptions | undefined {
  const { config, certificates } = module.server;
  const hosts = certificates.hosts();
  if (hosts.length === 0) return undefined;
  const aliases = new Map<string, string>();
  for (const host of hosts) {
    const httpHost = config.option(host, 'http_host', HTTP_OPTIONS.http_host, 'http');
    for (const name of [(httpHost ?? host).toLowerCase(), host]) if (!aliases.has(name)) aliases.set(name, host);
  }
  return { aliases, parentDomains: false, fallback: module.options.http_default_host };
}

function urlOptions(module: Api, host: string): UrlOptions {
  if (host === '*' || !module.server.servesHost(host)) return module.options;
  const { http_paths, http_host, http_external_url } = HTTP_OPTIONS;
  return module.server.config.options(host, { http_paths, http_host, http_external_url }, 'http');
}

async function startListeners(module: Api, state: HttpState): Promise<void> {
  const o = module.options;
  await listen(state, 'http', o.http_ports, o.http_interfaces);
  if (o.https_ports.length === 0) return;
  const sni = sniOptions(module);
  if (sni === undefined) {
    module.log.info('no host has a certificate and key; https is not started');
    return;
  }
  state.useCertificates(module.server.certificates, sni);
  await listen(state, 'https', o.https_ports, o.https_interfaces);
}

export default defineModule({
  name: 'http',
  events: ['http-url', 'http-message'],
  global: true,
  carriesConnections: true,
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

