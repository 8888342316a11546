/**
 * @module stream-errors
 * The one table of stream errors (RFC 6120 §4.9.3): each condition's default `<text>`, the
 * WebSocket close code that follows it (RFC 6455 §7.4), and where this server raises it.
 * Peer-caused errors are never thrown: the session closes with a row of this table.
 */

/** One row: what the peer reads, how a WebSocket closes after it, and where we raise it. */
export interface StreamErrorInfo {
  /** Default human-readable `<text>` (RFC 6120 §4.9.2: for humans, never parsed). */
  readonly text: string;
  /** WebSocket close code sent after `<stream:error/>` + `<close/>` (RFC 7395 §3.6). */
  readonly closeCode: number;
  /** Where this server raises the condition ('never' for ones reserved to other roles). */
  readonly trigger: string;
}

/** Close code for a clean close with no stream error (RFC 6455 §7.4.1). */
export const NORMAL_CLOSE_CODE = 1000;

/*
 * Close-code policy (RFC 6455 §7.4.1 and the IANA registry): 1007 for malformed or restricted
 * XML (the payload is unacceptable), 1008 for policy and addressing refusals, 1011 for our own
 * faults and dead peers, 1001 for shutdown, 1013 for overload, 1003 for data we do not accept,
 * 1002 for a protocol version mismatch, and 1000 where the XMPP layer already explains a normal
 * outcome (conflict, reset, see-other-host).
 */
export const STREAM_ERRORS = Object.freeze({
  'bad-format': { text: 'The XML could not be processed', closeCode: 1007, trigger: 'transports: a WebSocket message that is not exactly one element (RFC 7395 §3.3.3); a stream header outside a restart' },
  'bad-namespace-prefix': { text: 'An XML namespace prefix is not declared', closeCode: 1007, trigger: 'parser: an undeclared prefix (RFC 6120 §11.2)' },
  conflict: { text: 'Replaced by a new connection for the same resource', closeCode: NORMAL_CLOSE_CODE, trigger: 'session.bindResource: a new session bound the same full JID (the new one wins)' },
  'connection-timeout': { text: 'The connection timed out', closeCode: 1011, trigger: 'session: c2s_timeout before authentication; a c2s-read-timeout nobody handled' },
  'host-gone': { text: 'This server no longer serves the requested domain', closeCode: 1008, trigger: 'never (no runtime host removal yet)' },
  'host-unknown': { text: 'This server does not serve the requested domain', closeCode: 1008, trigger: "session.streamOpened: 'to' missing or not a VirtualHost (RFC 6120 §4.9.3.6)" },
  'improper-addressing': { text: 'The stream is missing a required address', closeCode: 1008, trigger: 'never on c2s (server-to-server only)' },
  'internal-server-error': { text: 'The server hit an internal error', closeCode: 1011, trigger: 'session: a handler threw while processing the element' },
  'invalid-from': { text: 'The from address does not match the authenticated identity', closeCode: 1008, trigger: 'never on c2s: the session stamps from on every stanza' },
  'invalid-namespace': { text: 'The stream or content namespace is not supported', closeCode: 1007, trigger: 'transports: a stream header in the wrong namespace; session: a stanza outside jabber:client (RFC 6120 §4.8.3)' },
  'invalid-xml': { text: 'The XML is invalid', closeCode: 1007, trigger: 'never (no schema validation)' },
  'not-authorized': { text: 'Authenticate first', closeCode: 1008, trigger: "session: a stanza before authentication (RFC 6120 §4.3.5); a stream restart to another 'to'" },
  'not-well-formed': { text: 'The XML is not well-formed', closeCode: 1007, trigger: 'parser: malformed XML (RFC 6120 §11.3)' },
  'policy-violation': { text: 'A local policy was violated', closeCode: 1008, trigger: 'parser: a stanza over c2s_stanza_size_limit / c2s_unauthed_stanza_size_limit; session: encryption required but not possible; saslauth: sasl_max_failures' },
  'remote-connection-failed': { text: 'A remote connection failed', closeCode: 1011, trigger: 'never on c2s (connection managers only)' },
  reset: { text: 'The stream must be renegotiated', closeCode: NORMAL_CLOSE_CODE, trigger: 'modules: security-relevant changes (e.g. a password change)' },
  'resource-constraint': { text: 'The server lacks the resources to serve this stream', closeCode: 1013, trigger: 'transports: buffers over their limits' },
  'restricted-xml': { text: 'Comments, processing instructions, DTDs and entity declarations are not allowed', closeCode: 1007, trigger: 'parser: restricted XML (RFC 6120 §11.1)' },
  'see-other-host': { text: 'Connect to another host', closeCode: NORMAL_CLOSE_CODE, trigger: 'modules: redirects (WebSocket uses <close see-other-uri/>)' },
  'system-shutdown': { text: 'The server is shutting down', closeCode: 1001, trigger: 'c2s and other transports on unload (server stop)' },
  'undefined-condition': { text: 'The stream failed for a reason without a defined condition', closeCode: 1008, trigger: 'session: no stream features to offer (no saslauth or bind module)' },
  'unsupported-encoding': { text: 'Only UTF-8 is supported', closeCode: 1003, trigger: 'transports: non-UTF-8 or binary data' },
  'unsupported-feature': { text: 'A required feature is not supported', closeCode: 1008, trigger: 'never (no mandatory-to-negotiate features are requested from clients)' },
  'unsupported-stanza-type': { text: 'This top-level element is not supported here', closeCode: 1003, trigger: 'session: a top-level element no module handles' },
  'unsupported-version': { text: "Only XMPP version 1.0 is supported (send version='1.0')", closeCode: 1002, trigger: "session.streamOpened: version missing or below 1.0 (SASL needs 1.0, RFC 6120 §4.7.5)" },
} satisfies Record<string, StreamErrorInfo>);

/** A defined stream error condition (RFC 6120 §4.9.3). */
export type StreamErrorCondition = keyof typeof STREAM_ERRORS;

/** Every defined condition, in RFC order (for docs and table tests). */
export const STREAM_ERROR_CONDITIONS = Object.freeze(Object.keys(STREAM_ERRORS) as StreamErrorCondition[]);

/** Whether `condition` is a defined stream error condition. */
export function isStreamErrorCondition(condition: string): condition is StreamErrorCondition {
  return Object.hasOwn(STREAM_ERRORS, condition);
}

/**
 * The WebSocket close code that follows a stream error with `condition`; 1000 for a clean close.
 * An unknown condition is treated as undefined-condition (RFC 6120 §4.9.2).
 */
export function closeCodeFor(condition?: string): number {
  if (condition === undefined) return NORMAL_CLOSE_CODE;
  return isStreamErrorCondition(condition) ? STREAM_ERRORS[condition].closeCode : STREAM_ERRORS['undefined-condition'].closeCode;
}

/** The default `<text>` for `condition` (undefined-condition's for an unknown one). */
export function defaultTextFor(condition: string): string {
  return isStreamErrorCondition(condition) ? STREAM_ERRORS[condition].text : STREAM_ERRORS['undefined-condition'].text;
}
