/**
 * @module http/state
 * The http module's state on one server, shared by its global instance and its per-host
 * instances: route tables per VirtualHost ('*' for host-agnostic apps), the `http_host` name
 * map, the listeners, upgraded sockets, and the certificates HTTPS picks by SNI.
 */
import type { SecureContext } from 'node:tls';
import type { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Certificates, Logger, SniOptions } from '../../core/api.js';
import type { HttpOptions } from './options.js';
import type { TrustedProxies } from './proxies.js';
import type { PageRenderer } from './response.js';
import { RouteTable } from './routing.js';
import type { HttpListenerInfo } from '../../core/http-api.js';

/** One bound socket of the module. */
export interface Listener {
  readonly info: HttpListenerInfo;
  readonly server: NetServer & { closeAllConnections?(): void };
}

/**
 * The host name of a Host header, lower-cased, without port or trailing dot; undefined when
 * the header is not a valid authority (RFC 9110 §7.2, RFC 3986 §3.2.2).
 */
export function hostFromHeader(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._~!$&'()*+,;=%-]+)(?::\d*)?$/i.exec(value.trim());
  if (!m) return undefined;
  return m[1]!.toLowerCase().replace(/\.$/, '');
}

export class HttpState {
  readonly options: HttpOptions;
  readonly trusted: TrustedProxies;
  readonly log: Logger;
  readonly render: PageRenderer;
  /** VirtualHost (or '*') -> its apps. */
  readonly tables = new Map<string, RouteTable>();
  /** http_host name -> VirtualHost. */
  readonly names = new Map<string, string>();
  readonly listeners: Listener[] = [];
  readonly upgraded = new Set<Duplex>();
  /** The core's certificates and how HTTPS names them (set when HTTPS starts). */
  #tls: { readonly certificates: Certificates; readonly sni: SniOptions } | undefined;

  constructor(init: { options: HttpOptions; trusted: TrustedProxies; log: Logger; render: PageRenderer }) {
    this.options = init.options;
    this.trusted = init.trusted;
    this.log = init.log;
    this.render = init.render;
    this.tables.set('*', new RouteTable('*'));
  }

  /** Register a VirtualHost under its http_host name; returns its (new) route table. */
  addHost(vhost: string, httpHost: string): RouteTable {
    const name = httpHost.toLowerCase();
    const owner = this.names.get(name);
    if (owner !== undefined && owner !== vhost) {
      this.log.warn({ host: vhost, http_host: name, owner }, 'http_host already names another VirtualHost; keeping the first');
    } else {
      this.names.set(name, vhost);
    }
    const table = new RouteTable(vhost);
    this.tables.set(vhost, table);
    return table;
  }

  removeHost(vhost: string): void {
    this.tables.delete(vhost);
    for (const [name, owner] of this.names) if (owner === vhost) this.names.delete(name);
  }

  /**
   * The VirtualHost a Host header routes to: by http_host name, else http_default_host
   * (an http_host name or a VirtualHost), else undefined.
   */
  resolveHost(hostHeader: string | undefined): string | undefined {
    const name = hostFromHeader(hostHeader);
    const found = name === undefined ? undefined : this.names.get(name);
    if (found !== undefined) return found;
    const fallback = this.options.http_default_host?.toLowerCase();
    if (fallback === undefined) return undefined;
    return this.names.get(fallback) ?? (this.tables.has(fallback) && fallback !== '*' ? fallback : undefined);
  }

  /** Serve HTTPS with these certificates, picked by SNI as `sni` says. */
  useCertificates(certificates: Certificates, sni: SniOptions): void {
    this.#tls = { certificates, sni };
  }

  /** The TLS context for an SNI server name (default: the default host's, or the first host's). */
  contextFor(servername: string | undefined): SecureContext | undefined {
    return this.#tls?.certificates.forServername(servername, this.#tls.sni)?.context;
  }

  /** The default certificate's PEM pair (Node's HTTPS server takes its default as cert/key). */
  defaultPem(): { cert: Buffer; key: Buffer } | undefined {
    const found = this.#tls?.certificates.forServername(undefined, this.#tls.sni);
    return found === undefined ? undefined : { cert: found.cert, key: found.key };
  }
}
