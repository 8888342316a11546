/**
 * @module certificates
 * Each VirtualHost's certificate and key (the core `certificate`/`key` options, paths relative
 * to the config file's folder), read and checked once, on first use, and shared by every
 * service that terminates TLS (c2s STARTTLS and direct TLS, HTTPS, the `check` command): the
 * PEM contents, a TLS context, the parsed certificate and the names it covers, lookup by host
 * and by SNI server name, and channel-binding data for SCRAM-*-PLUS (RFC 9266 tls-exporter,
 * RFC 5929 tls-server-end-point).
 */
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { Config } from './config.js';
import { ServerError, describeValue } from './errors.js';
import type { ChannelBindingType } from './transport.js';

/** A VirtualHost's certificate and key, loaded and checked. */
export interface HostCertificate {
  /** The VirtualHost whose `certificate`/`key` options these are. */
  readonly host: string;
  /** The files, as absolute paths. */
  readonly certificateFile: string;
  readonly keyFile: string;
  /** The PEM contents as read (the certificate file may carry the chain after the certificate). */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** A context for handshakes (TLS 1.2 or later), for `SNICallback` and STARTTLS. */
  readonly context: SecureContext;
  /** The server's own certificate (the first in the file), parsed. */
  readonly x509: X509Certificate;
  /** Its DER encoding. */
  readonly der: Buffer;
  /** The DNS names it covers, lower-cased: its subjectAltName dNSName entries, else its CN. */
  readonly names: readonly string[];
  /** Its RFC 5929 tls-server-end-point channel-binding data; undefined for a signature algorithm RFC 5929 does not cover. */
  readonly endPoint: Buffer | undefined;
}

/** How `find` and `forServername` match a name (the defaults are c2s's rules). */
export interface SniOptions {
  /**
   * Other names of VirtualHosts, looked up before the VirtualHost names themselves
   * (the http module passes its `http_host` names): name (lower case) -> VirtualHost.
   */
  readonly aliases?: ReadonlyMap<string, string>;
  /** Whether a name that is no VirtualHost gets its parent domain's certificate (conference.example.org -> example.org). Default true. */
  readonly parentDomains?: boolean;
  /** The VirtualHost (or alias) whose certificate clients without a known server name get; default: the first host that has one. */
  readonly fallback?: string;
}

/** What modules see of the certificates (`server.certificates`). */
export interface Certificates {
  /**
   * The VirtualHosts that have a certificate and key, in config order (every host's files are
   * read on the first call: call it at load so a broken file stops the start).
   * @throws XS_ERR_CERTIFICATE for the first host whose certificate or key cannot be used
   */
  hosts(): readonly string[];
  /**
   * The certificate of a VirtualHost (its own, no parent's); undefined when it has neither
   * `certificate` nor `key`, or is not a VirtualHost.
   * @throws XS_ERR_CERTIFICATE when its certificate or key cannot be used
   */
  get(host: string): HostCertificate | undefined;
  /** The certificate for a server name: an alias's, the VirtualHost's, else its parent domain's. Never throws (an unusable host has none). */
  find(name: string | undefined, options?: SniOptions): HostCertificate | undefined;
  /** For an SNI callback: `find(name)`, else the default certificate (clients without SNI or with an unknown name). Never throws. */
  forServername(name: string | undefined, options?: SniOptions): HostCertificate | undefined;
}

/** A certificate and key pair as loaded from its files (shared by the hosts that name the same files). */
type Material = Omit<HostCertificate, 'host'>;
/** Why a pair cannot be used: the file at fault and the reason. */
type Failure = { readonly failed: true; readonly file: string; readonly reason: string; readonly cause?: unknown };

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
};

/** A host name as the lookups compare it: lower case, without a trailing dot. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function readPem(file: string): Buffer | Failure {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === undefined ? (err as Error).message : `${code}: ${READ_ERRORS[code] ?? (err as Error).message}`;
    return { failed: true, file, reason: `the file cannot be read (${why})`, cause: err };
  }
}

function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && (value as Failure).failed === true;
}

/** The DNS names a certificate covers: subjectAltName dNSName entries, else the subject CN (RFC 6125 §6.4.4). */
function coveredNames(x509: X509Certificate): string[] {
  const san = (x509.subjectAltName ?? '').split(/,\s*/).filter((e) => e.startsWith('DNS:')).map((e) => normalise(e.slice(4).replace(/^"|"$/g, '')));
  if (san.length > 0) return san;
  const cn = /^CN=(.+)$/m.exec(x509.subject)?.[1];
  return cn === undefined ? [] : [normalise(cn)];
}

/** Read and check one certificate/key pair: both readable PEM, the key the certificate's, a usable context. */
function loadPair(certificateFile: string, keyFile: string): Material | Failure {
  const cert = readPem(certificateFile);
  if (isFailure(cert)) return cert;
  const key = readPem(keyFile);
  if (isFailure(key)) return key;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    return { failed: true, file: certificateFile, reason: `it is not a PEM certificate (${(err as Error).message})`, cause: err };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    return { failed: true, file: keyFile, reason: `it is not an unencrypted PEM private key (${(err as Error).message})`, cause: err };
  }
  if (!x509.checkPrivateKey(privateKey)) {
    return { failed: true, file: certificateFile, reason: `the key '${keyFile}' does not match the certificate` };
  }
  let context: SecureContext;
  try {
    context = createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (err) {
    return { failed: true, file: certificateFile, reason: (err as Error).message, cause: err };
  }
  const der = x509.raw;
  return Object.freeze({ certificateFile, keyFile, cert, key, context, x509, der, names: Object.freeze(coveredNames(x509)), endPoint: tlsServerEndPoint(der) });
}

/**
 * Every VirtualHost's certificate, read on first use and kept: the ServerApi's `certificates`.
 * A global `certificate`/`key` pair that several hosts inherit is read once.
 */
export class CertificateStore implements Certificates {
  readonly #config: Config;
  readonly #base: string;
  /** VirtualHost or component -> its certificate, its error, or undefined (none configured). */
  readonly #hosts = new Map<string, HostCertificate | ServerError<'XS_ERR_CERTIFICATE'> | undefined>();
  /** "certificate\0key" (absolute paths) -> what loading that pair gave. */
  readonly #pairs = new Map<string, Material | Failure>();

  constructor(config: Config) {
    this.#config = config;
    this.#base = config.file ? dirname(resolve(config.file)) : process.cwd();
  }

  hosts(): readonly string[] {
    return this.#config.hostNames().filter((host) => this.get(host) !== undefined);
  }

  get(host: string): HostCertificate | undefined {
    const entry = this.#entry(normalise(host));
    if (entry instanceof ServerError) throw entry;
    return entry;
  }

  find(name: string | undefined, options: SniOptions = {}): HostCertificate | undefined {
    if (name === undefined) return undefined;
    const n = normalise(name);
    const alias = options.aliases?.get(n);
    const found = (alias === undefined ? undefined : this.#usable(alias)) ?? this.#usable(n);
    if (found !== undefined || options.parentDomains === false) return found;
    const dot = n.indexOf('.');
    return dot === -1 ? undefined : this.#usable(n.slice(dot + 1));
  }

  forServername(name: string | undefined, options: SniOptions = {}): HostCertificate | undefined {
    const found = this.find(name, options);
    if (found !== undefined) return found;
    if (options.fallback !== undefined) {
      const fallback = this.find(options.fallback, { aliases: options.aliases, parentDomains: false });
      if (fallback !== undefined) return fallback;
    }
    for (const host of this.#config.hostNames()) {
      const first = this.#usable(host);
      if (first !== undefined) return first;
    }
    return undefined;
  }

  /** A host's certificate without throwing (undefined for an unusable one). */
  #usable(host: string): HostCertificate | undefined {
    const entry = this.#entry(host);
    return entry instanceof ServerError ? undefined : entry;
  }

  #entry(host: string): HostCertificate | ServerError<'XS_ERR_CERTIFICATE'> | undefined {
    if (this.#config.section(host) === undefined) return undefined; // a VirtualHost or a component
    if (!this.#hosts.has(host)) this.#hosts.set(host, this.#load(host));
    return this.#hosts.get(host);
  }

  #load(host: string): HostCertificate | ServerError<'XS_ERR_CERTIFICATE'> | undefined {
    const cert = this.#config.raw(host, 'certificate');
    const key = this.#config.raw(host, 'key');
    if (cert === undefined && key === undefined) return undefined;
    const fail = (file: string, reason: string, cause?: unknown): ServerError<'XS_ERR_CERTIFICATE'> =>
      new ServerError('XS_ERR_CERTIFICATE', { host, file, reason }, cause === undefined ? undefined : { cause });
    for (const [name, value, other] of [['certificate', cert, key], ['key', key, cert]] as const) {
      if (value === undefined) {
        const file = typeof other === 'string' ? resolve(this.#base, other) : describeValue(other);
        return fail(file, `'${name}' is not set: 'certificate' and 'key' must both be set to PEM file paths`);
      }
      if (typeof value !== 'string' || value === '') {
        return fail(describeValue(value), `'${name}' must be a PEM file path (a string): 'certificate' and 'key' must both be set to PEM file paths`);
      }
    }
    const certificateFile = resolve(this.#base, cert as string);
    const keyFile = resolve(this.#base, key as string);
    const id = `${certificateFile}\0${keyFile}`;
    let pair = this.#pairs.get(id);
    if (pair === undefined) {
      pair = loadPair(certificateFile, keyFile);
      this.#pairs.set(id, pair);
    }
    if (isFailure(pair)) return fail(pair.file, pair.reason, pair.cause);
    return Object.freeze({ host, ...pair });
  }
}

// ---- channel binding --------------------------------------------------------------------------

/** tls-server-end-point data per socket (its certificate never changes). */
const endPoints = new WeakMap<TLSSocket, Buffer | null>();

/**
 * Channel-binding data of a server-side TLS socket (STARTTLS, direct TLS, wss://), or
 * undefined when the type is not available: tls-exporter needs TLS 1.3 (RFC 9266 §3);
 * tls-unique is not offered (RFC 9266 §1: not defined for TLS 1.3).
 */
export function channelBindingData(socket: TLSSocket, type: ChannelBindingType): Buffer | undefined {
  if (typeof socket.getProtocol !== 'function' || !socket.encrypted) return undefined;
  if (type === 'tls-exporter') {
    if (socket.getProtocol() !== 'TLSv1.3') return undefined;
    // RFC 9266 §2: label "EXPORTER-Channel-Binding", no context, 32 bytes.
    return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  }
  if (type === 'tls-server-end-point') {
    let data = endPoints.get(socket);
    if (data === undefined) {
      const raw = (socket.getCertificate() as { raw?: Buffer } | null)?.raw;
      data = (raw ? tlsServerEndPoint(raw) : undefined) ?? null;
      endPoints.set(socket, data);
    }
    return data ?? undefined;
  }
  return undefined;
}

/** RFC 5929 §4.1: the hash of the server's DER certificate with its signature's hash function; undefined when that is not known. */
export function tlsServerEndPoint(der: Buffer): Buffer | undefined {
  const hash = endPointHash(der);
  return hash === undefined ? undefined : createHash(hash).update(der).digest();
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
    // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
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

/** One DER tag-length-value (X.690 §8.1): the tag, and where its content starts and ends. */
function tlv(buf: Buffer, offset: number): { tag: number; start: number; end: number } {
  if (offset + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

/** An OBJECT IDENTIFIER's content as dotted text (X.690 §8.19). */
function decodeOid(bytes: Buffer): string {
  if (bytes.length === 0) throw new Error('empty OID');
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
