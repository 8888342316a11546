/**
 * @module session-events
 * Payload types of the events sessions and the router fire (Prosody's names), merged into
 * `Events` so `module.hook('resource-bind', (e) => e.session.jid)` is typed.
 */
import type { Element } from './xml.js';
import type { Session } from './session-view.js';

/** Why a session closed: a stream error condition (RFC 6120 §4.9.3) and/or a text. */
export interface CloseReason {
  /** The stream error sent to the peer; absent for a clean close. */
  readonly condition?: string;
  /** Human-readable text (sent in `<text>` with a condition; logged otherwise). */
  readonly text?: string;
  /** A WebSocket close code overriding the table's (e.g. 1009 for an oversized message). */
  readonly code?: number;
  /** The connection was gone before the stream closed (no `<close/>`: a network cut, a dead peer). */
  readonly dropped?: boolean;
  /**
   * The session lives on elsewhere (stream management kept it for a resumption after a
   * restart): modules keep what they would undo for a departed resource, such as its presence.
   */
  readonly resumable?: boolean;
}

/** `stream-features`: append children to `features` (mechanisms, bind, ...). */
export interface StreamFeaturesEvent {
  readonly session: Session;
  readonly features: Element;
}

/** Events about one session (resource-bind, c2s-read-timeout, ...). */
export interface SessionEvent {
  readonly session: Session;
}

/** `pre-session-close`, `c2s-closed`, and `pre-resource-unbind` / `resource-unbind` (the reason the session ends, when it ends). */
export interface SessionCloseEvent {
  readonly session: Session;
  readonly reason: CloseReason | undefined;
}

/** `authentication-success`. */
export interface AuthSuccessEvent {
  readonly session: Session;
  readonly mechanism: string;
}

/** `authentication-failure`: `condition` is the SASL failure condition (RFC 6120 §6.5). */
export interface AuthFailureEvent {
  readonly session: Session;
  readonly mechanism: string | undefined;
  readonly condition: string;
}

/**
 * Stanza events: `pre-message/bare`, `message/full`, `iq-get/host/urn:xmpp:ping:ping`, ...
 * `origin` is the local session that sent it (undefined for server-generated stanzas).
 */
export interface StanzaEvent {
  readonly origin: Session | undefined;
  readonly stanza: Element;
}

/**
 * Elements a session hands to modules outside routing (Prosody's `stanza/...` events):
 * nonzas as `stanza/<ns>:<name>` (SASL, STARTTLS, ...), and iq requests before authentication
 * as `stanza/iq/<ns>:<name>` (in-band registration). Unhandled ones close the stream.
 * `origin` and `session` are the same session.
 */
export interface NonzaEvent {
  readonly session: Session;
  readonly origin: Session;
  readonly stanza: Element;
}

declare module './api.js' {
  interface Events {
    /** Global bus: a transport connected and its session exists (nothing is negotiated yet). */
    'session-created': SessionEvent;
    'stream-features': StreamFeaturesEvent;
    'authentication-success': AuthSuccessEvent;
    'authentication-failure': AuthFailureEvent;
    'resource-bind': SessionEvent;
    /** The resource is about to go (`reason`: why its session ends, when it does). */
    'pre-resource-unbind': SessionCloseEvent;
    'resource-unbind': SessionCloseEvent;
    'pre-session-close': SessionCloseEvent;
    'c2s-closed': SessionCloseEvent;
    'c2s-read-timeout': SessionEvent;
    'message/host': StanzaEvent; 'message/bare': StanzaEvent; 'message/full': StanzaEvent; 'message/self': StanzaEvent;
    'presence/host': StanzaEvent; 'presence/bare': StanzaEvent; 'presence/full': StanzaEvent; 'presence/self': StanzaEvent;
    'iq/host': StanzaEvent; 'iq/bare': StanzaEvent; 'iq/full': StanzaEvent; 'iq/self': StanzaEvent;
    /** Every iq get/set to the destination, before `iq-<type>/<kind>/<ns>:<child>` (a result stops it). */
    'iq-request/host': StanzaEvent; 'iq-request/bare': StanzaEvent; 'iq-request/full': StanzaEvent; 'iq-request/self': StanzaEvent;
    'pre-message/host': StanzaEvent; 'pre-message/bare': StanzaEvent; 'pre-message/full': StanzaEvent; 'pre-message/self': StanzaEvent;
    'pre-presence/host': StanzaEvent; 'pre-presence/bare': StanzaEvent; 'pre-presence/full': StanzaEvent; 'pre-presence/self': StanzaEvent;
    'pre-iq/host': StanzaEvent; 'pre-iq/bare': StanzaEvent; 'pre-iq/full': StanzaEvent; 'pre-iq/self': StanzaEvent;
    [stanza: `iq-get/${string}`]: StanzaEvent;
    [stanza: `iq-set/${string}`]: StanzaEvent;
    [stanza: `iq-result/${string}`]: StanzaEvent;
    [stanza: `iq-error/${string}`]: StanzaEvent;
    [nonza: `stanza/${string}`]: NonzaEvent;
  }
}
