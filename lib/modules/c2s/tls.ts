/**
 * @module c2s/tls
 * TLS for client connections: the c2s view of the core's certificates (`server.certificates`,
 * the per-host `certificate`/`key` options), chosen by SNI or by the stream's `to`, and the
 * channel-binding data for SCRAM-*-PLUS (the core's, RFC 9266 tls-exporter and RFC 5929
 * tls-server-end-point).
 */
import type { SecureContext } from 'node:tls';
import type { Certificates, HostCertificate } from '../../core/api.js';

/** The TLS contexts of the hosts that have a certificate, as c2s looks them up. */
export class TlsContexts {
  readonly #certificates: Certificates;
  readonly #size: number;

  /**
   * Read every host's certificate now, so that a broken one stops the start.
   * @throws XS_ERR_CERTIFICATE for the first host whose certificate or key cannot be used
   */
  constructor(certificates: Certificates) {
    this.#certificates = certificates;
    this.#size = certificates.hosts().length;
  }

  /** The context for a host (its own, then its parent domain's); undefined without one. */
  get(host: string | undefined): SecureContext | undefined {
    return this.#certificates.find(host)?.context;
  }

  /** For SNI: the named host's context, else the first configured one. */
  forServername(servername: string | undefined): SecureContext | undefined {
    return this.#certificates.forServername(servername)?.context;
  }

  /** How many hosts have a certificate. */
  get size(): number {
    return this.#size;
  }

  /** The first host's certificate (a TLS listener's certificate for clients without SNI). */
  get default(): HostCertificate | undefined {
    return this.#certificates.forServername(undefined);
  }
}
