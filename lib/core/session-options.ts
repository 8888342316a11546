/**
 * @module session-options
 * The options every client session reads, whatever its transport: timeouts, stanza size
 * limits and the encryption policy. The c2s module declares them (so they are validated and
 * documented); the session registry resolves them per host.
 */
import { option, type OptionSpecs, type OptionValues } from './options.js';

/** Option specs read by Session (declared by the c2s module, Prosody's names). */
export const SESSION_OPTIONS = {
  c2s_require_encryption: option.boolean({
    default: true,
    doc: 'Offer SASL only on confidential connections (TLS here, or a transport marked secure); otherwise clients must use STARTTLS or direct TLS first.',
  }),
  allow_unencrypted_plain_auth: option.boolean({
    default: false,
    doc: 'Allow SASL PLAIN on connections that are not confidential (only matters when c2s_require_encryption is false).',
  }),
  c2s_timeout: option.number({
    default: 300, min: 0,
    doc: 'Seconds a client connection may stay unauthenticated before it is closed with connection-timeout (0 = never).',
  }),
  c2s_close_timeout: option.number({
    default: 5, min: 0,
    doc: "Seconds to wait for the client's stream close after the server closed the stream, before dropping the connection.",
  }),
  c2s_stanza_size_limit: option.integer({
    default: 262144, min: 10000,
    doc: 'Largest stanza in bytes an authenticated client may send; larger ones close the stream with policy-violation.',
  }),
  c2s_unauthed_stanza_size_limit: option.integer({
    default: 10000, min: 1000,
    doc: 'Largest element in bytes a client may send before authenticating; larger ones close the stream with policy-violation.',
  }),
  c2s_max_stanzas_per_turn: option.integer({
    default: 32, min: 1,
    doc: "Most elements of one connection processed per event-loop turn; the rest wait for the next turn with the connection's input paused, so one client's flood cannot starve the others.",
  }),
  c2s_max_bytes_per_turn: option.integer({
    default: 256 * 1024, min: 1024,
    doc: "About how many bytes of one connection's input are processed per event-loop turn (at least one stanza always is); the rest waits for the next turn, so large stanzas reach their recipients spread out.",
  }),
  c2s_max_buffered_bytes: option.integer({
    default: 8 * 1024 * 1024, min: 16 * 1024,
    doc: 'Most bytes of output held for a TCP client that reads slower than its stanzas arrive; beyond it, messages and requests for it are bounced to their senders with resource-constraint (the client stays connected). WebSocket: websocket_max_buffered_bytes.',
  }),
  c2s_slow_reader_grace: option.number({
    default: 10, min: 1,
    doc: 'Seconds a TCP client may stay at c2s_max_buffered_bytes without reading anything before its session ends with resource-constraint. WebSocket: websocket_slow_reader_grace.',
  }),
  c2s_max_unauthed: option.integer({
    default: 1000, min: 1, scope: 'global',
    doc: 'Most connections (TCP and WebSocket together) that have not authenticated yet; more are refused (TCP: closed with policy-violation, WebSocket: HTTP 503). Keep it well below the process file-descriptor limit.',
  }),
  c2s_max_unauthed_per_ip: option.integer({
    default: 32, min: 1, scope: 'global',
    doc: 'Most unauthenticated connections from one IP address (after trusted-proxy resolution); more are refused like c2s_max_unauthed.',
  }),
  network_settings: option.record(option.number({ default: 0, min: 0 }), {
    default: { read_timeout: 840 }, scope: 'global',
    doc: "Network timeouts in seconds; read_timeout (default 840): after that much silence the 'c2s-read-timeout' chain runs (keepalive).",
  }),
} satisfies OptionSpecs;

/** The resolved session options of one host. */
export type SessionSettings = OptionValues<typeof SESSION_OPTIONS>;

/** Default read timeout in seconds when network_settings has no read_timeout. */
export const DEFAULT_READ_TIMEOUT = 840;

/** network_settings.read_timeout in milliseconds (0 = no read timeout). */
export function readTimeoutMs(settings: SessionSettings): number {
  const seconds = settings.network_settings.read_timeout ?? DEFAULT_READ_TIMEOUT;
  return Math.round(seconds * 1000);
}
