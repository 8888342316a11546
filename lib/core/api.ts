/**
 * @module api
 * The module API: the only core file modules import. Third-party modules import the same
 * surface from 'xmpp-server-core/api'. Everything exported here is a public contract.
 */
export { defineModule, ModuleApi } from './module-api.js';
export type { ModuleDefinition, KeyValueStore, MapStore, ListStore, Timer } from './module-api.js';
export { option, INVALID, describeDefault } from './options.js';
export type { OptionSpec, OptionSpecs, OptionValues, OptionScope } from './options.js';
export { EventBus } from './events.js';
export type { Events, Handler, Wrapper, PayloadOf, EventPayload } from './events.js';
export type { Items, ItemRecord, ItemOf } from './items.js';
export { ServerError, isServerError, ERROR_CODES } from './errors.js';
export type { ErrorCode } from './errors.js';
export type { ServerApi } from './server-api.js';
export type { Logger } from './log.js';
export { parseJid, makeJid, bareJid } from './jid.js';
export type { Jid } from './jid.js';
export type { Transport, StreamAttrs, ChannelBindingType } from './transport.js';
// The http module's public contract (issue 4): apps, requests, responses, events.
export type {
  HttpApp, HttpRequest, HttpResponse, HttpHandler, HttpResult, HttpUpgradeHandler, HttpUpgradeRefusal, CorsOverride,
  HttpListenerInfo, HttpUrlQuery, HttpMessageQuery,
} from '../modules/http/types.js';
export { httpUrl } from './http-url.js';
// The websocket module's public contract (issue 5): its events and their payloads.
export type { WebSocketSessionEvent, WebSocketSessionVerdict } from '../modules/websocket/types.js';
// The modules a config without modules_enabled gets (a global module can tell whether it is enabled globally).
export { DEFAULT_MODULES } from './config.js';
// Client sessions, routing and stream errors (issue 3).
export type { Session, SessionState } from './session.js';
export type { InputLimiter } from './session-input.js';
export type { UndeliverableEvent } from './reroute.js';
export { streamErrorElement, DEFAULT_INSECURE_HINT } from './session-elements.js';
export type { SessionRegistry } from './sessions.js';
export { errorReply } from './router.js';
export type { Router, RouteKind, StanzaErrorType } from './router.js';
export type {
  CloseReason, StreamFeaturesEvent, SessionEvent, SessionCloseEvent, AuthSuccessEvent, AuthFailureEvent,
  StanzaEvent, NonzaEvent,
} from './session-events.js';
export {
  STREAM_ERRORS, STREAM_ERROR_CONDITIONS, NORMAL_CLOSE_CODE, closeCodeFor, defaultTextFor, isStreamErrorCondition,
} from './stream-errors.js';
export type { StreamErrorCondition, StreamErrorInfo } from './stream-errors.js';
export { SESSION_OPTIONS, readTimeoutMs } from './session-options.js';
export type { SessionSettings } from './session-options.js';
export type { ListenerInfo } from './server-api.js';
export {
  Element, xml, serialize, withNamespace, escapeAttr, escapeText,
  NS_CLIENT, NS_STREAMS, NS_FRAMING, NS_XMPP_STREAMS, NS_STANZAS, NS_SASL, NS_TLS, NS_BIND, NS_SESSION,
  NS_ROSTER, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_REGISTER, NS_XRD, NS_DELAY, NS_XML,
} from './xml.js';
export type { XmlNode } from './xml.js';
export { StreamParser } from './xml-parser.js';
export type { StreamParserHandler, StreamParserLimits } from './xml-parser.js';
export { parseFrame } from './xml-frame.js';
export type { FrameLimits, FrameResult } from './xml-frame.js';
// SCRAM primitives for SASL mechanisms (RFC 5802, RFC 7677) and account types.
export {
  hmac, digest, xorBuffers, saslprep, hashLength, verifyClientProof, serverSignature, SCRAM_HASHES,
} from './scram.js';
export type { ScramHash, ScramCredential } from './scram.js';
export type { Accounts } from './storage/accounts.js';
