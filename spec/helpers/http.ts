/**
 * Test helpers for the http module: a started Server with only the http modules (plus the
 * test's own), its bound ports, plain HTTP(S) requests from a chosen local address, raw
 * socket requests, and self-signed certificates made by openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Server } from '../../lib/core/server.js';
import type { RawConfig } from '../../lib/core/config.js';
import type { ModuleDefinition } from '../../lib/core/module-api.js';
import type { ListenerInfo } from '../../lib/core/api.js';
import type { HttpListenerInfo } from '../../lib/core/http-api.js';
import type { Logger } from '../../lib/core/log.js';
import http from '../../lib/modules/http/index.js';
import httpFiles from '../../lib/modules/http_files/index.js';
import { captureLog } from './log.js';

/** A started server and what tests need from it. */
export interface HttpTestServer {
  readonly server: Server;
  /** The first plain HTTP port (throws if none). */
  readonly port: number;
  readonly listeners: readonly HttpListenerInfo[];
  /** The port of the first listener of a kind. */
  portOf(kind: 'http' | 'https'): number;
  stop(): Promise<void>;
}

/**
 * Start a Server with the http and http_files modules and `modules`, on an ephemeral loopback
 * port unless the config says otherwise. Silent unless `logger` is given.
 */
export async function startHttpServer(config: RawConfig, modules: readonly ModuleDefinition[] = [], logger?: Logger): Promise<HttpTestServer> {
  const server = new Server(
    { http_ports: [0], http_interfaces: ['127.0.0.1'], https_ports: [], ...config },
    { modules: [http, httpFiles, ...modules] as ModuleDefinition[], logger: logger ?? captureLog('silent').logger },
  );
  await server.start();
  const listeners = httpListeners(server);
  const portOf = (kind: 'http' | 'https'): number => {
    const l = listeners.find((x) => x.kind === kind);
    if (!l) throw new Error(`no ${kind} listener`);
    return l.port;
  };
  return {
    server,
    listeners,
    get port() { return portOf('http'); },
    portOf,
    stop: () => server.stop(),
  };
}

/** The listeners of a running server's http module (from the core's `listeners` event). */
export function httpListeners(server: Server): HttpListenerInfo[] {
  const list: ListenerInfo[] = [];
  server.events.fire('listeners', { list });
  return list.filter((l) => l.service === 'http' || l.service === 'https').map((l) => ({ kind: l.service as 'http' | 'https', address: l.address, port: l.port }));
}

/** A test request's answer. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** For HTTPS: the subject CN of the certificate the server presented. */
  readonly certificateName?: string;
}

export interface RequestOptions {
  readonly port: number;
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
  /** Server address (default 127.0.0.1). */
  readonly address?: string;
  /** Local address to connect from (e.g. 127.0.0.2, an untrusted peer). */
  readonly localAddress?: string;
  /** HTTPS with this SNI name (certificates are not verified). */
  readonly tls?: { readonly servername?: string };
}

/** One request on a fresh connection; resolves with status, headers and body text. */
export function request(o: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const common = {
      host: o.address ?? '127.0.0.1',
      port: o.port,
      path: o.path ?? '/',
      method: o.method ?? 'GET',
      headers: o.headers,
      localAddress: o.localAddress,
      agent: false as const,
    };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      const cert = o.tls ? (res.socket as TLSSocket).getPeerCertificate?.() : undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        certificateName: typeof cert?.subject?.CN === 'string' ? cert.subject.CN : undefined,
      }));
      res.on('error', reject);
    };
    const req = o.tls
      ? httpsRequest({ ...common, servername: o.tls.servername, rejectUnauthorized: false }, onResponse)
      : httpRequest(common, onResponse);
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Send raw bytes on a new TCP connection and collect everything until the server closes it. */
export function rawRequest(port: number, text: string | Buffer, address = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port }, () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the server answered still counts as an answer.
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(err);
    });
  });
}

/** A self-signed certificate for `names` (the first is the CN), written into a temp dir. */
export interface TestCertificate {
  readonly dir: string;
  readonly certificate: string;
  readonly key: string;
  remove(): void;
}

export function selfSignedCertificate(names: readonly string[]): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'xs-cert-'));
  const certificate = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`,
    '-keyout', key, '-out', certificate,
  ], { stdio: 'ignore' });
  return { dir, certificate, key, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
