/**
 * @module c2s/tls
 * TLS for client connections: each host's certificate (the core `certificate`/`key`
 * options), chosen by SNI or by the stream's `to`, and channel-binding data for SCRAM-*-PLUS
 * (RFC 9266 tls-exporter, RFC 5929 tls-server-end-point).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { ServerError, type ServerApi } from '../../core/api.js';
import type { ChannelBindingType } from '../../core/transport-api.js';

/** A host's certificate: the context for handshakes, and the PEM files' contents. */
export interface HostCertificate {
  readonly context: SecureContext;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** The TLS contexts of the hosts that have a certificate. */
export class TlsContexts {
  readonly #byHost = new Map<string, HostCertificate>();
  #default: HostCertificate | undefined;

  /** The context for a host (exact name, then its parent domain's); undefined without one. */
  get(host: string | undefined): SecureContext | undefined {
    if (host === undefined) return undefined;
    const name = host.toLowerCase();
    const exact = this.#byHost.get(name);
    if (exact) return exact.context;
    const dot = name.indexOf('.');
    return dot === -1 ? undefined : this.#byHost.get(name.slice(dot + 1))?.context;
  }

  /** For SNI: the named host's context, else the first configured one. */
  forServername(servername: string | undefined): SecureContext | undefined {
    return this.get(servername) ?? this.#default?.context;
  }

  get size(): number {
    return this.#byHost.size;
  }

  /** The first host's certificate (a TLS listener's certificate for clients without SNI). */
  get default(): HostCertificate | undefined {
    return this.#default;
  }

  set(host: string, certificate: HostCertificate): void {
    this.#byHost.set(host, certificate);
    this.#default ??= certificate;
  }
}

/**
 * Load the certificate and key of `host` (paths relative to the config file's folder).
 * @returns undefined when the host has neither
 * @throws XS_ERR_CERTIFICATE when only one is set, a file cannot be read, or the pair is unusable
 */
export async function loadHostCertificate(server: ServerApi, host: string): Promise<HostCertificate | undefined> {
  const cert = server.config.raw(host, 'certificate');
  const key = server.config.raw(host, 'key');
  if (cert === undefined && key === undefined) return undefined;
  if (typeof cert !== 'string' || typeof key !== 'string') {
    throw new ServerError('XS_ERR_CERTIFICATE', { host, file: String(cert ?? key), reason: "'certificate' and 'key' must both be set to PEM file paths" });
  }
  const base = server.config.file ? dirname(resolve(server.config.file)) : process.cwd();
  const certPath = resolve(base, cert);
  try {
    const [c, k] = await Promise.all([readFile(certPath), readFile(resolve(base, key))]);
    return { context: createSecureContext({ cert: c, key: k, minVersion: 'TLSv1.2' }), cert: c, key: k };
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ServerError('XS_ERR_CERTIFICATE', { host, file: certPath, reason }, { cause: err });
  }
}

/**
 * Channel-binding data of a server-side TLS socket, or undefined when the type is not
 * available: tls-exporter needs TLS 1.3 (RFC 9266 §3); tls-unique is not offered.
 */
export function channelBindingData(socket: TLSSocket, type: ChannelBindingType): Buffer | undefined {
  if (type === 'tls-exporter') {
    if (socket.getProtocol() !== 'TLSv1.3') return undefined;
    // RFC 9266 §2: label "EXPORTER-Channel-Binding", no context, 32 bytes.
    return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  }
  if (type === 'tls-server-end-point') {
    const raw = (socket.getCertificate() as { raw?: Buffer } | null)?.raw;
    if (!raw) return undefined;
    const hash = endPointHash(raw);
    return hash === undefined ? undefined : createHash(hash).update(raw).digest();
  }
  return undefined;
}

// Signature algorithm OIDs -> their hash (RFC 5929 §4.1: MD5 and SHA-1 are replaced by SHA-256).
const SIGNATURE_HASH: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.10': 'sha256', // RSASSA-PSS (hash in the parameters; SHA-256 is the common one)
};

/** The tls-server-end-point hash for a DER certificate; undefined for algorithms RFC 5929 does not cover. */
export function endPointHash(der: Buffer): string | undefined {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    const alg = tlv(der, tbs.end);
    const oid = tlv(der, alg.start);
    if (oid.tag !== 0x06) return undefined;
    return SIGNATURE_HASH[decodeOid(der.subarray(oid.start, oid.end))];
  } catch {
    return undefined;
  }
}

/** One DER tag-length-value: the tag, and where its content starts and ends. */
function tlv(buf: Buffer, offset: number): { tag: number; start: number; end: number } {
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

function decodeOid(bytes: Buffer): string {
  const parts: number[] = [];
  const first = bytes[0]!;
  parts.push(Math.floor(first / 40), first % 40);
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    value = value * 128 + (bytes[i]! & 0x7f);
    if (!(bytes[i]! & 0x80)) { parts.push(value); value = 0; }
  }
  return parts.join('.');
}
