/**
 * Where the chat page connects: the WebSocket link of XEP-0156 host-meta (JRD) on the page's
 * own host when the server publishes one, else ws(s)://<same host>/xmpp-websocket.
 */

/** The link relation of an XMPP WebSocket endpoint (XEP-0156 §3.1, RFC 7395 §4). */
export const REL_WEBSOCKET = 'urn:xmpp:alt-connections:websocket';

/** The parts of `window.location` the choice depends on. */
export interface PageLocation {
  readonly protocol: string;
  readonly host: string;
  readonly hostname: string;
}

/** The endpoint on the page's own host at the server's default path. */
export function defaultWebSocketUrl(location: PageLocation): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/xmpp-websocket`;
}

/**
 * Pick the endpoint from a host-meta JRD: the first WebSocket link on the page's host name
 * (another host would need its own certificate and Origin policy), else the default.
 */
export function chooseWebSocketUrl(jrd: unknown, location: PageLocation): string {
  const links = (jrd as { links?: unknown } | null)?.links;
  if (Array.isArray(links)) {
    for (const link of links as { rel?: unknown; href?: unknown }[]) {
      if (link?.rel !== REL_WEBSOCKET || typeof link.href !== 'string') continue;
      try {
        const url = new URL(link.href);
        if ((url.protocol === 'wss:' || url.protocol === 'ws:') && url.hostname === location.hostname) return url.href;
      } catch {
        // not a URL: skip it
      }
    }
  }
  return defaultWebSocketUrl(location);
}

/**
 * Ask the page's server for /.well-known/host-meta.json (XEP-0156 §3.3) and choose the
 * endpoint; any failure (404 over plain HTTP, no link, bad JSON) gives the default.
 */
export async function discoverWebSocketUrl(location: PageLocation, fetchJson: (path: string) => Promise<unknown>): Promise<string> {
  try {
    return chooseWebSocketUrl(await fetchJson('/.well-known/host-meta.json'), location);
  } catch {
    return defaultWebSocketUrl(location);
  }
}
