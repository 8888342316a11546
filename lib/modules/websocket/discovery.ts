/**
 * @module websocket/discovery
 * XEP-0156 discovery for one VirtualHost: `/.well-known/host-meta` (XRD) and
 * `/.well-known/host-meta.json` (JRD) advertising the public wss:// URL of the endpoint
 * (honouring http_external_url), with `Access-Control-Allow-Origin: *`.
 */
import { NS_XRD, escapeAttr, type ModuleApi } from '../../core/api.js';
import { httpUrl, type HttpApp, type HttpRequest, type HttpResponse } from '../../core/http-api.js';
import type { WebSocketOptions } from './options.js';

/** The link relation of a WebSocket endpoint (XEP-0156 §3.1, RFC 7395 §4). */
export const REL_WEBSOCKET = 'urn:xmpp:alt-connections:websocket';

/** The default base path of the endpoint (Prosody's). */
export const DEFAULT_PATH = '/xmpp-websocket';

/**
 * The wss:// URL to advertise, or undefined when the endpoint has no https URL (XEP-0156 §3.2
 * rule 1: only wss: may be listed; behind a proxy, set http_external_url).
 */
export function publicWebSocketUrl(module: Pick<ModuleApi<unknown>, 'host' | 'fireGlobal'>): string | undefined {
  const url = httpUrl(module, 'websocket', DEFAULT_PATH, true);
  if (url === undefined || !/^https:\/\//i.test(url)) return undefined;
  return `wss://${url.slice('https://'.length)}`;
}

/** The XRD document (RFC 6415 §3). */
export function hostMetaXrd(href: string | undefined): string {
  const link = href === undefined ? '' : `\n  <Link rel="${REL_WEBSOCKET}" href="${escapeAttr(href)}"/>`;
  return `<?xml version="1.0" encoding="utf-8"?>\n<XRD xmlns="${NS_XRD}">${link}\n</XRD>\n`;
}

/** The JRD document (RFC 6415 Appendix A). */
export function hostMetaJrd(href: string | undefined): string {
  return JSON.stringify({ links: href === undefined ? [] : [{ rel: REL_WEBSOCKET, href }] });
}

/**
 * The host-meta app of a VirtualHost. Served when the request is secure (XEP-0156 §3.2: host-meta
 * is fetched over HTTPS only) or the endpoint is declared secure; plain HTTP gets a 404 saying so.
 */
export function hostMetaApp(module: ModuleApi<WebSocketOptions>): HttpApp {
  const serve = (json: boolean) => (req: HttpRequest, res: HttpResponse): void => {
    res.header('access-control-allow-origin', '*');
    if (!req.secure && !module.options.consider_websocket_secure) {
      res.page(404, 'host-meta is only served over HTTPS (XEP-0156 §3.2).');
      return;
    }
    const href = publicWebSocketUrl(module);
    if (href === undefined) module.log.debug({ host: module.host }, 'no https URL for the websocket endpoint; host-meta lists no WebSocket link (set http_external_url)');
    res.header('cache-control', 'max-age=300');
    if (json) res.send(hostMetaJrd(href), 'application/json');
    else res.send(hostMetaXrd(href), 'application/xrd+xml; charset=utf-8');
  };
  return {
    name: 'host_meta',
    default_path: '/.well-known',
    // The app sets its own `*`: host-meta is public data (XEP-0156 §4).
    cors: { enabled: false },
    route: { 'GET /host-meta': serve(false), 'GET /host-meta.json': serve(true) },
  };
}
