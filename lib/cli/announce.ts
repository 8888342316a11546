/**
 * @module announce
 * What `xmpp-server start` prints once running: every listening socket (the `listeners`
 * event), every endpoint modules provide as items of kind 'endpoint' (on '*' or a host), the
 * static files / chat page of http_files, and a warning for each insecure or surprising setting.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { Server } from '../core/server.js';
import type { ListenerInfo } from '../core/server-api.js';
import { CHAT_PAGE_DIR } from './default-config.js';

/** An endpoint a module serves, provided with `module.provides('endpoint', ...)`. */
export interface Endpoint {
  /** What it is: "c2s (TCP)", "WebSocket", "Chat page". */
  readonly label: string;
  /** Where: "xmpp://127.0.0.1:5222", "ws://localhost:5280/xmpp-websocket". */
  readonly url: string;
  /** Set when the setting is insecure or surprising; printed as a warning. */
  readonly warning?: string;
}

declare module '../core/api.js' {
  interface Items {
    endpoint: Endpoint;
  }
}

const SCHEMES: Record<string, string> = { c2s: 'xmpp', c2s_direct_tls: 'xmpps', http: 'http', https: 'https' };

/** Whether a listening address only accepts connections from this machine. */
export function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (a === 'localhost' || a === '::1') return true;
  if (isIP(a) === 4) return a.startsWith('127.');
  return /^::ffff:127\./.test(a);
}

function hostPart(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** Options of a loaded module on a host ('*' = a global module's own instance), validated and with defaults. */
function optionsOf(server: Server, host: string, module: string): Record<string, unknown> | undefined {
  return server.modules.get(host, module)?.options as Record<string, unknown> | undefined;
}

/** The http_files line of a host: "Chat page" when it serves examples/web, else "Static files". */
function filesEndpoint(server: Server, host: string): { label: string; url: string } | undefined {
  const dir = optionsOf(server, host, 'http_files')?.http_files_dir;
  if (typeof dir !== 'string') return undefined;
  const url = server.events.fire('http-url', { host, name: 'files', defaultPath: '/files' });
  if (typeof url !== 'string') return undefined;
  const base = server.config.file ? resolve(server.config.file, '..') : process.cwd();
  return { label: resolve(base, dir) === resolve(CHAT_PAGE_DIR) ? 'Chat page' : 'Static files', url };
}

/**
 * Warnings about insecure or surprising settings of a started server, one sentence each,
 * saying what it means and what to change.
 */
export function settingWarnings(server: Server, listeners: readonly ListenerInfo[]): string[] {
  const warnings: string[] = [];
  const openHttp = listeners.filter((l) => l.service === 'http' && !isLoopback(l.address));
  const c2s = listeners.filter((l) => l.service === 'c2s');
  const https = listeners.some((l) => l.service === 'https');
  for (const l of openHttp) {
    warnings.push(`plain HTTP listens on ${hostPart(l.address)}:${l.port}, which is not loopback: pages and WebSockets there are unencrypted. `
      + 'Keep http_interfaces on loopback behind a TLS proxy, or serve https_ports with a certificate.');
  }
  const http = optionsOf(server, '*', 'http');
  const proxies = Array.isArray(http?.trusted_proxies) ? (http.trusted_proxies as string[]) : [];
  const everyone = proxies.filter((p) => /\/0$/.test(p.trim()));
  if (everyone.length > 0) {
    warnings.push(`trusted_proxies contains ${everyone.join(', ')}, which trusts every address: any client can claim another IP and https. List only your proxies.`);
  }
  if (server.core.storage === 'memory') {
    warnings.push('storage is "memory": accounts, rosters and offline messages are lost when the server stops.');
  }
  for (const host of server.hostNames) {
    const settings = server.sessions.settings(host);
    const ws = optionsOf(server, host, 'websocket');
    if (ws?.consider_websocket_secure === true && openHttp.length > 0) {
      warnings.push(`consider_websocket_secure is on for ${host} while plain HTTP is reachable from the network: clients there sign in without encryption. `
        + 'Behind a TLS proxy, prefer trusted_proxies with X-Forwarded-Proto: https.');
    }
    if (!settings.c2s_require_encryption) {
      warnings.push(`c2s_require_encryption is off for ${host}: clients may sign in and chat over unencrypted connections.`);
      if (settings.allow_unencrypted_plain_auth) warnings.push(`allow_unencrypted_plain_auth is on for ${host}: passwords may cross the network in clear text.`);
    }
    if (optionsOf(server, host, 'register')?.allow_registration === true) {
      warnings.push(`allow_registration is on for ${host}: anyone who can reach the server can create accounts.`);
    }
    const hasCertificate = typeof server.config.raw(host, 'certificate') === 'string' && typeof server.config.raw(host, 'key') === 'string';
    if (!hasCertificate && c2s.length > 0 && settings.c2s_require_encryption) {
      warnings.push(`${host} has no certificate and key: TCP clients on port ${c2s[0]!.port} cannot sign in (encryption is required and STARTTLS is unavailable)`
        + `${https ? '' : ' and HTTPS is off'}. Set certificate and key for it, or use the WebSocket behind a TLS proxy.`);
    }
  }
  return warnings;
}

/** Print the listening sockets, endpoints and warnings of a started server. */
export function announce(server: Server, out: NodeJS.WritableStream): void {
  const components = server.componentNames.map((c) => `${c} (${String(server.config.components.get(c)?.module)})`);
  const lines: string[] = [`xmpp-server running for ${server.hostNames.join(', ')}${components.length ? `; components ${components.join(', ')}` : ''}`];
  const warnings: string[] = [];
  const list: ListenerInfo[] = [];
  server.events.fire('listeners', { list });
  for (const l of list) {
    lines.push(`  ${l.service.padEnd(22)} ${SCHEMES[l.service] ?? 'tcp'}://${hostPart(l.address)}:${l.port}`);
  }
  for (const host of ['*', ...server.hostNames, ...server.componentNames]) {
    const items = host === '*' ? server.globalItems('endpoint') : server.host(host).items.get('endpoint');
    const where = host === '*' ? '' : `  (${host})`;
    for (const { item } of items) {
      const e = item as Endpoint;
      lines.push(`  ${e.label.padEnd(22)} ${e.url}${where}`);
      if (e.warning) warnings.push(e.warning);
    }
    const files = host === '*' ? undefined : filesEndpoint(server, host);
    if (files) lines.push(`  ${files.label.padEnd(22)} ${files.url}${where}`);
  }
  warnings.push(...settingWarnings(server, list));
  out.write(`${[...lines, ...warnings.map((w) => `  warning: ${w}`)].join('\n')}\n`);
}
