/**
 * @module api
 * `xmpp-server-core/api`: the module author's API. A module (built in or third-party) imports
 * core only through this file and its siblings, each for one audience:
 * - `xmpp-server-core/api` (this file): defineModule, options, events, items and services,
 *   sessions as modules see them, routing, storage, JIDs, XML, errors;
 * - `xmpp-server-core/transport` (transport-api.ts): for modules that carry streams;
 * - `xmpp-server-core/sasl` (sasl-api.ts): SASL mechanisms and SCRAM primitives;
 * - `xmpp-server-core/http`, `xmpp-server-core/websocket`: those modules' public contracts;
 * - `xmpp-server-core/pubsub` (pubsub-api.ts): publish-subscribe and the `pep` service;
 * - `xmpp-server-core/invites` (invites-api.ts): invitations and the `invites` service;
 * - `xmpp-server-core/muc` (muc-api.ts): multi-user chat rooms and the `muc` service.
 *
 * `Events` and `Items` are declared here and only here, so one way of adding typed ones works
 * from inside the package and from outside it alike:
 * @example
 * declare module 'xmpp-server-core/api' {
 *   interface Events { 'greeting/sent': { readonly to: string } }
 *   interface Items { greeter: { greet(to: string): void } }
 * }
 * // then: module.hook('greeting/sent', (e) => e.to), module.provides('greeter', impl),
 * // module.service('greeter'), and defineModule({ events: ['greeting/*'], ... })
 */

/**
 * Event names to payload types, extended by declaration merging (see the example above).
 * Template keys (`iq-get/${string}`) type whole families of names.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Events {}

/**
 * Item kinds to item types, extended by declaration merging: what modules provide to each
 * other (`module.provides(kind, item)`), including services (`module.service(kind)`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Items {}

export { defineModule } from './module-api.js';
export type { ModuleApi, ModuleDefinition, KeyValueStore, MapStore, ListStore, Timer } from './module-api.js';
export type { Archive, ArchiveItem, ArchiveRecord } from './archives.js';
export type { ArchiveQuery } from './storage/archive.js';
export { option, INVALID, describeDefault } from './options.js';
export type { OptionSpec, OptionSpecs, OptionValues, OptionScope } from './options.js';
export type { EventName, Handler, PayloadOf, EventPayload } from './events.js';
export type { ItemRecord, ItemOf, ItemEvent } from './items.js';
export { ServerError, isServerError, ERROR_CODES } from './errors.js';
export type { ErrorCode } from './errors.js';
export type { ServerApi, ListenerInfo, ServerLifecycleEvent, UserDeletedEvent, UserRegisteringEvent, RegistrationPermittedQuery } from './server-api.js';
export type { ServerControl, ConfigReloadReport, SessionInfoEvent, ConfigReloadedEvent } from './admin-api.js';
export type { Certificates, HostCertificate, SniOptions } from './certificates.js';
export type { Logger } from './log.js';
export { parseJid, makeJid, bareJid } from './jid.js';
export type { Jid } from './jid.js';
export type { Session, SessionState, SendFilter, ReceiveObserver } from './session-view.js';
export type { SessionRegistry } from './sessions.js';
export type { RemoteDirectory, SessionLostEvent, StoredDataChangedEvent, AddressOwnedEvent } from './remote-sessions.js';
export { ServerStats, LatencyHistogram, LATENCY_BUCKETS, countStanza } from './stats.js';
export type { StanzaCounts, BackPressureEvent, BackPressureCounts } from './stats.js';
export type { SessionSettings } from './session-options.js';
export type { InputLimiter } from './session-input.js';
export type { UndeliverableEvent } from './reroute.js';
export { errorReply } from './router.js';
export { iqResult, replyTo, answerIq } from './iq-reply.js';
export type { ReplyRoute } from './iq-reply.js';
export type { Router, RouteGate, RouteKind, StanzaErrorType } from './router.js';
export type {
  CloseReason, StreamFeaturesEvent, SessionEvent, SessionCloseEvent, AuthSuccessEvent, AuthFailureEvent,
  StanzaEvent, NonzaEvent,
} from './session-events.js';
export type { RosterService, RosterRemoval } from './rosters.js';
export type { Accounts } from './storage/accounts.js';
export { normalizeUsername } from './storage/accounts.js';
export { normalizeIp, parseAddressRange, AddressList } from './ip.js';
export type { AddressRange } from './ip.js';
export {
  Element, xml, serialize, serializeWithAttr, withNamespace, withAttrs, withDelay, cloneElement, escapeAttr, escapeText, elementToJson, elementFromJson,
  NS_CLIENT, NS_STREAMS, NS_FRAMING, NS_XMPP_STREAMS, NS_STANZAS, NS_SASL, NS_TLS, NS_BIND, NS_SESSION,
  NS_ROSTER, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_REGISTER, NS_XRD, NS_DELAY, NS_XML,
} from './xml.js';
export type { XmlNode, JsonElement } from './xml.js';
export { parseElement } from './xml-frame.js';
export { prepareBroadcast, PreparedStanza } from './fanout.js';
export { parseForm, buildForm, fieldValue, parseBoolean, NS_DATA_FORMS } from './data-forms.js';
export type { ParsedForm, FormField } from './data-forms.js';
